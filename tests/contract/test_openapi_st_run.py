"""Plain ``st run openapi.yaml`` with every check, stateful phase included, against the reference
service: the spec and the service agree, and the same run fails on a service that breaks the spec."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from otp_suite.policy import OtpPolicy
from otp_suite.service.server import ServiceProcess
from otp_suite.testdata.tokens import mint_token

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ST = Path(sys.executable).with_name("st")
# Generous limits so Schemathesis' many registers to one number are not all 429s.
ST_POLICY = OtpPolicy(ttl_s=300, max_verify_attempts=5, resend_cooldown_s=0, max_sends_per_window=100_000, send_window_s=3600)


def st_run(fault: str) -> subprocess.CompletedProcess[str]:
    secret = secrets.token_urlsafe(24)
    env = {**ST_POLICY.as_environment(), "OTP_JWT_SECRET": secret, "OTP_FAULT": fault}
    with ServiceProcess(env) as service:
        token = mint_token(secret, "st-run-user")
        command = [str(ST), "run", "openapi.yaml", "--url", service.url, "-H", f"user-jwt-token: {token}", "--checks", "all", "--max-examples", "15", "--seed", "1", "--no-color"]
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("OTP_")}
        child_env["SCHEMATHESIS_HOOKS"] = "otp_suite.contract.st_hooks"
        result = subprocess.run(command, cwd=PROJECT_ROOT, env=child_env, capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
    result.stdout = result.stdout.replace(token, "<token>")
    return result


@pytest.mark.slow
def test_st_run_with_every_check_finds_no_failure_on_the_reference_service():
    result = st_run("")

    assert result.returncode == 0, result.stdout[-3000:]
    assert "Stateful" in result.stdout


@pytest.mark.slow
def test_st_run_fails_on_a_service_whose_success_body_breaks_the_schema():
    result = st_run("extra_response_key")

    assert result.returncode != 0
    assert "response_schema_conformance" in result.stdout or "Response violates schema" in result.stdout
