"""The contract run's workers are forked from a server that has their libraries imported
(otp_suite.contract.worker_forks), and behave as workers started as new Pythons would.

Each test runs a real pytest-xdist session of a one-test project whose conftest records, in every
worker, who its parent is, its niceness, an environment variable and its working folder.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from otp_suite.config import load_config
from otp_suite.contract.runner import FIRST_WORKERS, LATER_WORKER_NICENESS, LONG_WAIT_WORKERS, side_by_side_options
from otp_suite.contract.worker_forks import CHECKED_VERSIONS, WorkerForkServer, connector_command
from otp_suite.polling import poll_until

_RECORDING_CONFTEST = """\
import json, os, pathlib, sys
def pytest_configure(config):
    worker = getattr(config, "workerinput", {}).get("workerid", "controller")
    record = {"pid": os.getpid(), "parent": os.getppid(), "nice": os.nice(0), "marker": os.environ.get("FORK_PROBE_MARKER"),
              "cwd": os.getcwd(), "schema_module_preloaded": "schemathesis.specs.openapi.schemas" in sys.modules}
    (pathlib.Path(__file__).parent / f"{worker}.json").write_text(json.dumps(record))
"""


def run_recorded_session(project: Path, xdist_options: list[str]) -> dict[str, dict[str, object]]:
    """Run the one-test project with ``xdist_options``; what each process (``controller``, ``gw0``...) recorded."""
    (project / "conftest.py").write_text(_RECORDING_CONFTEST)
    (project / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    environment = {**os.environ, "FORK_PROBE_MARKER": "handed-over"}
    command = [sys.executable, "-m", "pytest", "test_nothing.py", *xdist_options, "-p", "no:cacheprovider", "-q", "-o", "addopts=", "--rootdir", str(project)]
    finished = subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True, timeout=240)
    assert finished.returncode == 0, f"the xdist session failed (exit {finished.returncode}): {(finished.stdout + finished.stderr)[-2000:]}"
    return {path.stem: json.loads(path.read_text()) for path in project.glob("*.json")}


def test_workers_are_forked_from_the_server_with_the_runs_environment_folder_and_niceness(tmp_path: Path) -> None:
    production = load_config({"OTP_TTL_S": "300"})  # a policy with long waits: later workers niced
    with WorkerForkServer(dict(os.environ), tmp_path) as server:
        options = side_by_side_options(production, echo=lambda _: None, worker_python=server.python)
        records = run_recorded_session(tmp_path, options)
        server_pid = server.pid

    workers = {name: record for name, record in records.items() if name != "controller"}
    assert sorted(workers) == [f"gw{index}" for index in range(LONG_WAIT_WORKERS)], f"workers that started: {sorted(workers)}"
    assert {record["parent"] for record in workers.values()} == {server_pid}, "every worker is a child of the fork server"
    assert all(record["schema_module_preloaded"] for record in workers.values()), "the workers start with the server's imports"
    assert {record["marker"] for record in workers.values()} == {"handed-over"}, "each worker has the environment its client had"
    assert {record["cwd"] for record in workers.values()} == {str(tmp_path)}, "each worker runs in its client's folder"
    later = min(LATER_WORKER_NICENESS, 19 - os.nice(0))
    niceness = {name: int(str(record["nice"])) - os.nice(0) for name, record in workers.items()}
    assert niceness == {f"gw{index}": 0 if index < FIRST_WORKERS else later for index in range(LONG_WAIT_WORKERS)}


def test_without_its_server_a_client_starts_a_plain_worker(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid no server runs under
    options = ["--dist", "load", "--tx", f"2*popen//python={connector_command(str(tmp_path / 'no-socket'), gone.pid)}"]

    records = run_recorded_session(tmp_path, options)

    controller = records.pop("controller")
    assert sorted(records) == ["gw0", "gw1"], f"workers that started: {sorted(records)}"
    assert {record["parent"] for record in records.values()} == {controller["pid"]}, "each worker is its own client, started by the controller"
    assert not any(record["schema_module_preloaded"] for record in records.values()), "a plain worker imported only what its plugins need"


def test_the_server_ends_with_its_context_and_leaves_no_process_in_its_group(tmp_path: Path) -> None:
    with WorkerForkServer(dict(os.environ), tmp_path) as server:
        records = run_recorded_session(tmp_path, ["--dist", "load", "--tx", f"2*popen//python={server.python}"])
        server_pid = server.pid
        assert psutil.pid_exists(server_pid), "the server runs while its context is open"

    assert {records["gw0"]["parent"], records["gw1"]["parent"]} == {server_pid}
    assert not psutil.pid_exists(server_pid), "the server outlived its context"
    left = [process.pid for process in psutil.process_iter() if _group_of(process.pid) == server_pid]
    assert left == [], f"processes left in the server's process group: {left}"


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


_ASLEEP_TEST = """\
import pathlib, time
def test_asleep_in_a_policy_wait():
    here = pathlib.Path(__file__).parent
    (here / "asleep").touch()
    try:
        time.sleep(120)
    except KeyboardInterrupt:
        (here / "interrupted").touch()
        raise
