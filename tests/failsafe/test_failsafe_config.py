"""Every command fails safe on bad configuration (issue 7): exit 2 ("could not judge"), one line
naming the file or variable and what is wrong with it, no traceback, before any test or load runs.

The spec rows apply to contract and gate only: a load run does not read the OpenAPI file. The
credential rows point at a correct reference service, so the credentials are the only fault.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers.failsafe_targets import SHORT_RUN_ARGS, ReferenceTarget, SuiteRun, assert_fails_safe
from otp_suite.cli import main
from otp_suite.loadtest.slo_junit import LOAD_RUN_CASE
from otp_suite.testdata.tokens import mint_token

COMMANDS = ("contract", "load", "gate")
#: What a load run writes as soon as it starts: Locust's CSVs.
WORK_STARTED = ("locust*.csv",)
#: JUnit cases that say why a run stopped or what the gate checked itself: written whatever happens, so
#: a CI test tab shows the cause; any other case is a contract test or an SLO that ran.
NOT_WORK = {"contract_tests.preflight", "otp_suite.gate"}


def work_started(run: SuiteRun) -> list[str]:
    """What under the run's reports folder only a started contract or load run writes: Locust's CSVs, a test's JUnit case."""
    if run.reports_dir is None or not run.reports_dir.is_dir():
        return []
    started = [str(path) for pattern in WORK_STARTED for path in run.reports_dir.rglob(pattern)]
    for junit in run.reports_dir.rglob("junit.xml"):
        cases = ET.parse(junit).getroot().iter("testcase")
        started += [f"{junit}: {case.get('name')}" for case in cases if case.get("classname") not in NOT_WORK and case.get("name") != LOAD_RUN_CASE]
    return started


def _assert_config_refused(run: SuiteRun, command: str, *, names: str, causes: tuple[str, ...]) -> None:
    # "In seconds" is judged by what the run did, not by the clock of a machine that may be busy:
    # configuration is refused before any test or load starts (the issue-7 bound of 30 s still holds).
    assert_fails_safe(run, command, exit_code=2, names=names, causes=causes)
    assert not work_started(run), (work_started(run), run)


# --- the spec ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["contract", "gate"])
def test_exits_2_naming_the_spec_file_that_does_not_exist(run_suite: Callable[..., SuiteRun], reference_target: ReferenceTarget, tmp_path: Path, command: str) -> None:
    spec = tmp_path / "missing-openapi.yaml"

    run = run_suite(command, *SHORT_RUN_ARGS[command], env={**reference_target.env, "OTP_SPEC": str(spec)})

    _assert_config_refused(run, command, names=str(spec), causes=("does not exist",))


@pytest.mark.parametrize("command", ["contract", "gate"])
def test_exits_2_naming_the_spec_file_that_is_not_openapi(run_suite: Callable[..., SuiteRun], reference_target: ReferenceTarget, tmp_path: Path, command: str) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.0.3\npaths: [not, a, mapping\n", encoding="utf-8")

    run = run_suite(command, *SHORT_RUN_ARGS[command], env={**reference_target.env, "OTP_SPEC": str(spec)})

    _assert_config_refused(run, command, names=str(spec), causes=("not a usable OpenAPI document",))


# --- the profile ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_exits_2_naming_the_profile_file_that_is_not_toml(run_suite: Callable[..., SuiteRun], tmp_path: Path, command: str) -> None:
    profiles = tmp_path / "environments.toml"
    profiles.write_text("[stage\nbase_url = https://stage.example.com\n", encoding="utf-8")

    run = run_suite(command, *SHORT_RUN_ARGS[command], env={"OTP_ENV": "stage", "OTP_PROFILE_FILE": str(profiles)})

    _assert_config_refused(run, command, names=str(profiles), causes=("not valid TOML",))


@pytest.mark.parametrize("command", COMMANDS)
def test_exits_2_naming_the_unknown_profile_and_the_known_ones(run_suite: Callable[..., SuiteRun], tmp_path: Path, command: str) -> None:
    profiles = tmp_path / "environments.toml"
    profiles.write_text('[stage]\nbase_url = "https://stage.example.com"\n', encoding="utf-8")

    run = run_suite(command, *SHORT_RUN_ARGS[command], env={"OTP_ENV": "staging", "OTP_PROFILE_FILE": str(profiles)})

    _assert_config_refused(run, command, names="OTP_ENV='staging'", causes=("is not a profile",))
    assert "stage" in run.diagnosis.split("known:", 1)[1]


@pytest.mark.parametrize("command", COMMANDS)
def test_exits_2_naming_the_policy_variable_that_is_not_a_number(run_suite: Callable[..., SuiteRun], command: str) -> None:
    run = run_suite(command, *SHORT_RUN_ARGS[command], env={"OTP_TTL_S": "five minutes"})

    _assert_config_refused(run, command, names="OTP_TTL_S='five minutes'", causes=("is not a number",))


# --- credentials ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_exits_2_naming_the_missing_secret_when_tokens_must_be_minted(run_suite: Callable[..., SuiteRun], reference_target: ReferenceTarget, command: str) -> None:
    env = {key: value for key, value in reference_target.env.items() if key != "OTP_JWT_SECRET"}

    run = run_suite(command, *SHORT_RUN_ARGS[command], env=env)

    _assert_config_refused(run, command, names="OTP_JWT_SECRET", causes=("nor OTP_JWT_TOKEN is set", "need OTP_JWT_SECRET"))


@pytest.mark.parametrize("command", COMMANDS)
def test_exits_2_naming_the_target_that_refuses_the_given_token(run_suite: Callable[..., SuiteRun], reference_target: ReferenceTarget, command: str) -> None:
    foreign_token = mint_token("not-the-environment-secret-0123456789", "failsafe-user")
    env = {key: value for key, value in reference_target.env.items() if key != "OTP_JWT_SECRET"}

    run = run_suite(command, *SHORT_RUN_ARGS[command], env={**env, "OTP_JWT_TOKEN": foreign_token})

    _assert_config_refused(run, command, names=reference_target.url, causes=("refuses OTP_JWT_TOKEN (401",))
    assert foreign_token not in run.stdout + run.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_exits_2_naming_the_reports_folder_that_cannot_be_written(run_suite: Callable[..., SuiteRun], reference_target: ReferenceTarget, tmp_path: Path, command: str) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("", encoding="utf-8")
    reports = a_file / "reports"

    run = run_suite(command, *SHORT_RUN_ARGS[command], env={**reference_target.env, "OTP_REPORTS_DIR": str(reports)})

    _assert_config_refused(run, command, names=str(reports), causes=("writable folder",))


# --- the suite itself -------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_a_crash_inside_the_suite_exits_2_with_one_line_and_the_traceback_in_a_file(monkeypatch: pytest.MonkeyPatch, reference_target: ReferenceTarget, tmp_path: Path, command: str) -> None:
    # A bug planted in the request every command's preflight makes: past configuration, before any verdict.
    def bug(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("otp_suite.preflight.probe_request", bug)
    env = {**reference_target.env, "OTP_REPORTS_DIR": str(tmp_path / "reports")}

    result = CliRunner().invoke(main, [command, *SHORT_RUN_ARGS[command]], env=env)

    assert result.exit_code == 2, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("otp-suite: cannot judge: the suite itself failed (ZeroDivisionError")]
    crash_file = Path(line.rsplit(" in ", 1)[1])
    assert "Traceback" not in result.output
    assert "ZeroDivisionError" in crash_file.read_text(encoding="utf-8")
    crash_file.unlink()
