"""Whole gate runs, as a pipeline runs them: the verdict, the report a person opens, and no secrets."""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

import pytest

from helpers.gate import run_gate
from helpers.report import SAMPLE_SECRET, allure2_categories, allure2_report, allure3_shown, junit_cases, readable_texts
from helpers.suite_children import GATE_TEST_TIMEOUT_S
from otp_suite.gating import PREFLIGHT_CHECK
from otp_suite.report.browser import CATEGORY, TOTAL, rendered_dom, shown_totals, texts_by_test_id
from otp_suite.report.categories import CONTRACT_VIOLATION, SECURITY, SLO_BREACH, category_of
from otp_suite.report.labels import AREA_LABEL
from otp_suite.report.paths import ReportPaths
from otp_suite.report.totals import area_of, count_results, read_results

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


def test_faulty_target_console_allure2_allure3_and_junit_count_and_file_the_same_failures(faulty_gate_run, tmp_path):
    paths = ReportPaths(faulty_gate_run.reports_dir)
    results = [r for r in read_results(paths.allure_results) if r["status"] in ("failed", "broken")]
    # The rules' own reading of each failure, and what its area (from its clauses) says it must be.
    filed = {r["name"]: category_of(r["status"], (r.get("statusDetails") or {}).get("message", "")) for r in results}
    expected = {r["name"]: {"security": SECURITY, "slo": SLO_BREACH}.get(area_of(r), CONTRACT_VIOLATION) for r in results}
    by_category = {category: sorted(name for name, filed_as in filed.items() if filed_as == category) for category in set(filed.values())}
    junit = [(name, outcome) for path in paths.junit_files if path.is_file() for _, name, outcome in junit_cases(path)]
    console = _console_failures_by_area(faulty_gate_run.output)

    assert filed == expected and {SECURITY, CONTRACT_VIOLATION, SLO_BREACH} <= set(filed.values()), filed
    assert sorted(name for name, outcome in junit if outcome in ("failed", "error")) == sorted(filed)
    assert console == {area: counts.get("failed", 0) + counts.get("broken", 0) for area, counts in count_results(paths.allure_results).by_area.items()}
    assert sum(console.values()) == len(filed)
    assert allure2_categories(allure2_report(paths.allure_results, tmp_path / "allure2")) == by_category
    assert allure3_shown(faulty_gate_run.html_path).categories == by_category


def _console_failures_by_area(output: str) -> dict[str, int]:
    """Failed plus broken checks per area, from the gate's closing table on the console."""
    table = output.split("checks by area", 1)[1].split("\n    total", 1)[0]
    rows = [line.split() for line in table.splitlines()[1:] if line.strip()]
    return {row[0]: int(row[2]) + int(row[3]) for row in rows}


def _written_files(reports_dir: Path) -> list[str]:
    return sorted(path.relative_to(reports_dir).as_posix() for path in reports_dir.rglob("*") if path.is_file())


def test_a_gate_run_writes_only_the_outputs_report_paths_declares(faulty_gate_run):
    declared = ReportPaths(faulty_gate_run.reports_dir).outputs()

    # A folder (``allure-results/``) holds what others name; ``*`` in a declared file stands for a number.
    undeclared = [written for written in _written_files(faulty_gate_run.reports_dir) if not any(written.startswith(place) if place.endswith("/") else fnmatch(written, place) for place in declared)]

    assert undeclared == []


def test_every_result_of_a_gate_run_carries_its_area_and_ids_from_its_name(faulty_gate_run):
    results = read_results(ReportPaths(faulty_gate_run.reports_dir).allure_results)

    lacking = sorted(r["name"] for r in results if not (r.get("testCaseId") and r.get("historyId") and any(label["name"] == AREA_LABEL and label["value"] for label in r.get("labels", []))))

    assert lacking == []
    assert {area_of(r) for r in results} >= {"preflight", "security", "slo"}


def test_the_gates_own_check_has_the_same_ids_in_another_gate_run(faulty_gate_run, refused_url, tmp_path):
    # A second, short run: the preflight finds nothing listening and the gate stops there.
    other = run_gate(tmp_path / "reports", {"OTP_BASE_URL": refused_url, "OTP_JWT_SECRET": SAMPLE_SECRET}, "--no-report")

    first, second = ({r["name"]: (r["testCaseId"], r["historyId"]) for r in read_results(ReportPaths(run.reports_dir).allure_results)} for run in (faulty_gate_run, other))

    assert other.exit_code == 2, other.output[-2000:]
    assert second[PREFLIGHT_CHECK] == first[PREFLIGHT_CHECK]
