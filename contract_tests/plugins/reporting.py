"""Report labels, identity, categories and evidence of the contract suite's results.

Area labels: a test's area (schema, lifecycle, limits, security) is that of the clauses it holds
(``contract_tests/clauses.toml``), or its module's (``test_<area>.py`` or ``test_<area>_<topic>.py``)
when it holds none. A test marked ``@pytest.mark.clause(id)`` is labelled with its
clause, and its failure message starts with the clause id and the contract's sentence. In Allure the area is the ``parentSuite`` and the ``feature`` label, plus a custom
``area`` label; in JUnit it is a test property ``area``. A failing test gets the exchanges it made
(request and response, token redacted) and a curl for each attached to its Allure result, and
every report text is passed through the redactor.

Identity: a test that pytest does not parametrize itself but that carries an id (Schemathesis'
per-operation tests, ``test_operation_conforms_to_openapi[POST /…/register]``) shares its node id
with the other operations' (pytest 9 builds a node id from the function's name and its own
parametrization only). It carries the id as the user property ``case`` (a JUnit property), and
the process that writes JUnit (the run, or xdist's controller) appends it to its reports'
``nodeid``, so JUnit, which names and keys a test case by that node id, and the console's FAILED
lines tell the operations apart. In Allure it is the parameter ``case``, so each has its own
``historyId``, and its ``testCaseId`` is made of the full name and the case (an allure-commons
``report_result`` hook). All of it through public hooks and attributes: no private one of pytest,
xdist or allure-pytest.

Categories follow the area, never the wording of a message: a failed check's message starts with
its category's stamp, "Security: " in the security area and "Contract violation: " in the others,
and a network error's with "Target unreachable: " (otp_suite.report.categories), so Allure 2 and 3
file each alike; JUnit carries the same category as the property ``category``.
A network error (refused, reset, timed out, TLS) means the check could not be judged: one line on
the console naming the request and the cause, its traceback written to ``<reports>/logs/`` and
named in that line, and the JUnit property ``cannot_judge`` holding that line, so the runner
counts it apart from the failures (exit 2, not 1).
"""

from __future__ import annotations

import ast
import re
import traceback
from collections.abc import Generator
from pathlib import Path

import allure
import allure_commons
import httpx
import pytest
import requests
from allure_commons.model2 import TestResult

from otp_suite.config import ConfigError
from otp_suite.contract.clause_map import AREAS_BY_PRECEDENCE, area_of_clauses, clauses, clauses_of_test, describe
from otp_suite.contract.client import OtpClient
from otp_suite.contract.exchanges import Exchange
from otp_suite.contract.outcome import AREA_PROPERTY, CATEGORY_PROPERTY, UNJUDGED_PROPERTY
from otp_suite.contract.replay import UNREPRODUCIBLE_TOKEN, replay_notes, shell_token
from otp_suite.contract.session import run_config
from otp_suite.redaction import REDACT
from otp_suite.report.categories import CONTRACT_VIOLATION, SECURITY, SUITE_ERROR, TARGET_UNREACHABLE, stamped
from otp_suite.report.paths import ReportPaths
from otp_suite.report.results_writer import stable_id
from otp_suite.report.severity import severity_of_area

_ATTACHED_EXCHANGES = 8
#: The parameter that tells apart the tests of one function that pytest did not parametrize.
CASE_PARAMETER = "case"


#: Errors on the way to the target: the check could not be judged (httpx: the scenario flows; requests: Schemathesis).
TRANSPORT_ERRORS = (httpx.TransportError, requests.exceptions.ConnectionError, requests.exceptions.Timeout)


def area_of(item: pytest.Item) -> str:
    """The area of a test: its clauses' (the most serious), else its module's (``test_limits.py`` -> limits)."""
    return area_of_clauses(clause_ids(item)) or module_area_of(item)