"""


def test_sigint_to_the_servers_group_interrupts_a_forked_worker_asleep_in_a_test(tmp_path: Path) -> None:
    (tmp_path / "test_asleep.py").write_text(_ASLEEP_TEST)
    command = [sys.executable, "-m", "pytest", "test_asleep.py", "-p", "no:cacheprovider", "-q", "-o", "addopts=", "--rootdir", str(tmp_path)]
    with WorkerForkServer(dict(os.environ), tmp_path) as server:
        session = subprocess.Popen([*command, "--dist", "load", "--tx", f"1*popen//python={server.python}"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            poll_until(lambda: (tmp_path / "asleep").exists(), deadline_s=120, what="the forked worker starting its test")

            server.signal_workers(signal.SIGINT)  # what the runner does when a run is interrupted

            # Well within the 120 s sleep: the worker itself was interrupted, not woken by its end.
            poll_until(lambda: (tmp_path / "interrupted").exists(), deadline_s=60, what="the forked worker's KeyboardInterrupt")
        finally:
            os.killpg(session.pid, signal.SIGKILL)
            session.wait()


def test_a_server_that_cannot_fork_safely_says_why_and_its_clients_start_plain_workers(tmp_path: Path) -> None:
    startup = tmp_path / "startup"
    startup.mkdir()
    # Run by every Python started with this environment: the server then holds a second thread.
    (startup / "sitecustomize.py").write_text("import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n")
    project = tmp_path / "project"
    project.mkdir()
    with WorkerForkServer({**os.environ, "PYTHONPATH": str(startup)}, project) as server:
        records = run_recorded_session(project, ["--dist", "load", "--tx", f"2*popen//python={server.python}"])

    assert server.failure is not None and "started a thread" in server.failure, f"the server's reason: {server.failure!r}"
    controller = records.pop("controller")
    assert {record["parent"] for record in records.values()} == {controller["pid"]}, "each worker started as a new Python"


@pytest.mark.parametrize(("distribution", "checked"), sorted(CHECKED_VERSIONS.items()))
def test_the_fork_server_runs_only_on_the_versions_it_was_checked_against(distribution: str, checked: str) -> None:
    """The fork server stands in for the python execnet starts (an internal protocol): a new version must be checked first."""
    installed = importlib.metadata.version(distribution)

    assert installed == checked, (
        f"{distribution} {installed} is installed; otp_suite.contract.worker_forks was checked against {checked}. It relies on "
        "execnet starting a worker as `<python> -u -c <bootstrap>` over its stdin/stdout and on xdist's `--tx ...//python=` spec: "
        "run tests/contract/test_worker_forks.py and benchmarks/bench_contract_speed_machinery.py forks, then set "
        f"CHECKED_VERSIONS[{distribution!r}] = {installed!r} (or remove the fork server: ARCHITECTURE.md, 'Speed machinery')"
    )
