"""Report labels and evidence.

Area labels: each test module is one area (``test_<area>.py``: schema, lifecycle, limits,
security). In Allure the area is the ``parentSuite`` and the ``feature`` label, plus a custom
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

AREAS = ("schema", "lifecycle", "limits", "security")
_ATTACHED_EXCHANGES = 8


def area_of(item: pytest.Item) -> str:
    """The area of a test: its module name without ``test_`` (``contract_tests/test_limits.py`` -> limits)."""
    module = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py").removeprefix("test_")
    return module if module in AREAS else "other"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Label every test with its area (Allure labels and a JUnit property)."""
    for item in items:
        area = area_of(item)
        item.add_marker(pytest.mark.allure_label(area, label_type="parentSuite"))
        item.add_marker(pytest.mark.allure_label(area, label_type="feature"))
        item.add_marker(pytest.mark.allure_label(area, label_type="area"))
        item.user_properties.append(("area", area))


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