def category_of_area(area: str) -> str:
    """The report category of a failed check of ``area``."""
    return SECURITY if area == "security" else CONTRACT_VIOLATION


def module_area_of(item: pytest.Item) -> str:
    """The area named by a test's module: its name without ``test_`` (``contract_tests/test_limits.py`` -> limits)."""
    module = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py").removeprefix("test_")
    area = module.split("_", 1)[0]  # test_<area>.py or test_<area>_<topic>.py
    return area if area in AREAS_BY_PRECEDENCE else "other"


def case_id_of(item: pytest.Item) -> str | None:
    """The case of a test pytest did not parametrize itself: Schemathesis' operation (``POST /path``)."""
    if getattr(item, "callspec", None) is not None:
        return None  # pytest's own parameters are already in Allure's identity
    label = getattr(item, "operation_label", None)  # schemathesis.pytest's SchemathesisFunction
    return label if isinstance(label, str) and label else None


def reported_nodeid(item: pytest.Item) -> str:
    """The node id a test's reports carry: a test with a case (:func:`case_id_of`) has it appended.

    JUnit names and keys its test cases by the reports' node id, as do the console's FAILED lines,
    and GitLab and Jenkins merge test cases of the same name: each operation must be its own.
    """
    case_id = case_id_of(item)
    if case_id is None or item.nodeid.endswith("]"):
        return item.nodeid
    return f"{item.nodeid}[{case_id}]"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Label every test with its area and severity (Allure labels and a JUnit property)."""
    for item in items:
        case_id = case_id_of(item)
        if case_id is not None:
            item.user_properties.append((CASE_PARAMETER, case_id))  # for _CaseInNodeIds, wherever the report is written
        area = area_of(item)
        item.add_marker(pytest.mark.allure_label(area, label_type="parentSuite"))
        item.add_marker(pytest.mark.allure_label(area, label_type="feature"))
        item.add_marker(pytest.mark.allure_label(area, label_type="area"))
        item.add_marker(pytest.mark.allure_label(severity_of_area(area), label_type="severity"))
        item.user_properties.append((AREA_PROPERTY, area))
        item.user_properties.append((CATEGORY_PROPERTY, category_of_area(area)))
        for clause_id in clause_ids(item):
            if clause_id not in clauses():
                raise pytest.UsageError(f"{reported_nodeid(item)} is marked with clause {clause_id!r}, which contract_tests/clauses.toml does not list; add it there or fix the id")
            item.add_marker(pytest.mark.allure_label(clause_id, label_type="tag"))
            item.add_marker(pytest.mark.allure_label(clause_id, label_type="clause"))
            item.user_properties.append(("clause", clause_id))


def clause_ids(item: pytest.Item) -> list[str]:
    """The clauses a test holds: those the clause map lists it under, and any ``@pytest.mark.clause(id)``."""
    marked = [str(arg) for marker in item.iter_markers("clause") for arg in marker.args]
    return sorted(set(marked) | set(clauses_of_test(item.nodeid)))


@pytest.fixture(autouse=True)
def _case_identity(request: pytest.FixtureRequest) -> None:
    """Give a test that pytest did not parametrize its id as an Allure parameter.

    allure-pytest makes the ``historyId`` of the full name and the parameters, so it differs per
    case; the ``testCaseId`` it makes of the full name alone is replaced by :class:`_CaseTestCaseIds`.
    """
    case_id = case_id_of(request.node)
    if case_id is not None:
        allure.dynamic.parameter(CASE_PARAMETER, case_id)


class _CaseTestCaseIds:
    """An allure-commons plugin: a result with a case gets a ``testCaseId`` of its own, before it is written."""

    @allure_commons.hookimpl(tryfirst=True)
    def report_result(self, result: TestResult) -> None:
        """``md5("<fullName>[<case>]")``: stable from run to run, apart for each case of one function."""
        case = next((parameter.value for parameter in result.parameters if parameter.name == CASE_PARAMETER), None)
        if case is not None and result.fullName:
            case_id = ast.literal_eval(case)  # allure.dynamic.parameter stored repr(case_id)
            result.testCaseId = stable_id(f"{result.fullName}[{case_id}]")


@pytest.fixture(autouse=True)
def _fresh_exchange_log(request: pytest.FixtureRequest) -> None:
    """Start each test with an empty exchange log, so a failure shows only its own requests."""
    if "client" in request.fixturenames:
        client: OtpClient = request.getfixturevalue("client")
        client.exchanges.clear()
        request.node.stash[_CLIENT_KEY] = client


_CLIENT_KEY = pytest.StashKey[OtpClient]()
_ONE_LINE_KEY = pytest.StashKey[str]()


def _network_error_line(item: pytest.Item, error: BaseException) -> str:
    """``Target unreachable: POST <url>: ConnectError: <cause> (traceback: <file>)``; the traceback is saved."""
    try:
        sent = getattr(error, "request", None)  # httpx raises RuntimeError when none was attached
    except RuntimeError:
        sent = None
    request = f"{sent.method} {sent.url}" if sent is not None else "a request"
    cause = REDACT(str(error).strip().splitlines()[0] if str(error).strip() else "no detail")
    where = _save_traceback(item, error)
    saved = f" (traceback: {where})" if where else ""
    return stamped(TARGET_UNREACHABLE, f"{request}: {type(error).__name__}: {cause}{saved}")


def _save_traceback(item: pytest.Item, error: BaseException) -> Path | None:
    """Write ``error``'s traceback under ``<reports>/logs/`` (redacted); None if it cannot be written."""
    try:
        logs = ReportPaths(Path(run_config().reports_dir)).logs
        logs.mkdir(parents=True, exist_ok=True)
        nodeid = reported_nodeid(item)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::")[-1])[:120]
        path = logs / f"network-error-{name}.txt"
        path.write_text(REDACT(f"{nodeid}\n\n{''.join(traceback.format_exception(error))}"), encoding="utf-8")
    except (OSError, ConfigError):
        return None
    return path


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Before Allure reads the result: stamp its category, redact the text, attach the exchanges.

    ``trylast``: this wrapper runs inside allure-pytest's, which reads the report afterwards.
    """
    report = yield
    if call.excinfo is not None:
        _stamp(item, call.excinfo.value)
    if report.failed and report.when == "call" and clause_ids(item):
        # The API owner reads the clause and the contract's sentence first, then the evidence.
        named = "\n".join(describe(clause_id) for clause_id in clause_ids(item))
        report.longrepr = f"{named}\n{report.longrepr}"
    if report.longrepr is not None:
        text = str(report.longrepr)
        redacted = REDACT(text)
        if redacted != text:
            report.longrepr = redacted
    report.sections = [(title, REDACT(content)) for title, content in report.sections]
    if report.failed and report.when == "call" and _CLIENT_KEY in item.stash:
        exchanges = list(item.stash[_CLIENT_KEY].exchanges)[-_ATTACHED_EXCHANGES:]
        for index, exchange in enumerate(exchanges, 1):
            status = exchange.response.status_code if exchange.response is not None else "no answer"
            name = f"{index}. {exchange.request.method} {exchange.request.url.path} -> {status}"
            allure.attach(exchange.describe(), name=name, attachment_type=allure.attachment_type.TEXT)
            allure.attach(replayable_curl(exchange), name=f"{index}. curl", attachment_type=allure.attachment_type.TEXT)
    return report


def replayable_curl(exchange: Exchange) -> str:
    """The exchange's curl line as it runs when pasted (the token as ``$(otp-suite token ...)``), with the seed."""
    config = run_config()
    curl = exchange.curl(token_text=lambda token: shell_token(token, secret=config.jwt_secret, configured_token=config.jwt_token))
    return f"{curl}\n\n{replay_notes(config.seed, needs_token_variable=UNREPRODUCIBLE_TOKEN in curl)}"


