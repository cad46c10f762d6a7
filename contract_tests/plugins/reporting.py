"""Report labels and evidence.

Area labels: each test module belongs to one area (``test_<area>.py`` or ``test_<area>_<topic>.py``:
schema, lifecycle, limits, security). A test marked ``@pytest.mark.clause(id)`` is labelled with its
clause, and its failure message starts with the clause id and the contract's sentence. In Allure the area is the ``parentSuite`` and the ``feature`` label, plus a custom
``area`` label; in JUnit it is a test property ``area``. A failing test gets the exchanges it made
(request and response, token redacted) and a curl for each attached to its Allure result, and
every report text is passed through the redactor.
"""

from __future__ import annotations

from collections.abc import Iterator

import allure
import pytest

from otp_suite.contract.client import OtpClient
from otp_suite.redaction import REDACT
from otp_suite.contract.clause_map import clauses, clauses_of_test, describe

AREAS = ("schema", "lifecycle", "limits", "security")
_ATTACHED_EXCHANGES = 8


def area_of(item: pytest.Item) -> str:
    """The area of a test: its module name without ``test_`` (``contract_tests/test_limits.py`` -> limits)."""
    module = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py").removeprefix("test_")
    area = module.split("_", 1)[0]  # test_<area>.py or test_<area>_<topic>.py
    return area if area in AREAS else "other"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Label every test with its area (Allure labels and a JUnit property)."""
    for item in items:
        area = area_of(item)
        item.add_marker(pytest.mark.allure_label(area, label_type="parentSuite"))
        item.add_marker(pytest.mark.allure_label(area, label_type="feature"))
        item.add_marker(pytest.mark.allure_label(area, label_type="area"))
        item.user_properties.append(("area", area))
        for clause_id in clause_ids(item):
            if clause_id not in clauses():
                raise pytest.UsageError(f"{item.nodeid} is marked with clause {clause_id!r}, which contract_tests/clauses.toml does not list; add it there or fix the id")
            item.add_marker(pytest.mark.allure_label(clause_id, label_type="tag"))
            item.add_marker(pytest.mark.allure_label(clause_id, label_type="clause"))
            item.user_properties.append(("clause", clause_id))


def clause_ids(item: pytest.Item) -> list[str]:
    """The clauses a test holds: those the clause map lists it under, and any ``@pytest.mark.clause(id)``."""
    marked = [str(arg) for marker in item.iter_markers("clause") for arg in marker.args]
    return sorted(set(marked) | set(clauses_of_test(item.nodeid)))


@pytest.fixture(autouse=True)
def _fresh_exchange_log(request: pytest.FixtureRequest) -> None:
    """Start each test with an empty exchange log, so a failure shows only its own requests."""
    if "client" in request.fixturenames:
        client: OtpClient = request.getfixturevalue("client")
        client.exchanges.clear()
        request.node.stash[_CLIENT_KEY] = client


_CLIENT_KEY = pytest.StashKey[OtpClient]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Attach the failing test's exchanges to Allure and redact the report text."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
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
            allure.attach(exchange.curl(), name=f"{index}. curl", attachment_type=allure.attachment_type.TEXT)
