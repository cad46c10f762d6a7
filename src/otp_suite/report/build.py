"""One call from an Allure results folder to the finished, offline, secret-free report."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from otp_suite.config import SuiteConfig
from otp_suite.redaction import Redactor
from otp_suite.report.categories import write_categories_json
from otp_suite.report.environment import write_environment, write_executor
from otp_suite.report.generator import ReportError, generate_single_file
from otp_suite.report.offline import AnalyticsNotRemoved, make_offline
from otp_suite.report.paths import ReportPaths
from otp_suite.report.scrub import find_secrets, scrub_tree
from otp_suite.report.totals import Totals, count_results

__all__ = ["ReportError", "ReportOutcome", "build_report", "describe_run", "scrub_reports"]


@dataclass(frozen=True)
class ReportOutcome:
    """Where the report is and what it counted."""

    html_path: Path
    history_file: Path
    totals: Totals


def describe_run(results_dir: Path, config: SuiteConfig, *, target_label: str | None = None) -> None:
    """Write environment, executor and categories files into ``results_dir`` for Allure."""
    results_dir.mkdir(parents=True, exist_ok=True)
    write_environment(results_dir, config, target_label=target_label)
    write_executor(results_dir)
    write_categories_json(results_dir)


def build_report(
    results_dir: Path,
    report_dir: Path,
    *,
    config: SuiteConfig,
    history_dir: Path,
    secrets: Iterable[str | None] = (),
    report_name: str = "OTP API gate",
    target_label: str | None = None,
) -> ReportOutcome:
    """Build ``report_dir/index.html`` from ``results_dir``.

    ``secrets`` (with ``config``'s own secret and token) are redacted from the results before
    Allure sees them and from the report after; ``history_dir`` keeps the trend data across
    runs (cache it in CI); ``target_label`` describes the target when its URL alone would
    mislead (the embedded service). Raises :class:`ReportError` when the report cannot be
    built or a secret survives.
    """
    redactor = Redactor(config.jwt_secret, config.jwt_token, *secrets)
    describe_run(results_dir, config, target_label=target_label)
    scrub_tree(results_dir, redactor)
    if report_dir.exists():
        shutil.rmtree(report_dir)
    report_dir.mkdir(parents=True)
    # The report folder is a reports folder's allure-report/: its config file is kept beside it.
    paths = ReportPaths(report_dir.parent, history_dir)
    history_file = paths.report_trend
    index = generate_single_file(results_dir, report_dir, history_file=history_file, report_name=report_name, work_dir=paths.root)
    try:
        make_offline(index)
    except AnalyticsNotRemoved as error:
        index.unlink()
        raise ReportError(str(error)) from None
    for tree in (report_dir, history_file):
        scrub_tree(tree, redactor)
    left = find_secrets(report_dir, redactor) + find_secrets(history_file, redactor)
    if left:
        shutil.rmtree(report_dir)
        raise ReportError(f"refusing to keep a report holding a secret ({left[0]}); report this as a bug")
    return ReportOutcome(html_path=index, history_file=history_file, totals=count_results(results_dir))


def scrub_reports(reports_dir: Path, secrets: Iterable[str | None]) -> None:
    """Redact ``secrets`` (and any token) from every file under ``reports_dir``: logs, CSVs, summaries.

    Raises :class:`ReportError` naming the file (never the value) if something cannot be redacted.
    """
    redactor = Redactor(*secrets)
    scrub_tree(reports_dir, redactor)
    left = find_secrets(reports_dir, redactor)
    if left:
        raise ReportError(f"a secret is still in {left[0]} after redaction; delete {reports_dir} before sharing it")
