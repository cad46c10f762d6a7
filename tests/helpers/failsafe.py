"""The fail-safe tests of interruptions and secrets (tests/failsafe/test_failsafe_signals.py,
tests/failsafe/test_failsafe_secrets.py); their fixtures are in failsafe/conftest.py.

A suite command is run as a user runs it: started the way a shell starts a foreground job (its
own process group), so a test can send a signal to the command alone or, as a terminal's Ctrl-C
does, to its whole group. Readiness is polled with a deadline (a child process appears, a result
file is written), never slept for. The gate runs of the secrets tests use a secret and a token the
test knows, so it can search everything the run wrote for them afterwards.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from helpers.suite_children import GATE_TEST_TIMEOUT_S, LATENCY_SLOS_OFF, NARROW_CONTRACT
from otp_suite.config import PROJECT_ROOT
from otp_suite.policy import FAST_TEST_POLICY
from otp_suite.service.server import ServiceProcess
from otp_suite.testdata.tokens import mint_token

#: How long a command may take to end after the signal. Issue 7 asks 30 s for contract and gate on
#: an idle machine; a loaded 2-core one takes longer to stop the xdist workers (25 s grace at most,
#: contract/runner.py), write and scrub their results and, for the gate, build the report (seen
#: over 60 s in CI); a run that ignored the signal would go on for many minutes.
STOP_DEADLINE_S = 120.0
#: How long a command may take to become busy enough to be worth interrupting: a deadline for
#: polling, not a claim (four contract workers start in 10 s idle, in over 60 s on a loaded machine).
BUSY_DEADLINE_S = 240.0


def suite_command(*args: str) -> list[str]:
    """``python -m otp_suite <args>`` with the project's interpreter."""
    return [sys.executable, "-m", "otp_suite", *args]


def command_environment(home: Path, **variables: str) -> dict[str, str]:
    """A clean environment: the venv on PATH, no OTP_* from the caller, only ``variables``."""
    return {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", **variables}


def _alive(process: psutil.Process) -> bool:
    try:
        alive: bool = process.is_running() and process.status() != psutil.STATUS_ZOMBIE  # psutil is untyped here
        return alive
    except psutil.NoSuchProcess:
        return False


def _command_line(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return ""


@dataclass
class InterruptedRun:
    """What a test needs after the interruption: exit code, output, and every process the command started."""

    exit_code: int
    stdout: str
    stderr: str
    descendants: dict[int, psutil.Process] = field(default_factory=dict)
    command_lines: dict[int, str] = field(default_factory=dict)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def started(self, fragment: str) -> int:
        """How many of the watched processes had ``fragment`` in their command line."""
        return sum(fragment in line for line in self.command_lines.values())

    def still_running(self) -> list[str]:
        """Command lines of the watched processes that outlived the command."""
        return [self.command_lines.get(pid, f"pid {pid}") for pid, process in self.descendants.items() if _alive(process)]


class BusyCommand:
    """A suite command running in its own process group, its descendants watched until it ends."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        self._root = psutil.Process(self.process.pid)
        self.descendants: dict[int, psutil.Process] = {}
        self.command_lines: dict[int, str] = {}

    def watch(self) -> None:
        """Add the command's current descendants to the watched set."""
        try:
            children = self._root.children(recursive=True)
        except psutil.NoSuchProcess:
            return
        for child in children:
            self.descendants.setdefault(child.pid, child)
            # Read again each time: a child caught between fork and exec still shows its parent's
            # command line (here: "otp_suite load --workers 2", which looks like a worker).
            line = _command_line(child)
            if line:
                self.command_lines[child.pid] = line

    def running(self, fragment: str, count: int = 1) -> bool:
        """Whether at least ``count`` live descendants have ``fragment`` in their command line."""
        self.watch()
        return sum(fragment in self.command_lines.get(pid, "") and _alive(p) for pid, p in self.descendants.items()) >= count

    def wait_until(self, ready: Callable[[BusyCommand], object], what: str) -> None:
        """Poll ``ready`` (watching descendants meanwhile) until it holds; fail the test at the deadline."""
        give_up = time.monotonic() + BUSY_DEADLINE_S
        while not ready(self):
            if self.process.poll() is not None:
                out, err = self.process.communicate()
                pytest.fail(f"the command ended (exit {self.process.returncode}) before {what}: {(out + err)[-1500:]}")
            if time.monotonic() > give_up:
                pytest.fail(f"the command did not get to {what} within {BUSY_DEADLINE_S:.0f} s")
            time.sleep(0.05)  # polling interval, not synchronisation
        self.watch()

    def interrupt(self, signum: signal.Signals, *, whole_group: bool) -> InterruptedRun:
        """Send ``signum`` to the command (or its whole group), then wait for it to end, watching its children."""
        if whole_group:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)
        return self.wait_for_end(STOP_DEADLINE_S, f"after {signum.name}")

    def wait_for_end(self, deadline_s: float, when: str) -> InterruptedRun:
        """Wait for the command to end, watching its children; fail the test (``when``: for the message) at the deadline."""
        give_up = time.monotonic() + deadline_s
        while self.process.poll() is None and time.monotonic() < give_up:
            self.watch()  # processes started while stopping (e.g. the report generator) are watched too
            time.sleep(0.05)  # polling interval
        if self.process.poll() is None:
            self.kill_all()
            pytest.fail(f"the command was still running {deadline_s:.0f} s {when}")
        out, err = self.process.communicate()
        return InterruptedRun(self.process.returncode, out, err, dict(self.descendants), dict(self.command_lines))

    def processes(self, fragment: str) -> list[psutil.Process]:
        """The live descendants with ``fragment`` in their command line."""
        self.watch()
        return [process for pid, process in self.descendants.items() if fragment in self.command_lines.get(pid, "") and _alive(process)]

    def kill_all(self) -> None:
        """Kill the command and every process it was seen to start (the test's own clean-up)."""
        for process in [self._root, *self.descendants.values()]:
            if _alive(process):
                try:
                    process.kill()
                except psutil.NoSuchProcess:
                    pass
        if self.process.poll() is None:
            self.process.wait()


def result_files(allure_dir: Path) -> set[str]:
    """Names of the Allure result files in ``allure_dir``."""
    return {path.name for path in allure_dir.glob("*-result.json")} if allure_dir.is_dir() else set()


_AGGREGATED_REQUESTS = re.compile(r"^,Aggregated,(\d+),", re.MULTILINE)


def locust_requests_so_far(load_dir: Path) -> int:
    """Requests in Locust's stats CSV, which it rewrites every second (0 before the first write)."""
    stats = load_dir / "locust_stats.csv"
    if not stats.is_file():
        return 0
    match = _AGGREGATED_REQUESTS.search(stats.read_text(encoding="utf-8", errors="replace"))
    return int(match.group(1)) if match else 0


# --- secrets: gate runs with a known secret and token, searched afterwards ------------------------

KNOWN_SECRET = "failsafe-known-secret-5f0c2a9b7e61d3c48a"
KNOWN_TOKEN = mint_token(KNOWN_SECRET, "failsafe-known-user", lifetime_s=86_400)
#: Any JWT: base64url JSON header and payload (both start ``{"`` -> ``eyJ``), and a signature.
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{20,}")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")


