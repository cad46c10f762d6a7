"""Fixtures of the load tests: real targets, short bounded Locust runs (in-process and through the
CLI), the arrival-rate runs against a stalling service, plain ``locust -f``, and an HTTPS target.
The code behind them is :mod:`helpers.load`.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers.load import (
    QUICK_THINK_TIME_S,
    STALL_LENGTH_S,
    STALL_RATE,
    STALL_RUN_S,
    STALL_START_S,
    TIGHT_FLOWS,
    CliRun,
    HealthyRun,
    QuickRun,
    StallRun,
    TlsTarget,
    quick_config,
    quick_load,
    recorded_target,
    run_load_cli,
    stall_run,
)
from helpers.tls import untrusted_certificate
from otp_suite.config import SuiteConfig
from otp_suite.loadtest import EMBEDDED_LOAD_POLICY
from otp_suite.service import ServiceSettings, create_app
from otp_suite.service.server import ServiceThread
from otp_suite.target import resolved_target


@pytest.fixture
def embedded_load_target() -> Callable[[str], contextlib.AbstractContextManager[SuiteConfig]]:
    """``with embedded_load_target("slow_verify:400") as config:`` the embedded service with a fault."""

    def start(fault: str = "") -> contextlib.AbstractContextManager[SuiteConfig]:
        return resolved_target(quick_config(), policy=EMBEDDED_LOAD_POLICY, fault=fault)

    return start


@pytest.fixture
def run_quick_load(tmp_path: Path) -> Callable[..., QuickRun]:
    """``run_quick_load(config, **option_changes)``: a quick run with its reports in tmp_path."""
    return lambda config, **changes: quick_load(config, tmp_path, **changes)


@pytest.fixture(scope="module")
def healthy_load_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HealthyRun]:
    """A quick run against a healthy recording service (one run, read by several tests), with its per-sample CSV."""
    with recorded_target() as target:
        yield HealthyRun(quick_load(target.config, tmp_path_factory.mktemp("healthy-load"), samples_csv=True), target)


@pytest.fixture
def invoke_load(tmp_path: Path) -> Callable[..., CliRun]:
    """``invoke_load("--run-time", "6s", OTP_BASE_URL=...)``: the CLI in-process, with only the given OTP_* set.

    Reports go to tmp_path; the developer's own OTP_* variables are hidden from the run.
    """
    return lambda *args, **env: run_load_cli(tmp_path / "reports", *args, **env)


@pytest.fixture(scope="module")
def stall_arrival_run(tmp_path_factory: pytest.TempPathFactory) -> StallRun:
    """STALL_RATE flows/s for 10 s against a service that holds every response from 4 s to 6 s, judged with verify.p95_ms=500."""
    return stall_run(
        tmp_path_factory.mktemp("stall"), f"stall:{STALL_START_S:g}:{STALL_LENGTH_S:g}",
        "--arrival-rate", str(STALL_RATE), "--run-time", f"{STALL_RUN_S}s", *TIGHT_FLOWS, "--slo", "verify.p95_ms=500",
    )  # fmt: skip


@pytest.fixture(scope="module")
def steady_arrival_run(tmp_path_factory: pytest.TempPathFactory) -> StallRun:
    """The stall run's schedule against a service without a stall whose verify takes 50 ms (a realistic floor)."""
    return stall_run(
        tmp_path_factory.mktemp("steady"), "slow_verify:50",
        "--arrival-rate", str(STALL_RATE), "--run-time", f"{STALL_RUN_S}s", *TIGHT_FLOWS,
    )  # fmt: skip


@pytest.fixture
def standalone_locust(tmp_path: Path) -> Callable[..., contextlib.AbstractContextManager[subprocess.Popen[bytes]]]:
    """``with standalone_locust("--headless", ...) as process:`` plain ``locust -f load/locustfile.py``,
    as a user would start it (no OTP_BASE_URL: it starts the embedded service itself).

    The process is stopped (SIGTERM, then SIGKILL) when the block ends, whatever happened.
    """
    import os
    import sys

    from otp_suite.loadtest.options import DEFAULT_LOCUSTFILE

    @contextlib.contextmanager
    def start(*args: str, **otp_env: str) -> Iterator[subprocess.Popen[bytes]]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("OTP_")}
        # The ledger of test numbers in the test's folder, not the project's reports.
        env.update({"OTP_THINK_TIME_S": str(QUICK_THINK_TIME_S), "OTP_NUMBER_LEDGER": str(tmp_path / "test-numbers.jsonl"), **otp_env})
        command = [sys.executable, "-m", "locust", "-f", str(DEFAULT_LOCUSTFILE), *args]
        with (tmp_path / "locust.log").open("wb") as log:
            process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                yield process
            finally:
                if process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()

    return start


@pytest.fixture
def self_signed_https_service(tmp_path: Path) -> Iterator[TlsTarget]:
    """The reference service on https://127.0.0.1:<port>, its certificate from a CA made for this
    test (helpers.tls) and handed to no client: as untrusted as a self-signed one."""
    certificate = untrusted_certificate(tmp_path)
    secret = secrets.token_urlsafe(32)
    app = create_app(ServiceSettings(jwt_secret=secret, policy=EMBEDDED_LOAD_POLICY))
    with ServiceThread(app, tls=certificate.tls) as service:
        yield TlsTarget(service.url, secret)
