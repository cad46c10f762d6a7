"""Real failures of the suite land in their categories, in Allure 2 and in Allure 3 alike.

One results folder gathers real failures: a security fault (``accept_alg_none``) and a lifecycle
fault (``otp_reusable``) of the catalog caught by the contract suite, an availability fault
(``html_502``: a gateway answering for a service it cannot reach) stopping the contract run, and
the gate (the library, no command line) against a target that refuses the connection. Allure 2
(``allure-commandline``) and Allure 3 each read it back; every failure is in exactly one category.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.report import allure2_categories, allure2_report, allure3_data_report
from helpers.suite_children import SERIAL_CONTRACT
from otp_suite.config import load_config
from otp_suite.contract.runner import NOT_THE_API_CHECK, run_contract
from otp_suite.gating import PREFLIGHT_CHECK, run_gate
from otp_suite.report.build import describe_run
from otp_suite.report.categories import CONTRACT_VIOLATION, SECURITY, TARGET_UNREACHABLE
from otp_suite.report.paths import ReportPaths
from otp_suite.target import resolved_target

# A contract run and two report generators: minutes on a busy machine, bounded all the same.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SECRET = "categories-test-secret-0123456789abcdef"
ALG_NONE = "test_bad_token_refused[alg_none-resend]"
REPLAY = "test_consumed_challenge_refuses_replay"

#: test name -> the category its failure must land in
EXPECTED = {
    ALG_NONE: SECURITY,
    REPLAY: CONTRACT_VIOLATION,
    NOT_THE_API_CHECK: TARGET_UNREACHABLE,
    PREFLIGHT_CHECK: TARGET_UNREACHABLE,
}


@dataclass(frozen=True)
class RealFailures:
    results_dir: Path
    gate_exit_code: int


@pytest.fixture(scope="module")
def real_failures(tmp_path_factory: pytest.TempPathFactory, refused_url_module: str) -> RealFailures:
    root = tmp_path_factory.mktemp("categories")
    results = root / "allure-results"
    config = load_config({"OTP_MAX_EXAMPLES": "5", **SERIAL_CONTRACT}, jwt_secret=SECRET, reports_dir=root / "contract")
    with resolved_target(config, fault="accept_alg_none,otp_reusable") as target:
        run_contract(target, allure_dir=results, junit_path=root / "a.xml", echo=lambda _: None, pytest_args=[f"contract_tests/test_security.py::{ALG_NONE}", f"contract_tests/test_lifecycle.py::{REPLAY}"])
    with resolved_target(config, fault="html_502") as target:
        run_contract(target, allure_dir=results, junit_path=root / "b.xml", echo=lambda _: None, pytest_args=[f"contract_tests/test_lifecycle.py::{REPLAY}"])
    gate_paths = ReportPaths(root / "gate")
    gate_config = load_config({"OTP_BASE_URL": refused_url_module, "OTP_JWT_SECRET": SECRET}, reports_dir=gate_paths.root, gate_load=False, gate_report=False)
    gate = run_gate(gate_config, say=lambda _: None, warn=lambda _: None)
    for result in gate_paths.allure_results.glob("*-result.json"):
        (results / result.name).write_bytes(result.read_bytes())
    describe_run(results, config)
    return RealFailures(results, gate.exit_code or 0)


@pytest.fixture(scope="module")
def refused_url_module() -> Iterator[str]:
    """A loopback URL on which nothing listens (a port bound, never listened on, kept for the module)."""
    import socket

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{holder.getsockname()[1]}"
    holder.close()


def _filed(categories: dict[str, list[str]]) -> dict[str, list[str]]:
    """test name -> every category it is filed under."""
    filed: dict[str, list[str]] = {}
    for category, tests in categories.items():
        for test in tests:
            filed.setdefault(test, []).append(category)
    return filed


def test_gate_library_runs_without_the_command_line_and_cannot_judge_a_refused_target(real_failures):
    assert real_failures.gate_exit_code == 2


def test_every_real_failure_is_a_failure_or_broken_result(real_failures):
    statuses = {r["name"]: r["status"] for r in map(json.loads, (p.read_text(encoding="utf-8") for p in real_failures.results_dir.glob("*-result.json")))}

    assert set(EXPECTED) <= set(statuses), statuses
    assert all(statuses[name] in ("failed", "broken") for name in EXPECTED), statuses


def test_allure2_files_each_failure_in_its_category_once(real_failures, tmp_path):
    filed = _filed(allure2_categories(allure2_report(real_failures.results_dir, tmp_path / "allure2")))

    assert {name: filed.get(name) for name in EXPECTED} == {name: [category] for name, category in EXPECTED.items()}


def test_allure3_files_each_failure_in_its_category_once(real_failures, tmp_path):
    filed = _filed(allure3_data_report(real_failures.results_dir, tmp_path / "allure3").categories)

    assert {name: filed.get(name) for name in EXPECTED} == {name: [category] for name, category in EXPECTED.items()}


def test_security_and_lifecycle_failures_rank_above_schema_details(real_failures):
    severities = {}
    for path in real_failures.results_dir.glob("*-result.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        severities[result["name"]] = next(label["value"] for label in result["labels"] if label["name"] == "severity")

    assert severities[ALG_NONE] == "critical" and severities[REPLAY] == "critical"
    assert severities[PREFLIGHT_CHECK] == "blocker"
