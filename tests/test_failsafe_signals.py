"""Ctrl-C and SIGTERM stop a run cleanly: no process of the suite is left, the results so far are
kept and marked interrupted, the exit code is 2 ("could not judge") with a one-line diagnosis.

Each command is interrupted while it is busy: the contract suite once it has written results, the
load run once Locust has counted requests, the gate in its contract step. Each signal is sent the
three ways it arrives in practice: SIGINT to the command alone (``kill -INT``), SIGINT to the whole
process group (a terminal's Ctrl-C) and SIGTERM to the command (a CI runner cancelling a job).
"""

from __future__ import annotations

import json
import re
import signal

import pytest
from failsafe_fixtures import locust_requests_so_far, result_files

#: Becoming busy, then stopping (failsafe_fixtures deadlines), on a loaded machine.
pytestmark = pytest.mark.timeout(600)

DELIVERIES = [
    pytest.param(signal.SIGINT, False, id="SIGINT-to-command"),
    pytest.param(signal.SIGINT, True, id="SIGINT-to-group"),
    pytest.param(signal.SIGTERM, False, id="SIGTERM-to-command"),
]
EMBEDDED_SERVICE = "otp_suite serve"


def _diagnosis(run, signum) -> list[str]:
    return [line for line in run.stderr.splitlines() if re.match(rf"otp-suite: cannot judge: interrupted\b.*\b{signum.name}\b", line)]


def _results_named(allure_dir, name) -> list[dict]:
    results = [json.loads(path.read_text(encoding="utf-8")) for path in allure_dir.glob("*-result.json")]
    return [result for result in results if result.get("name") == name]


def _assert_stopped_cleanly(run, signum) -> None:
    assert run.still_running() == []
    assert run.exit_code == 2, run.output[-2000:]
    assert len(_diagnosis(run, signum)) == 1, run.stderr[-2000:]
    assert "Traceback" not in run.output


@pytest.mark.parametrize(("signum", "whole_group"), DELIVERIES)
def test_interrupted_contract_run_stops_pytest_and_the_service_and_keeps_its_results(busy_command, tmp_path, signum, whole_group):
    allure_dir = tmp_path / "reports" / "allure-results"
    command = busy_command("contract", OTP_REPORTS_DIR=str(tmp_path / "reports"))
    command.wait_until(lambda c: c.running("contract_tests") and c.running(EMBEDDED_SERVICE) and result_files(allure_dir), "the first contract result")
    written_before = result_files(allure_dir)

    run = command.interrupt(signum, whole_group=whole_group)

    _assert_stopped_cleanly(run, signum)
    assert run.started("contract_tests") == 1 and run.started(EMBEDDED_SERVICE) >= 2  # pytest; service and its granian worker
    assert written_before <= result_files(allure_dir)
    [marker] = _results_named(allure_dir, "contract run interrupted")
    assert marker["status"] == "broken" and signum.name in marker["statusDetails"]["message"]
    assert (tmp_path / "reports" / "contract" / "junit.xml").is_file()


@pytest.mark.parametrize(("signum", "whole_group"), DELIVERIES)
def test_interrupted_load_run_stops_locust_master_and_workers_and_marks_its_summary(busy_command, tmp_path, signum, whole_group):
    load_dir = tmp_path / "reports" / "load"
    command = busy_command("load", "--workers", "2", "--run-time", "60s", OTP_REPORTS_DIR=str(tmp_path / "reports"))
    command.wait_until(lambda c: c.running("--master-host", 2) and c.running(EMBEDDED_SERVICE) and locust_requests_so_far(load_dir) > 0, "Locust counting requests")

    run = command.interrupt(signum, whole_group=whole_group)

    _assert_stopped_cleanly(run, signum)
    assert run.started("locust") == 3 and run.started(EMBEDDED_SERVICE) >= 2  # master, 2 workers; service and worker
    summary = json.loads((load_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["interrupted"] is True and summary["interrupted_by"] == signum.name and summary["passed"] is False
    assert sum(entry["requests"] for entry in summary["entries"]) > 0
    [result] = _results_named(tmp_path / "reports" / "allure-results", "load: SLO gate")
    assert result["status"] == "broken" and "interrupted" in result["statusDetails"]["message"]


@pytest.mark.parametrize(("signum", "whole_group"), DELIVERIES)
def test_interrupted_gate_stops_every_step_and_reports_the_run_as_interrupted(busy_command, tmp_path, signum, whole_group):
    reports = tmp_path / "reports"
    command = busy_command("gate", OTP_REPORTS_DIR=str(reports))
    command.wait_until(lambda c: c.running("contract_tests") and result_files(reports / "allure-results"), "the first contract result")

    run = command.interrupt(signum, whole_group=whole_group)

    _assert_stopped_cleanly(run, signum)
    assert run.started("contract_tests") == 1 and run.started(EMBEDDED_SERVICE) >= 2
    assert "otp-suite gate: COULD NOT JUDGE (exit 2)" in run.stdout
    assert re.search(rf"^\s+interrupted\s+could not judge\s+by {signum.name}\b", run.stdout, re.MULTILINE), run.stdout[-2000:]
    [marker] = _results_named(reports / "allure-results", "gate run interrupted")
    assert marker["status"] == "broken" and signum.name in marker["statusDetails"]["message"]
    assert (reports / "allure-report" / "index.html").is_file()
