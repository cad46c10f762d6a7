"""Fixtures of the fail-safe tests (issue 7): the real ``otp-suite`` command in a child process with a
clean environment (helpers.failsafe_targets), suite commands to interrupt and gate runs with known
secrets (helpers.failsafe), correct reference services to point them at (plain, and behind a
certificate no client trusts), and misbehaving servers (helpers.misbehaving_servers).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from helpers.failsafe import KNOWN_SECRET, KNOWN_TOKEN, BusyCommand, GateOnKnownSecrets, command_environment, run_gate_against, suite_command
from helpers.failsafe_targets import FAILSAFE_SECRET, KILL_AFTER_S, PrivateCaTarget, ReferenceTarget, SuiteRun, reference_env
from helpers.misbehaving_servers import MisbehavingServer
from helpers.suite_children import LATENCY_SLOS_OFF, NARROW_CONTRACT
from helpers.tls import untrusted_certificate
from otp_suite.policy import FAST_TEST_POLICY
from otp_suite.service import ServiceSettings, create_app
from otp_suite.service.faults import parse_faults
from otp_suite.service.server import ServiceThread

# --- broken targets and bad configuration (test_failsafe_targets.py, test_failsafe_config.py) ------


@pytest.fixture
def run_suite(tmp_path: Path) -> Callable[..., SuiteRun]:
    """``run_suite("contract", *args, env={...})``: run ``python -m otp_suite`` in a child process.

    Its environment has no OTP_* variable but ``env``'s and OTP_REPORTS_DIR (a temporary folder);
    stdin is closed. A run that outlives KILL_AFTER_S is killed with its whole process group.
    """

    def run(command: str, *args: str, env: Mapping[str, str] | None = None) -> SuiteRun:
        clean = {key: value for key, value in os.environ.items() if not key.startswith("OTP_")}
        clean.update({"OTP_REPORTS_DIR": str(tmp_path / "reports"), **NARROW_CONTRACT, **LATENCY_SLOS_OFF, **(env or {})})
        reports_dir = Path(clean["OTP_REPORTS_DIR"])
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "otp_suite", command, *args],
            env=clean, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        try:
            stdout, stderr = process.communicate(timeout=KILL_AFTER_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
        return SuiteRun(process.returncode, stdout, stderr, time.monotonic() - started, reports_dir)

    return run


@pytest.fixture
def reference_target() -> Iterator[ReferenceTarget]:
    """A correct reference service (fast test policy, test inbox) over plain HTTP."""
    settings = ServiceSettings(jwt_secret=FAILSAFE_SECRET, policy=FAST_TEST_POLICY)
    with ServiceThread(create_app(settings)) as service:
        yield ReferenceTarget(service.url, reference_env(service.url))


@pytest.fixture
def self_signed_target(tmp_path: Path) -> Iterator[ReferenceTarget]:
    """A correct reference service over HTTPS whose certificate for 127.0.0.1 no client trusts.

    As good as self-signed for these tests: a fresh CA (helpers.tls) signed it, and the suite is
    never handed that CA, so a run that verifies certificates must refuse the target.
    """
    certificate = untrusted_certificate(tmp_path)
    settings = ServiceSettings(jwt_secret=FAILSAFE_SECRET, policy=FAST_TEST_POLICY)
    with ServiceThread(create_app(settings), tls=certificate.tls) as service:
        yield ReferenceTarget(service.url, reference_env(service.url))


@pytest.fixture
def private_ca_target(tmp_path: Path) -> Iterator[PrivateCaTarget]:
    """A correct reference service over HTTPS, its certificate signed by a CA made for the test (a
    company's internal CA, as a stage has it), and that CA's PEM file to trust it with."""
    certificate = untrusted_certificate(tmp_path)
    settings = ServiceSettings(jwt_secret=FAILSAFE_SECRET, policy=FAST_TEST_POLICY)
    with ServiceThread(create_app(settings), tls=certificate.tls) as service:
        yield PrivateCaTarget(ReferenceTarget(service.url, reference_env(service.url)), certificate.ca)


@pytest.fixture
def faulty_target(request: pytest.FixtureRequest) -> Iterator[ReferenceTarget]:
    """The reference service over plain HTTP breaking the faults its test names:
    ``@pytest.mark.parametrize("faulty_target", ["slow_verify:3000"], indirect=True)``."""
    settings = ServiceSettings(jwt_secret=FAILSAFE_SECRET, policy=FAST_TEST_POLICY, faults=parse_faults(request.param))
    with ServiceThread(create_app(settings)) as service:
        yield ReferenceTarget(service.url, reference_env(service.url))


@pytest.fixture
def misbehaving_server() -> Iterator[type[MisbehavingServer]]:
    """The :class:`MisbehavingServer` class; use it as a context manager in the test."""
    yield MisbehavingServer


# --- interruptions and secrets (test_failsafe_signals.py, test_failsafe_secrets.py) -----------------


@pytest.fixture
def busy_command(tmp_path: Path) -> Iterator[Callable[..., BusyCommand]]:
    """Start suite commands in their own process groups; whatever a failed test leaves is killed."""
    started: list[BusyCommand] = []

    def start(*args: str, **variables: str) -> BusyCommand:
        command = BusyCommand(suite_command(*args), command_environment(tmp_path, **variables))
        started.append(command)
        return command

    yield start
    for command in started:
        command.kill_all()


@pytest.fixture(scope="module")
def gate_with_known_secret(tmp_path_factory: pytest.TempPathFactory) -> GateOnKnownSecrets:
    """The whole gate against a sound service, signing its own tokens with the known secret."""
    return run_gate_against({"OTP_JWT_SECRET": KNOWN_SECRET}, {"OTP_JWT_SECRET": KNOWN_SECRET}, tmp_path_factory.mktemp("gate-known-secret"))


@pytest.fixture(scope="module")
def gate_with_known_token(tmp_path_factory: pytest.TempPathFactory) -> GateOnKnownSecrets:
    """The whole gate against a sound service with the known token (OTP_JWT_TOKEN: the suite cannot mint)."""
    return run_gate_against({"OTP_JWT_SECRET": KNOWN_SECRET}, {"OTP_JWT_TOKEN": KNOWN_TOKEN}, tmp_path_factory.mktemp("gate-known-token"))


@pytest.fixture(scope="module")
def gate_on_a_target_echoing_tokens(tmp_path_factory: pytest.TempPathFactory) -> GateOnKnownSecrets:
    """The whole gate with the known secret, against a service that echoes tokens in its 401 messages.

    With the secret the suite mints bad tokens (expired, tampered, ...) that the service refuses
    and echoes: real token material for the scrub, unknown to the test.
    """
    service = {"OTP_JWT_SECRET": KNOWN_SECRET, "OTP_FAULT": "leak_token"}
    return run_gate_against(service, {"OTP_JWT_SECRET": KNOWN_SECRET}, tmp_path_factory.mktemp("gate-leaking-target"))
