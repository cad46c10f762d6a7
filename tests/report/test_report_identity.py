"""Every result has its own identity: when exactly one per-operation Schemathesis check fails, the
Allure 3 report, an Allure 2 report of the same results and the JUnit file each count one failure.

The target is the reference service with ``register_extra_key``: only register's success body
breaks the schema, so of the three ``test_operation_conforms_to_openapi[POST …]`` exactly one fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers.report import allure2_report, allure2_totals, allure3_shown, junit_cases
from otp_suite.config import load_config
from otp_suite.contract.runner import run_contract
from otp_suite.report.build import build_report
from otp_suite.report.paths import ReportPaths
from otp_suite.target import resolved_target

# A contract run and two report generators: minutes on a busy machine, bounded all the same.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

PER_OPERATION = "contract_tests/test_schema.py::test_operation_conforms_to_openapi"
REGISTER = "POST /fe/users/auth/otp/register"
SECRET = "identity-test-secret-0123456789abcdef"


@dataclass(frozen=True)
class OneFailureRun:
    """The reports of a contract run in which only register's schema check fails."""

    paths: ReportPaths
    exit_code: int
    echoed: list[str]


#: How the run is made: its variables and pytest arguments. Side by side, the reports of the xdist
#: workers are written by the controller, which has no test items, only the reports.
RUNS = {
    "one-after-another": ({}, [PER_OPERATION]),
    "side-by-side": ({"OTP_CONTRACT_WORKERS": "2", "OTP_CONTRACT_SELECT": "test_operation_conforms_to_openapi"}, ["contract_tests/test_schema.py"]),
}


@pytest.fixture(scope="module", params=sorted(RUNS))
def one_failure_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> OneFailureRun:
    variables, pytest_args = RUNS[request.param]
    paths = ReportPaths(tmp_path_factory.mktemp("identity") / "reports")
    echoed: list[str] = []
    config = load_config({"OTP_MAX_EXAMPLES": "5", **variables}, jwt_secret=SECRET, reports_dir=paths.root)
    with resolved_target(config, fault="register_extra_key") as target:
        outcome = run_contract(target, allure_dir=paths.allure_results, junit_path=paths.contract_junit, echo=echoed.append, pytest_args=pytest_args)
        build_report(paths.allure_results, paths.allure_report, config=target, history_dir=paths.history)
    return OneFailureRun(paths, outcome.exit_code, echoed)


def _results(run: OneFailureRun) -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in run.paths.allure_results.glob("*-result.json")]


def test_each_operation_has_its_own_history_and_case_id_and_names_its_operation(one_failure_run: OneFailureRun) -> None:
    results = _results(one_failure_run)

    assert one_failure_run.exit_code == 1, one_failure_run.echoed[-30:]
    assert len(results) == 3
    assert len({r["historyId"] for r in results}) == 3
    assert len({r["testCaseId"] for r in results}) == 3
    operations = sorted(p["value"] for r in results for p in r["parameters"] if p["name"] == "case")
    assert [op.strip("'").rsplit("/", 1)[-1] for op in operations] == ["register", "resend", "verify"]


def test_junit_names_each_operation_apart_and_counts_one_failure(one_failure_run: OneFailureRun) -> None:
    cases = junit_cases(one_failure_run.paths.contract_junit)

    assert len({(classname, name) for classname, name, _ in cases}) == len(cases) == 3
    failed = [name for _, name, outcome in cases if outcome == "failed"]
    assert failed == [f"test_operation_conforms_to_openapi[{REGISTER}]"]


def test_allure2_counts_exactly_one_failure(one_failure_run: OneFailureRun, tmp_path: Path) -> None:
    totals = allure2_totals(allure2_report(one_failure_run.paths.allure_results, tmp_path / "allure2"))

    assert (totals["total"], totals["failed"], totals["passed"], totals["broken"]) == (3, 1, 2, 0)


def test_allure3_report_counts_exactly_one_failure(one_failure_run: OneFailureRun) -> None:
    shown = allure3_shown(one_failure_run.paths.allure_report / "index.html")

    assert {key: shown.statistic.get(key, 0) for key in ("total", "failed", "passed", "broken")} == {"total": 3, "failed": 1, "passed": 2, "broken": 0}
    assert shown.categories == {"Contract violation": [f"test_operation_conforms_to_openapi[{REGISTER}]"]}