def _stamp(item: pytest.Item, error: BaseException) -> None:
    """Start the error's message with its category's stamp (Allure's message is ``str()`` of it).

    A failed check gets its area's category (:func:`category_of_area`) whatever its message says;
    a network error is "Target unreachable" and marks the check as not judged.
    """
    if isinstance(error, TRANSPORT_ERRORS):
        if _ONE_LINE_KEY not in item.stash:
            item.stash[_ONE_LINE_KEY] = _network_error_line(item, error)
            error.args = (item.stash[_ONE_LINE_KEY],)
            item.user_properties.append((UNJUDGED_PROPERTY, item.stash[_ONE_LINE_KEY]))
            _file_under(item, TARGET_UNREACHABLE)
        return
    category = category_of_area(area_of(item))
    if isinstance(error, AssertionError):
        error.args = (stamped(category, str(error.args[0]) if error.args else "check failed"), *error.args[1:])
    elif isinstance(error, pytest.fail.Exception):
        error.msg = stamped(category, error.msg or "check failed")
    elif isinstance(error, Exception):  # skip, xfail and exit are BaseExceptions: no failure to file
        _file_under(item, SUITE_ERROR)  # as Allure files a broken result without a stamp


def _file_under(item: pytest.Item, category: str) -> None:
    """Make ``category`` the check's JUnit ``category`` property (collection gave it its area's)."""
    item.user_properties[:] = [(name, value) for name, value in item.user_properties if name != CATEGORY_PROPERTY]
    item.user_properties.append((CATEGORY_PROPERTY, category))


