"""Fixtures for the tests of the contract suite itself: a contract run against the embedded
reference service with a chosen fault, reports in a temporary directory."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from suite_children import SERIAL_CONTRACT

from otp_suite.config import KNOWN_VARIABLES, SuiteConfig, load_config
from otp_suite.contract.outcome import ContractOutcome
from otp_suite.contract.runner import run_contract
from otp_suite.policy import FAST_TEST_POLICY
from otp_suite.service import ServiceSettings, create_app
from otp_suite.service.faults import parse_faults
from otp_suite.service.server import ServiceThread
from otp_suite.target import resolved_target

#: A signing secret the tests know, so they can search the reports for it.
KNOWN_SECRET = "contract-suite-known-secret-0123456789abcdef"


@pytest.fixture
def contract_reports(tmp_path: Path) -> Path:
    """An empty reports directory for one run."""
    reports = tmp_path / "reports"
    reports.mkdir()
    return reports


@contextlib.contextmanager
def service_in_this_process(fault: str = "") -> Iterator[SuiteConfig]:
    """The reference service with ``fault`` (fast test policy) on a thread of this process, and a
    config that points a serial contract run at it. It starts in milliseconds where a service
    process takes seconds, which the fault matrix pays a hundred times."""
    settings = ServiceSettings(jwt_secret=KNOWN_SECRET, policy=FAST_TEST_POLICY, faults=parse_faults(fault))
    with ServiceThread(create_app(settings)) as service:
        yield replace(load_config(SERIAL_CONTRACT, jwt_secret=KNOWN_SECRET), base_url=service.url, policy=FAST_TEST_POLICY)


@pytest.fixture(scope="session")
def warm_pytest_command(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ...]]:
    """A ``pytest_command`` for run_contract that forks each run from a warm server (warm_pytest.py)."""
    script = Path(__file__).with_name("warm_pytest.py")
    socket_path = str(tmp_path_factory.mktemp("warm-pytest") / "socket")
    server = subprocess.Popen([sys.executable, str(script), "serve", socket_path], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert server.stdout is not None
    ready = server.stdout.readline()  # "ready" once the imports are done and the socket listens; "" if it died
    assert ready.strip() == "ready", f"the warm pytest server did not start (exit {server.poll()})"
    yield (sys.executable, "-S", str(script), "run", socket_path)
    server.kill()
    server.wait()


@pytest.fixture
def contract_run(contract_reports: Path, warm_pytest_command: tuple[str, ...]) -> Callable[..., ContractOutcome]:
    """``contract_run(fault="", pytest_args=(), echo=None)``: run the contract suite (or a subset)
    against a fresh embedded service with ``fault`` from the catalog; reports go to ``contract_reports``."""

    def run(*, fault: str = "", pytest_args: Sequence[str] = (), echo: Callable[[str], None] | None = None) -> ContractOutcome:
        lines: list[str] = []
        with service_in_this_process(fault) as config:
            return run_contract(
                config,
                allure_dir=contract_reports / "allure-results",
                junit_path=contract_reports / "contract" / "junit.xml",
                echo=echo or lines.append,
                pytest_args=pytest_args,
                pytest_command=warm_pytest_command,
            )

    return run


@pytest.fixture
def faulty_target() -> Callable[[str], contextlib.AbstractContextManager[SuiteConfig]]:
    """``with faulty_target("otp_reusable") as config:`` a running embedded service with that fault."""

    def start(fault: str) -> contextlib.AbstractContextManager[SuiteConfig]:
        return resolved_target(load_config(SERIAL_CONTRACT, jwt_secret=KNOWN_SECRET), fault=fault)

    return start


@pytest.fixture
def contract_cli_env(contract_reports: Path) -> Iterator[dict[str, str | None]]:
    """Environment for an in-process ``otp-suite contract``: every OTP_* variable unset, reports in a temp dir."""
    env: dict[str, str | None] = {name: None for name in KNOWN_VARIABLES}
    env.update({"OTP_REPORTS_DIR": str(contract_reports), "OTP_CONTRACT_SELECT": None, **SERIAL_CONTRACT})
    yield env