def secret_needles() -> dict[str, str]:
    """What must appear nowhere: the secret, the token, and each base64url part of the token.

    The header part is the same for every HS256 token and reveals nothing; it is searched for all
    the same, because a reader checking the reports cannot tell it from a leaked token fragment.
    """
    header, payload, signature = KNOWN_TOKEN.split(".")
    return {"secret": KNOWN_SECRET, "token": KNOWN_TOKEN, "token header": header, "token payload": payload, "token signature": signature}


def searchable_texts(root: Path) -> Iterator[tuple[str, str]]:
    """Every file's text under ``root``; for HTML also every base64 run in it, decoded (Allure 3 embeds its data so).

    Written apart from the suite's own scrub, so the search does not trust the code it checks.
    """
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        yield str(path), text
        if path.suffix in {".html", ".htm"}:
            for run in _BASE64_RUN.findall(text):
                try:
                    yield f"{path} (base64 data)", base64.b64decode(run + "=" * (-len(run) % 4)).decode("utf-8", errors="replace")
                except (binascii.Error, ValueError):
                    continue


def secret_leaks(texts: Iterable[tuple[str, str]]) -> list[str]:
    """``where: what`` for every needle or JWT-shaped string found (never the value itself)."""
    needles = secret_needles()
    leaks: set[str] = set()
    for where, text in texts:
        leaks.update(f"{where}: {name}" for name, needle in needles.items() if needle in text)
        if JWT_SHAPE.search(text):
            leaks.add(f"{where}: a JWT-shaped string")
    return sorted(leaks)


@dataclass(frozen=True)
class GateOnKnownSecrets:
    """A finished gate run whose secret and token the test knows."""

    exit_code: int
    output: str
    reports_dir: Path


def run_gate_against(service_env: dict[str, str], gate_env: dict[str, str], home: Path) -> GateOnKnownSecrets:
    """Start the reference service with ``service_env``, then run the whole gate at it with ``gate_env``."""
    reports = home / "reports"
    with ServiceProcess({**FAST_TEST_POLICY.as_environment(), "OTP_ENV": "", "OTP_BASE_URL": "", **service_env}) as service:
        variables = {**FAST_TEST_POLICY.as_environment(), "OTP_BASE_URL": service.url, "OTP_REPORTS_DIR": str(reports), **NARROW_CONTRACT, **LATENCY_SLOS_OFF, **gate_env}
        finished = subprocess.run(suite_command("gate", "--smoke-run-time", "3"), cwd=PROJECT_ROOT, env=command_environment(home, **variables), capture_output=True, text=True, timeout=GATE_TEST_TIMEOUT_S - 60)
    return GateOnKnownSecrets(finished.returncode, finished.stdout + finished.stderr, reports)
