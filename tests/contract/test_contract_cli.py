"""``otp-suite contract`` in-process: exit 0 when the contract holds, 1 when the target breaks it,
2 with a one-line reason (no traceback) when the run cannot judge."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers.contract import KNOWN_SECRET
from otp_suite.cli import main
from otp_suite.config import SuiteConfig
from otp_suite.contract.outcome import read_junit, write_interrupted_junit
from otp_suite.testdata.tokens import mint_token


def _invoke(args: list[str], env: dict[str, str | None]) -> tuple[int, str, float]:
    started = time.monotonic()
    result = CliRunner().invoke(main, ["contract", *args], env=env)
    return result.exit_code, result.output, time.monotonic() - started


def _single_reason_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("otp-suite: cannot judge:")]
    assert len(lines) == 1, output
    assert "Traceback" not in output, output
    return lines[0]


@pytest.mark.slow
def test_exit_0_when_the_contract_holds(contract_cli_env: dict[str, str | None], contract_reports: Path) -> None:
    exit_code, output, _ = _invoke(["--select", "test_registered_otp_verifies or test_missing_token_refused"], contract_cli_env)

    assert exit_code == 0, output
    assert (contract_reports / "contract" / "junit.xml").is_file()
    assert any((contract_reports / "allure-results").glob("*-result.json"))


def _url_of(target: SuiteConfig) -> str:
    """The URL of a running fault target (resolved_target always names one)."""
    assert target.base_url is not None
    return target.base_url


@pytest.mark.slow
def test_exit_1_when_the_target_breaks_the_contract(contract_cli_env: dict[str, str | None], faulty_target: Callable[[str], AbstractContextManager[SuiteConfig]]) -> None:
    with faulty_target("otp_reusable") as target:
        env = {**contract_cli_env, "OTP_JWT_SECRET": KNOWN_SECRET}
        exit_code, output, _ = _invoke(["--base-url", _url_of(target), "-k", "replay"], env)

    assert exit_code == 1, output
    assert KNOWN_SECRET not in output


def test_exit_2_within_30_s_when_the_target_refuses_connections(contract_cli_env: dict[str, str | None], refused_url: str) -> None:
    env = {**contract_cli_env, "OTP_JWT_SECRET": KNOWN_SECRET}

    exit_code, output, elapsed = _invoke(["--base-url", refused_url], env)

    assert exit_code == 2
    assert elapsed < 30
    assert "refused the connection" in _single_reason_line(output)


def test_exit_2_when_a_policy_value_is_not_a_number(contract_cli_env: dict[str, str | None]) -> None:
    exit_code, output, _ = _invoke([], {**contract_cli_env, "OTP_TTL_S": "five minutes"})

    assert exit_code == 2
    assert "OTP_TTL_S" in _single_reason_line(output)


def test_exit_2_when_the_spec_file_is_missing(contract_cli_env: dict[str, str | None], refused_url: str, tmp_path: Path) -> None:
    env = {**contract_cli_env, "OTP_JWT_SECRET": KNOWN_SECRET}

    exit_code, output, _ = _invoke(["--base-url", refused_url, "--spec", str(tmp_path / "missing.yaml")], env)

    assert exit_code == 2
    assert "missing.yaml" in _single_reason_line(output)


def test_exit_2_when_the_spec_file_is_invalid(contract_cli_env: dict[str, str | None], refused_url: str, tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.0.3\npaths: [not, a, mapping\n")
    env = {**contract_cli_env, "OTP_JWT_SECRET": KNOWN_SECRET}

    exit_code, output, _ = _invoke(["--base-url", refused_url, "--spec", str(spec)], env)

    assert exit_code == 2
    assert "not a usable OpenAPI document" in _single_reason_line(output)


@pytest.mark.slow
def test_exit_2_when_the_target_refuses_the_token(contract_cli_env: dict[str, str | None], faulty_target: Callable[[str], AbstractContextManager[SuiteConfig]]) -> None:
    wrong_token = mint_token("not-the-environment-secret", "someone")
    with faulty_target("") as target:
        exit_code, output, _ = _invoke(["--base-url", _url_of(target)], {**contract_cli_env, "OTP_JWT_TOKEN": wrong_token})

    assert exit_code == 2
    assert "refuses OTP_JWT_TOKEN" in _single_reason_line(output)
    assert wrong_token not in output


@pytest.mark.slow
def test_exit_2_when_the_test_inbox_cannot_be_read(contract_cli_env: dict[str, str | None], faulty_target: Callable[[str], AbstractContextManager[SuiteConfig]], refused_url: str) -> None:
    with faulty_target("") as target:
        env = {**contract_cli_env, "OTP_JWT_SECRET": KNOWN_SECRET}
        exit_code, output, _ = _invoke(["--base-url", _url_of(target), "--inbox-url", refused_url + "/__test__/otp", "-k", "test_registered_otp_verifies"], env)

    assert exit_code == 2
    assert "test inbox" in _single_reason_line(output)


@pytest.mark.slow
def test_exit_2_when_the_test_inbox_has_no_otp_for_any_number(contract_cli_env: dict[str, str | None], faulty_target: Callable[[str], AbstractContextManager[SuiteConfig]]) -> None:
    with faulty_target("") as target:
        env = {**contract_cli_env, "OTP_JWT_SECRET": KNOWN_SECRET}
        # An inbox URL that answers 404 for every number: the control register's OTP is missing too.
        exit_code, output, _ = _invoke(["--base-url", _url_of(target), "--inbox-url", _url_of(target) + "/no-such-inbox", "-k", "test_registered_otp_verifies"], env)

    assert exit_code == 2
    assert "test inbox" in _single_reason_line(output)


@pytest.mark.slow
def test_exit_1_when_a_send_answered_200_left_the_working_inbox_empty(contract_cli_env: dict[str, str | None], faulty_target: Callable[[str], AbstractContextManager[SuiteConfig]]) -> None:
    with faulty_target("resend_sends_nothing") as target:
        env = {**contract_cli_env, "OTP_JWT_SECRET": KNOWN_SECRET}
        exit_code, output, _ = _invoke(["--base-url", _url_of(target), "-k", "test_resend_without_pending_challenge_behaves_like_register"], env)

    assert exit_code == 1
    assert "the target did not send what it said it sent" in output


def test_an_interrupted_run_whose_pytest_wrote_no_junit_leaves_one_that_reads_as_not_passed(tmp_path: Path) -> None:
    path = tmp_path / "contract" / "junit.xml"
    write_interrupted_junit(path, "interrupted by SIGTERM: the contract run stopped before it finished")

    areas, failures, *_ = read_junit(path)
    assert failures == ["contract_tests::contract run interrupted"]
    assert sum(counts.failed for counts in areas.values()) == 1 and not any(counts.passed for counts in areas.values())
