"""A stage as its users have it (issue 24): behind a private CA, misnamed, or failing on the way mid-run.

Each test runs the real ``python -m otp_suite <command>`` in a child process against a reference
service on loopback: over HTTPS with a certificate signed by a CA made in the test (trustme), over
plain HTTP named by an https:// URL, or answering verify too late. A setup or network problem is
exit 2 with one line naming it, never a contract failure (exit 1: the target answered wrongly).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers.failsafe_targets import SHORT_RUN_ARGS, PrivateCaTarget, ReferenceTarget, SuiteRun, assert_fails_safe
from otp_suite.report.categories import TARGET_UNREACHABLE, category_of
from otp_suite.report.paths import ReportPaths

COMMANDS = ("contract", "load", "gate")
#: Schemathesis (requests) and the scenario flows (httpx) both go to the target, with the inbox.
BOTH_CLIENTS = "(test_operation_conforms_to_openapi and register) or test_registered_otp_verifies"


def _junit_cases(path: Path) -> list[tuple[str, str, str]]:
    """(name, outcome, message) of every case: outcome passed, failed, error or skipped."""
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        verdict = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
        outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}.get(verdict.tag, "passed") if verdict is not None else "passed"
        cases.append((case.get("name", ""), outcome, verdict.get("message", "") if verdict is not None else ""))
    return cases


# --- a private CA ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_without_trust_in_the_private_ca_every_command_exits_2_naming_tls_and_otp_ca_bundle(run_suite: Callable[..., SuiteRun], private_ca_target: PrivateCaTarget, command: str) -> None:
    run = run_suite(command, *SHORT_RUN_ARGS[command], env=private_ca_target.target.env)

    assert_fails_safe(run, command, exit_code=2, names=private_ca_target.target.url, causes=("failed TLS verification",))
    assert "OTP_CA_BUNDLE" in run.diagnosis  # the fix, named


def test_gate_with_otp_ca_bundle_passes_a_target_behind_a_private_ca_contract_and_load_smoke(run_suite: Callable[..., SuiteRun], private_ca_target: PrivateCaTarget) -> None:
    run = run_suite("gate", *SHORT_RUN_ARGS["gate"], env={**private_ca_target.target.env, "OTP_CA_BUNDLE": str(private_ca_target.ca)})

    assert run.exit_code == 0, run
    assert "otp-suite gate: PASSED (exit 0)" in run.stdout
    # Locust's users (geventhttpclient, a TLS stack of its own) went over TLS too: requests, no failure.
    summary = json.loads((ReportPaths(run.reports_dir).load_dir / "summary.json").read_text(encoding="utf-8"))
    register = next(entry for entry in summary["entries"] if entry["name"] == "register")
    assert register["requests"] > 0 and all(entry["failures"] == 0 for entry in summary["entries"]), summary["entries"]


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_a_ca_trusted_the_python_way_is_trusted_by_every_client_of_the_contract_run(run_suite: Callable[..., SuiteRun], private_ca_target: PrivateCaTarget, variable: str) -> None:
    # SSL_CERT_FILE alone once passed the preflight (httpx) and failed every Schemathesis call (requests): exit 1.
    run = run_suite("contract", "--select", BOTH_CLIENTS, env={**private_ca_target.target.env, variable: str(private_ca_target.ca)})

    assert run.exit_code == 0, run
    assert "contract holds" in run.diagnosis and " 0 failed" in run.diagnosis


def test_an_https_url_on_a_plain_http_port_is_named_as_such_not_as_a_certificate_problem(run_suite: Callable[..., SuiteRun], reference_target: ReferenceTarget) -> None:
    url = reference_target.url.replace("http://", "https://", 1)

    run = run_suite("contract", env={**reference_target.env, "OTP_BASE_URL": url})

    assert_fails_safe(run, "contract", exit_code=2, names=url, causes=("speaks plain HTTP, not TLS",))
    assert reference_target.url in run.diagnosis  # the URL that works
    assert "OTP_VERIFY_TLS" not in run.diagnosis and "certificate" not in run.diagnosis


# --- network errors in the middle of the run --------------------------------------------------------


@pytest.mark.parametrize("faulty_target", ["slow_verify:3000"], indirect=True)
def test_answers_that_time_out_mid_run_are_not_judged_exit_2_never_counted_as_contract_failures(run_suite: Callable[..., SuiteRun], faulty_target: ReferenceTarget) -> None:
    # The preflight's probes (register, no token) are answered at once; every verify comes 3 s late.
    run = run_suite("contract", "--select", "(test_operation_conforms_to_openapi and verify) or test_registered_otp_verifies", env={**faulty_target.env, "OTP_REQUEST_TIMEOUT_S": "1", "OTP_MAX_EXAMPLES": "2"})

    assert_fails_safe(run, "contract", exit_code=2, names=faulty_target.url, causes=("could not be judged",))
    assert "ReadTimeout" in run.diagnosis
    cases = _junit_cases(ReportPaths(run.reports_dir).contract_junit)
    assert [outcome for _, outcome, _ in cases if outcome != "passed"] == ["error", "error"], cases
    assert all(message.startswith(f"{TARGET_UNREACHABLE}: POST") for _, outcome, message in cases if outcome == "error"), cases
    results = [json.loads(path.read_text(encoding="utf-8")) for path in ReportPaths(run.reports_dir).allure_results.glob("*-result.json")]
    not_passed = [(result["status"], category_of(result["status"], result["statusDetails"]["message"])) for result in results if result["status"] != "passed"]
    assert not_passed == [("broken", TARGET_UNREACHABLE)] * 2, not_passed


# --- JUnit for a CI test tab, whatever happens --------------------------------------------------


def test_a_gate_that_cannot_reach_its_target_writes_junit_with_an_errored_preflight_naming_the_cause(run_suite: Callable[..., SuiteRun], refused_url: str) -> None:
    run = run_suite("gate", *SHORT_RUN_ARGS["gate"], env={"OTP_BASE_URL": refused_url, "OTP_JWT_SECRET": "x" * 32})

    cases = _junit_cases(ReportPaths(run.reports_dir).gate_junit)

    assert run.exit_code == 2, run
    errored = [(name, message) for name, outcome, message in cases if outcome == "error"]
    assert len(errored) == 1 and "refused the connection" in errored[0][1] and refused_url in errored[0][1], cases
    assert ("contract suite", "skipped", "not run: the preflight could not judge the target") in cases


def test_a_gate_whose_only_breach_is_a_load_slo_writes_junit_with_that_slo_failed(run_suite: Callable[..., SuiteRun], reference_target: ReferenceTarget, tmp_path: Path) -> None:
    # Every limit off but one the target cannot meet: verify's p50 under 1 ms, over HTTP.
    slos = "register.p50_ms=off,register.p95_ms=off,register.p99_ms=off,resend.p50_ms=off,resend.p95_ms=off,resend.p99_ms=off,verify.p50_ms=0.001,verify.p95_ms=off,verify.p99_ms=off,flow.p50_ms=off,flow.p95_ms=off,flow.p99_ms=off"

    run = run_suite("gate", *SHORT_RUN_ARGS["gate"], env={**reference_target.env, "OTP_SLO": slos})

    paths = ReportPaths(run.reports_dir)
    assert run.exit_code == 1, run
    failed = [(name, message) for path in paths.junit_files for name, outcome, message in _junit_cases(path) if outcome in ("failed", "error")]
    assert len(failed) == 1 and failed[0][0] == "verify.p50_ms <= 0.001", failed
    assert failed[0][1].startswith("SLO breached: verify.p50_ms measured ")


def test_a_contract_run_that_cannot_reach_its_target_writes_junit_with_one_errored_case_naming_the_cause(run_suite: Callable[..., SuiteRun], refused_url: str) -> None:
    run = run_suite("contract", env={"OTP_BASE_URL": refused_url, "OTP_JWT_SECRET": "x" * 32})

    cases = _junit_cases(ReportPaths(run.reports_dir).contract_junit)

    assert run.exit_code == 2, run
    assert len(cases) == 1 and cases[0][1] == "error" and "refused the connection" in cases[0][2] and refused_url in cases[0][2], cases
