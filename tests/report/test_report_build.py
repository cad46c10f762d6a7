"""The report built from an Allure results folder: one offline file, described, categorised, with history."""

from __future__ import annotations

import json
import shutil

from helpers.report import SAMPLE_CHECKS, build_sample_report
from otp_suite.report.categories import CONTRACT_VIOLATION, SECURITY, SLO_BREACH, SUITE_ERROR, TARGET_UNREACHABLE
from otp_suite.report.generator import generate_single_file
from otp_suite.report.offline import third_party_urls
from otp_suite.report.totals import count_results


def test_report_is_a_single_html_file_with_everything_inline(built_report):
    html = built_report.html_path.read_text(encoding="utf-8")

    assert built_report.html_path.name == "index.html"
    assert 'src="data:text/javascript;base64,' in html
    assert not any(p.suffix in {".js", ".css", ".woff", ".woff2"} for p in built_report.html_path.parent.rglob("*"))


def test_generated_allure_html_carries_a_third_party_analytics_tag_the_check_detects(sample_results, tmp_path):
    # Arrange: Allure's own output, before the suite makes it offline.
    results = tmp_path / "allure-results"
    shutil.copytree(sample_results, results)

    index = generate_single_file(results, tmp_path / "raw", history_file=tmp_path / "history.jsonl", report_name="raw", work_dir=tmp_path)

    assert any("googletagmanager.com" in url for url in third_party_urls(index.read_text(encoding="utf-8")))


def test_report_loads_nothing_from_a_third_party(built_report):
    html = built_report.html_path.read_text(encoding="utf-8")

    assert third_party_urls(html) == []
    assert "googletagmanager" not in html and "gtag(" not in html
    assert 'http-equiv="Content-Security-Policy"' in html and "default-src 'none'" in html


def test_report_environment_names_target_spec_hash_policy_version_and_revision(built_report):
    properties = (built_report.results_dir / "environment.properties").read_text(encoding="utf-8")
    entries = dict(line.split("=", 1) for line in properties.splitlines() if "=" in line)

    assert entries["target"] == "http\\://127.0.0.1\\:9"
    assert len(entries["spec.sha256"]) == 64
    assert entries["policy.ttl_s"] == "3.0" and entries["policy.max_verify_attempts"] == "3"
    assert entries["suite.version"]
    assert entries["suite.git_revision"] not in {"", "unknown"}


def test_categories_file_names_the_gate_categories_in_precedence_order(built_report):
    categories = json.loads((built_report.results_dir / "categories.json").read_text(encoding="utf-8"))

    assert [c["name"] for c in categories] == [TARGET_UNREACHABLE, SECURITY, SLO_BREACH, CONTRACT_VIOLATION, SUITE_ERROR]


def test_report_counts_one_verdict_per_sample_check(built_report):
    totals = built_report.outcome.totals

    expected: dict[str, int] = {}
    for status, _ in SAMPLE_CHECKS.values():
        expected[status] = expected.get(status, 0) + 1
    assert totals.by_status == expected
    assert totals.by_area["security"] == {"failed": 1}


def test_retried_check_counts_once_with_its_last_outcome(sample_results, tmp_path):
    results = tmp_path / "allure-results"
    shutil.copytree(sample_results, results)
    failed = next(p for p in results.glob("*-result.json") if json.loads(p.read_text())["name"] == "test_verify_rejects_a_wrong_code")
    retry = json.loads(failed.read_text())
    retry.update(uuid="retry-of-wrong-code", status="passed", start=retry["stop"] + 1, stop=retry["stop"] + 2)
    (results / "retry-of-wrong-code-result.json").write_text(json.dumps(retry))

    totals = count_results(results)

    assert totals.total == len(SAMPLE_CHECKS)
    assert totals.by_area["contract"]["passed"] == 4


def test_history_is_kept_across_runs_in_the_history_folder(sample_results, tmp_path):
    history = tmp_path / "cache" / "history"

    first = build_sample_report(tmp_path / "run1", sample_results, history_dir=history)
    second = build_sample_report(tmp_path / "run2", sample_results, history_dir=history)

    entries = [json.loads(line) for line in second.outcome.history_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert second.outcome.history_file.parent == history
    assert len(entries) == 2
    # The second report read the first run's history: its tests are no longer new.
    new_tests = [json.loads((run.html_path.parent / "summary.json").read_text())["stats"].get("new", 0) for run in (first, second)]
    assert new_tests == [len(SAMPLE_CHECKS), 0]
