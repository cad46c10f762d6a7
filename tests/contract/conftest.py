"""Fixtures of the tests of the contract suite itself: a contract run against the embedded
reference service with a chosen fault (helpers.contract), reports in a temporary directory."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

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


@pytest.fixture
def contract_run(contract_reports: Path) -> Callable[..., ContractOutcome]:
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
