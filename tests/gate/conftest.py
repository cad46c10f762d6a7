"""Fixtures of the gate tests: whole ``otp-suite gate`` runs (helpers.gate), one with no
configuration at all and one against a faulty reference service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers.gate import GateRun, run_gate
from helpers.report import SAMPLE_SECRET
from helpers.suite_children import NARROW_CONTRACT
from otp_suite.policy import FAST_TEST_POLICY


@pytest.fixture(scope="module")
def faulty_service() -> Iterator[dict[str, str]]:
    """The reference service breaking a contract rule, a security rule and answering slowly;
    yields the OTP_* variables that point the gate at it."""
    from otp_suite.service.server import ServiceProcess

    env = {**FAST_TEST_POLICY.as_environment(), "OTP_JWT_SECRET": SAMPLE_SECRET, "OTP_FAULT": "extra_response_key,accept_expired_token,leak_token,slow_verify:400", "OTP_ENV": "", "OTP_BASE_URL": ""}
    with ServiceProcess(env) as service:
        yield {**FAST_TEST_POLICY.as_environment(), "OTP_BASE_URL": service.url, "OTP_JWT_SECRET": SAMPLE_SECRET}


@pytest.fixture(scope="module")
def passing_gate_run(tmp_path_factory: pytest.TempPathFactory) -> GateRun:
    """``otp-suite gate`` with no configuration at all: the README's main command."""
    return run_gate(tmp_path_factory.mktemp("gate-pass") / "reports")


@pytest.fixture(scope="module")
def faulty_gate_run(tmp_path_factory: pytest.TempPathFactory, faulty_service: dict[str, str]) -> GateRun:
    """``otp-suite gate`` against the faulty service (OTP_BASE_URL and OTP_JWT_SECRET set)."""
    return run_gate(tmp_path_factory.mktemp("gate-faulty") / "reports", {**faulty_service, **NARROW_CONTRACT})
