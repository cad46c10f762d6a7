"""A person opening the single-file report in a real browser (headless Chromium, file://) sees the right totals."""

from __future__ import annotations

import shutil

from otp_suite.report.browser import CATEGORY, TOTAL, rendered_dom, screenshot, shown_totals, texts_by_test_id
from otp_suite.report.categories import CONTRACT_VIOLATION, SECURITY, SLO_BREACH, TARGET_UNREACHABLE
from otp_suite.report.totals import count_results


def test_browser_shows_the_totals_counted_from_the_results(built_report, report_dom):
    counted = count_results(built_report.results_dir)

    shown = shown_totals(report_dom)

    assert shown["total"] == counted.total
    for status in ("passed", "failed", "broken", "skipped"):
        assert shown.get(status, 0) == counted.count(status), status


def test_browser_shows_each_failing_check_under_its_category(chromium, built_report):
    dom = rendered_dom(built_report.html_path, fragment="categories", shows=CATEGORY)

    texts = texts_by_test_id(dom)

    assert set(texts["tree-section-title"]) >= {TARGET_UNREACHABLE, SECURITY, SLO_BREACH, CONTRACT_VIOLATION}
    assert set(texts["tree-leaf-title"]) >= {"test_target_reachable", "test_expired_token_is_refused", "test_p95_verify_latency_within_slo", "test_verify_rejects_a_wrong_code"}


def test_browser_shows_the_run_environment(built_report, report_dom):
    page_text = " ".join(" ".join(v) for v in texts_by_test_id(report_dom).values())

    assert "spec.sha256" in report_dom and "suite.git_revision" in report_dom
    assert "Total" in page_text


def test_browser_screenshot_of_the_report_is_kept_under_reports(chromium, built_report, reports_dir):
    target = reports_dir / "report-screenshot.png"

    png = screenshot(built_report.html_path, target)

    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000  # a blank page compresses to a few hundred bytes


def test_totals_check_fails_when_the_report_shows_other_numbers(chromium, built_report, tmp_path):
    # A report of other results must not pass as this one: drop a failed result and rebuild elsewhere.
    from helpers.report import sample_config
    from otp_suite.report.build import build_report

    results = tmp_path / "allure-results"
    shutil.copytree(built_report.results_dir, results)
    next(p for p in results.glob("*-result.json") if '"status": "failed"' in p.read_text()).unlink()
    other = build_report(results, tmp_path / "report", config=sample_config(), history_dir=tmp_path / "history")

    shown = shown_totals(rendered_dom(other.html_path, shows=TOTAL))

    assert shown["total"] == count_results(built_report.results_dir).total - 1
