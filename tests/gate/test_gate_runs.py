"""Whole gate runs, as a pipeline runs them: the verdict, the report a person opens, and no secrets."""

from __future__ import annotations

import re

import pytest

from helpers.report import SAMPLE_SECRET, readable_texts
from helpers.suite_children import GATE_TEST_TIMEOUT_S
from otp_suite.report.browser import CATEGORY, TOTAL, rendered_dom, shown_totals, texts_by_test_id
from otp_suite.report.categories import CONTRACT_VIOLATION, SECURITY, SLO_BREACH
from otp_suite.report.totals import count_results

pytestmark = [pytest.mark.slow, pytest.mark.timeout(GATE_TEST_TIMEOUT_S)]

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+")


def test_gate_with_no_configuration_but_latency_limits_off_passes_against_the_embedded_service(passing_gate_run):
    assert passing_gate_run.exit_code == 0, passing_gate_run.output[-3000:]
    assert "otp-suite gate: PASSED (exit 0)" in passing_gate_run.output
    assert passing_gate_run.html_path.is_file()


def test_gate_report_shows_the_totals_of_its_results_in_a_browser(chromium, passing_gate_run):
    counted = count_results(passing_gate_run.results_dir)

    shown = shown_totals(rendered_dom(passing_gate_run.html_path, shows=TOTAL))

    assert counted.count("failed") == 0 and counted.count("passed") > 0
    assert shown["total"] == counted.total and shown["passed"] == counted.count("passed")


def test_gate_summary_lists_checks_by_area_and_the_slos(passing_gate_run):
    output = passing_gate_run.output

    assert "checks by area" in output and "security" in output
    assert "SLOs" in output and "PASS" in output


def test_gate_against_a_faulty_target_fails(faulty_gate_run):
    assert faulty_gate_run.exit_code == 1, faulty_gate_run.output[-3000:]
    assert "otp-suite gate: FAILED (exit 1)" in faulty_gate_run.output


def test_faulty_target_report_files_the_failures_in_their_categories(chromium, faulty_gate_run):
    texts = texts_by_test_id(rendered_dom(faulty_gate_run.html_path, fragment="categories", shows=CATEGORY))

    assert {SECURITY, CONTRACT_VIOLATION, SLO_BREACH} <= set(texts["tree-section-title"])


def test_full_gate_run_leaves_no_secret_or_token_under_reports_or_on_the_terminal(faulty_gate_run):
    texts = [("terminal", faulty_gate_run.output)] + [(str(path), text) for path, text in readable_texts(faulty_gate_run.reports_dir)]

    leaks = sorted({where for where, text in texts if SAMPLE_SECRET in text or _JWT.search(text)})

    assert leaks == []


def test_a_gate_narrowed_by_otp_contract_select_says_so_in_its_summary(faulty_gate_run):
    # The faulty run is narrowed (tests/helpers/suite_children.py); a pipeline log must show it was not the whole contract.
    assert "only the tests matching OTP_CONTRACT_SELECT=" in faulty_gate_run.output


def test_a_whole_gate_run_says_nothing_of_a_selection(passing_gate_run):
    assert "OTP_CONTRACT_SELECT" not in passing_gate_run.output
