"""Fixtures of the tests of the contract suite itself: a contract run against the embedded
reference service with a chosen fault (helpers.contract), forked from a warm pytest
(helpers.warm_pytest), reports in a temporary directory."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from helpers import warm_pytest
from helpers.contract import KNOWN_SECRET, service_in_this_process
from helpers.suite_children import SERIAL_CONTRACT
from otp_suite.config import KNOWN_VARIABLES, SuiteConfig, load_config
from otp_suite.contract.outcome import ContractOutcome
from otp_suite.contract.runner import run_contract
from otp_suite.target import resolved_target


@pytest.fixture
def contract_reports(tmp_path: Path) -> Path:
    """An empty reports directory for one run."""
    reports = tmp_path / "reports"
    reports.mkdir()
    return reports


@pytest.fixture(scope="session")
def warm_pytest_command(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ...]]:
    """A ``pytest_command`` for run_contract that forks each run from a warm server (helpers/warm_pytest.py)."""
    script = Path(warm_pytest.__file__)
    socket_path = str(tmp_path_factory.mktemp("warm-pytest") / "socket")
    # -P: the script's folder (helpers/, whose modules have plain names such as service and load)
    # stays off sys.path, so it cannot shadow a module of the contract runs forked from it.
    server = subprocess.Popen([sys.executable, "-P", str(script), "serve", socket_path], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert server.stdout is not None
    ready = server.stdout.readline()  # "ready" once the imports are done and the socket listens; "" if it died
    assert ready.strip() == "ready", f"the warm pytest server did not start (exit {server.poll()})"
    yield (sys.executable, "-S", "-P", str(script), "run", socket_path)
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
