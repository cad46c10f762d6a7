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
import time
from pathlib import Path
from typing import Any

import pytest

from helpers.failsafe import BUSY_DEADLINE_S, InterruptedRun, locust_requests_so_far, result_files
from helpers.suite_children import LATENCY_SLOS_OFF, TWO_WORKER_CONTRACT
from otp_suite.loadtest.locust_run import WORKER_MISSING_AFTER_S

#: Becoming busy, then stopping (helpers.failsafe deadlines), on a loaded machine.
pytestmark = pytest.mark.timeout(600)

DELIVERIES = [
    pytest.param(signal.SIGINT, False, id="SIGINT-to-command"),
    pytest.param(signal.SIGINT, True, id="SIGINT-to-group"),
    pytest.param(signal.SIGTERM, False, id="SIGTERM-to-command"),
]
EMBEDDED_SERVICE = "otp_suite serve"
FORKED_WORKERS = "worker_forks serve"


def _diagnosis(run: InterruptedRun, signum: signal.Signals) -> list[str]:
    return [line for line in run.stderr.splitlines() if re.match(rf"otp-suite: cannot judge: interrupted\b.*\b{signum.name}\b", line)]


def _results_named(allure_dir: Path, name: str) -> list[dict[str, Any]]:
    results = [json.loads(path.read_text(encoding="utf-8")) for path in allure_dir.glob("*-result.json")]
    return [result for result in results if result.get("name") == name]


def _assert_stopped_cleanly(run: InterruptedRun, signum: signal.Signals) -> None:
    assert run.still_running() == []
    assert run.exit_code == 2, run.output[-2000:]
    assert len(_diagnosis(run, signum)) == 1, run.stderr[-2000:]
    assert "Traceback" not in run.output


@pytest.mark.parametrize(("signum", "whole_group"), DELIVERIES)
def test_interrupted_contract_run_stops_pytest_and_the_service_and_keeps_its_results(busy_command, tmp_path, signum, whole_group):
    allure_dir = tmp_path / "reports" / "allure-results"
    command = busy_command("contract", OTP_REPORTS_DIR=str(tmp_path / "reports"), **TWO_WORKER_CONTRACT)
    # The fork server and the two workers it forked (otp_suite.contract.worker_forks) share its command line.
    command.wait_until(lambda c: c.running("contract_tests") and c.running(FORKED_WORKERS, 3) and c.running(EMBEDDED_SERVICE) and result_files(allure_dir), "the first contract result")
    written_before = result_files(allure_dir)

    run = command.interrupt(signum, whole_group=whole_group)

    _assert_stopped_cleanly(run, signum)
    assert run.started("contract_tests") == 1 and run.started(EMBEDDED_SERVICE) >= 2  # pytest; service and its granian worker
    # The fork server and its two workers, all stopped (above); a child a worker forks shows the same
    # command line until it execs, so it may be counted too.
    assert run.started(FORKED_WORKERS) >= 3
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
    command = busy_command("gate", OTP_REPORTS_DIR=str(reports), **TWO_WORKER_CONTRACT)
    command.wait_until(lambda c: c.running("contract_tests") and result_files(reports / "allure-results"), "the first contract result")

    run = command.interrupt(signum, whole_group=whole_group)

    _assert_stopped_cleanly(run, signum)
    assert run.started("contract_tests") == 1 and run.started(EMBEDDED_SERVICE) >= 2
    assert "otp-suite gate: COULD NOT JUDGE (exit 2)" in run.stdout
    assert re.search(rf"^\s+interrupted\s+could not judge\s+by {signum.name}\b", run.stdout, re.MULTILINE), run.stdout[-2000:]
    [marker] = _results_named(reports / "allure-results", "gate run interrupted")
    assert marker["status"] == "broken" and signum.name in marker["statusDetails"]["message"]
    assert (reports / "allure-report" / "index.html").is_file()


#: How long both workers are frozen: longer than Locust's own 3 s heartbeat allowance, within ours.
WORKERS_FROZEN_S = 8


def test_workers_starved_longer_than_locusts_heartbeat_allowance_stay_in_the_run(busy_command, tmp_path):
    # A loaded CI machine starved both workers of a distributed run as they spawned their users;
    # Locust counted them missing after 3 s and stopped the test for good (0 requests in 60 s).
    load_dir = tmp_path / "reports" / "load"
    # Requests in flight at the freeze answer after it: within a request timeout longer than the freeze.
    command = busy_command("load", "--workers", "2", "--run-time", "40s", OTP_REPORTS_DIR=str(tmp_path / "reports"), OTP_REQUEST_TIMEOUT_S="40", **LATENCY_SLOS_OFF)
    command.wait_until(lambda c: c.running("--master-host", 2) and locust_requests_so_far(load_dir) > 0, "Locust counting requests")
    workers = command.processes("--master-host")

    for worker in workers:
        worker.suspend()  # SIGSTOP: the starvation, made certain
    time.sleep(WORKERS_FROZEN_S)  # the fault's length, not synchronisation: nothing is awaited here
    before = locust_requests_so_far(load_dir)
    for worker in workers:
        worker.resume()
    command.wait_until(lambda c: locust_requests_so_far(load_dir) > before, "requests after the workers were resumed")
    run = command.wait_for_end(BUSY_DEADLINE_S, "after its run time")

    assert len(workers) == 2
    assert run.exit_code == 0, run.output[-2000:]


def test_a_run_whose_every_worker_went_missing_cannot_be_judged_and_says_so(busy_command, tmp_path):
    # Past the allowance Locust stops the test for good but still exits 0 at the run time: the
    # figures of the few seconds before would pass as the run's.
    load_dir = tmp_path / "reports" / "load"
    command = busy_command("load", "--workers", "2", "--run-time", f"{WORKER_MISSING_AFTER_S + 20}s", OTP_REPORTS_DIR=str(tmp_path / "reports"), **LATENCY_SLOS_OFF)
    command.wait_until(lambda c: c.running("--master-host", 2) and locust_requests_so_far(load_dir) > 0, "Locust counting requests")
    workers = command.processes("--master-host")

    for worker in workers:
        worker.suspend()
    time.sleep(WORKER_MISSING_AFTER_S + 5)  # the fault's length: past the allowance
    for worker in workers:
        worker.resume()
    run = command.wait_for_end(BUSY_DEADLINE_S, "after its run time")

    assert run.exit_code == 2, run.output[-2000:]
    assert "every Locust worker stopped answering" in run.stderr
