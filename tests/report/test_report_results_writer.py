"""The suite's one Allure result writer: the gate's checks and the load's SLOs carry their area and
the contract's other labels, and the same check has the same ids in every run (Allure's history and
retries key on them). Every result of whole gate runs is held to it in tests/gate/test_gate_runs.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from otp_suite.loadtest.allure_result import write_allure_result
from otp_suite.loadtest.slo import NOT_JUDGED, SloResult
from otp_suite.report.labels import AREA_LABEL, AREA_PREFLIGHT, AREA_SLO
from otp_suite.report.results_writer import BROKEN, PASSED, write_result
from otp_suite.report.severity import severity_of_area

#: What every result carries, as the contract's results do (contract_tests/plugins/reporting.py).
LABELS = (AREA_LABEL, "feature", "severity", "parentSuite", "suite")

SLOS = (
    SloResult("verify.p95_ms", 300, "<=", 120.0, True),
    SloResult("flow.error_ratio", 0.01, "<=", 0.2, False),
    SloResult("resend.p95_ms", 300, "<=", None, False, status=NOT_JUDGED),
)


def _one_run(allure_dir: Path) -> list[dict[str, Any]]:
    """What one gate run writes by hand: its preflight, its interruption, one load run's SLOs (a CSV attached)."""
    attached = allure_dir.parent / "locust_stats.csv"
    attached.write_text("Name,Request Count\nverify,10\n", encoding="utf-8")
    write_result(allure_dir, name="target reachable", status=PASSED, area=AREA_PREFLIGHT, parameters={"target": "loopback"})
    write_result(allure_dir, name="gate run interrupted", status=BROKEN, area="gate", message="interrupted by SIGINT")
    write_allure_result(allure_dir, SLOS, [attached], started_ms=1, description="a load run", entry_table=["verify 10"])
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(allure_dir.glob("*-result.json"))]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The results of two runs of the same checks, each in its own folder."""
    return _one_run(tmp_path_factory.mktemp("first") / "allure-results"), _one_run(tmp_path_factory.mktemp("second") / "allure-results")


def _labels(result: dict[str, Any]) -> dict[str, str]:
    return {label["name"]: label["value"] for label in result.get("labels", [])}


def test_a_check_has_the_same_test_case_id_and_history_id_in_every_run(two_runs):
    first, second = ({result["name"]: (result["testCaseId"], result["historyId"]) for result in run} for run in two_runs)

    assert len(first) == len(SLOS) + 2
    assert first == second


def test_each_check_has_ids_of_its_own(two_runs):
    first, _ = two_runs

    assert len({result["testCaseId"] for result in first}) == len(first)
    assert len({result["historyId"] for result in first}) == len(first)


def test_every_result_written_carries_its_area_feature_severity_and_suites(two_runs):
    first, _ = two_runs

    missing = {result["name"]: [name for name in LABELS if not _labels(result).get(name)] for result in first}
    assert {name: labels for name, labels in missing.items() if labels} == {}
    assert {_labels(result)[AREA_LABEL] for result in first} == {AREA_PREFLIGHT, "gate", AREA_SLO}
    assert all(_labels(result)["severity"] == severity_of_area(_labels(result)[AREA_LABEL]) for result in first)


def test_the_slo_results_share_the_attachments_written_once(two_runs):
    first, _ = two_runs
    slo_results = [result for result in first if _labels(result)[AREA_LABEL] == AREA_SLO]

    attachments = {json.dumps(result["attachments"], sort_keys=True) for result in slo_results}
    assert len(attachments) == 1
    assert sorted(attachment["name"] for attachment in slo_results[0]["attachments"]) == ["latency-table.txt", "locust_stats.csv"]