class _CaseInNodeIds:
    """Where the reports are written (the run's process, or xdist's controller): a report with a case
    gets :func:`reported_nodeid`, before JUnit and the console read it.

    Not in an xdist worker: it sends each report as its item's node id, and checks that it is.
    """

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Append the report's case (a user property since collection) to its node id."""
        case_id = next((value for name, value in report.user_properties if name == CASE_PARAMETER), None)
        if case_id is not None and not report.nodeid.endswith("]"):
            report.nodeid = f"{report.nodeid}[{case_id}]"


class _ConsoleLines:
    """What the console shows: one line per network error, no pytest internals."""

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """After Allure has read the full trace: the console's report of a network error is its one line."""
        report = yield
        if call.excinfo is not None and isinstance(call.excinfo.value, TRANSPORT_ERRORS) and _ONE_LINE_KEY in item.stash:
            report.longrepr = item.stash[_ONE_LINE_KEY]
        return report

    @pytest.hookimpl(trylast=True)
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """A session ended by ``pytest.exit("cannot judge: …")`` says just that, not ``_pytest.outcomes.Exit: …``."""
        if not isinstance(excinfo.value, pytest.exit.Exception):
            return
        reporter = self._config.pluginmanager.get_plugin("terminalreporter")
        memo = getattr(reporter, "_keyboardinterrupt_memo", None)  # pytest 9's terminal reporter
        crash = getattr(memo, "reprcrash", None)
        if crash is not None:
            crash.message = excinfo.value.msg

    def __init__(self, config: pytest.Config) -> None:
        self._config = config


_TEST_CASE_IDS = _CaseTestCaseIds()


def pytest_configure(config: pytest.Config) -> None:
    """Register the console hooks (a class: they need their own order around allure-pytest's) and the test case ids."""
    config.pluginmanager.register(_ConsoleLines(config), "otp-suite-console-lines")
    if not hasattr(config, "workerinput"):  # pytest-xdist's documented mark of a worker
        config.pluginmanager.register(_CaseInNodeIds(), "otp-suite-case-in-node-ids")
    allure_commons.plugin_manager.register(_TEST_CASE_IDS)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave allure-commons' plugin manager (one per process) as it was."""
    allure_commons.plugin_manager.unregister(_TEST_CASE_IDS)
