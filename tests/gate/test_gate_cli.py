"""``otp-suite gate`` options and the verdicts it can give without a contract run, in-process."""

from __future__ import annotations

import json

from click.testing import CliRunner

from otp_suite.cli import main
from otp_suite.report.browser import CATEGORY, rendered_dom, texts_by_test_id
from otp_suite.report.categories import TARGET_UNREACHABLE


def test_every_gate_option_names_its_variable():
    result = CliRunner().invoke(main, ["gate", "--help"])

    assert result.exit_code == 0
    for variable in ("OTP_BASE_URL", "OTP_REPORTS_DIR", "OTP_REPORT_HISTORY", "OTP_GATE_LOAD", "OTP_GATE_SMOKE_USERS", "OTP_GATE_SMOKE_RUN_TIME", "OTP_GATE_REPORT"):
        assert variable in result.output, variable


def test_gate_with_a_malformed_policy_value_cannot_judge_and_names_it(tmp_path):
    result = CliRunner().invoke(main, ["gate"], env={"OTP_REPORTS_DIR": str(tmp_path), "OTP_TTL_S": "soon"})

    assert result.exit_code == 2
    assert "OTP_TTL_S='soon' is not a number" in result.output
    assert "Traceback" not in result.output


def test_gate_against_an_unreachable_target_cannot_judge_and_files_it_as_unreachable(tmp_path, refused_url):
    result = CliRunner().invoke(main, ["gate"], env={"OTP_REPORTS_DIR": str(tmp_path), "OTP_BASE_URL": refused_url, "OTP_JWT_SECRET": "a-secret-for-this-test-only"})

    assert result.exit_code == 2, result.output
    assert "refused the connection" in result.output
    assert "COULD NOT JUDGE (exit 2)" in result.output
    statuses = [json.loads(p.read_text())["status"] for p in (tmp_path / "allure-results").glob("*-result.json")]
    assert statuses == ["broken"]
    assert (tmp_path / "allure-report" / "index.html").is_file()


def test_report_of_an_unreachable_target_shows_it_under_target_unreachable(tmp_path, refused_url, chromium):
    CliRunner().invoke(main, ["gate"], env={"OTP_REPORTS_DIR": str(tmp_path), "OTP_BASE_URL": refused_url, "OTP_JWT_SECRET": "a-secret-for-this-test-only"})

    texts = texts_by_test_id(rendered_dom(tmp_path / "allure-report" / "index.html", fragment="categories", shows=CATEGORY))

    assert texts["tree-section-title"] == [TARGET_UNREACHABLE]
    assert texts["tree-leaf-title"] == ["target reachable"]


def test_gate_summary_says_where_the_report_and_history_are(tmp_path, refused_url):
    result = CliRunner().invoke(main, ["gate"], env={"OTP_REPORTS_DIR": str(tmp_path), "OTP_BASE_URL": refused_url, "OTP_REPORT_HISTORY": str(tmp_path / "cache")})

    assert f"report   {tmp_path / 'allure-report' / 'index.html'}" in result.output
    assert f"history  {tmp_path / 'cache' / 'history.jsonl'}" in result.output
    assert (tmp_path / "cache" / "history.jsonl").is_file()
