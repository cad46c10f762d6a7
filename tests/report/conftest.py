"""Fixtures of the report tests: real Allure results from the sample checks, the report built from
them, what Chromium renders of it, and a reports folder of the test's own (helpers.report)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.report import BuiltReport, build_sample_report, run_sample_checks
from otp_suite.report.browser import TOTAL, rendered_dom


@pytest.fixture(scope="session")
def sample_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pristine Allure results folder from the sample checks (copy it before changing it)."""
    results = tmp_path_factory.mktemp("sample") / "allure-results"
    run_sample_checks(results)
    return results


@pytest.fixture(scope="session")
def built_report(tmp_path_factory: pytest.TempPathFactory, sample_results: Path) -> BuiltReport:
    """The report built once from the sample results, in a reports folder of its own."""
    return build_sample_report(tmp_path_factory.mktemp("reports"), sample_results)


@pytest.fixture(scope="session")
def report_dom(chromium: Path, built_report: BuiltReport) -> str:
    """The sample report's summary page as Chromium renders it from file://."""
    return rendered_dom(built_report.html_path, shows=TOTAL)


@pytest.fixture
def reports_dir(tmp_path: Path) -> Path:
    """A reports/ folder of this test's own, laid out as the project's (tests never write the project's)."""
    path = tmp_path / "reports"
    path.mkdir()
    return path
