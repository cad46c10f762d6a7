"""What a newcomer meets first, in-process: ``otp-suite token``, ``--env`` on every command, one-line
usage errors, and ``--help`` texts made from the settings model."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner, Result

from otp_suite.cli import main
from otp_suite.config import KNOWN_VARIABLES, PROJECT_ROOT, SETTINGS
from otp_suite.exit_codes import ExitCode

SECRET = "first-hour-secret-long-enough-for-hs256-0123456789"
COMMANDS_READING_CONFIGURATION = ("contract", "load", "gate", "serve", "token")


@pytest.fixture
def otp_suite(tmp_path: Path) -> Callable[..., Result]:
    """``otp_suite("token", "--user-id", "u", OTP_JWT_SECRET=...)``: the CLI in-process with only the given OTP_* set."""

    def invoke(*args: str, **env: str) -> Result:
        hidden: dict[str, str | None] = {name: None for name in KNOWN_VARIABLES}
        hidden["OTP_REPORTS_DIR"] = str(tmp_path / "reports")
        return CliRunner().invoke(main, list(args), env={**hidden, **env})

    return invoke


@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    """A profile file with one profile, ``p``, that sets a token's user and client."""
    path = tmp_path / "environments.toml"
    path.write_text('[p]\ntoken_user_id = "profile-user"\ntoken_client_id = "profile-client"\ntoken_lifetime_s = 120\n')
    return path


def test_token_prints_a_token_signed_with_the_configured_secret_for_the_given_user(otp_suite):
    result = otp_suite("token", "--user-id", "alice", "--client-id", "web", "--lifetime", "600", OTP_JWT_SECRET=SECRET)

    assert result.exit_code == ExitCode.HOLDS, result.output
    claims = jwt.decode(result.stdout.strip(), SECRET, algorithms=["HS256"])
    assert (claims["user_id"], claims["client_id"], claims["exp"] - claims["iat"]) == ("alice", "web", 600)


def test_token_takes_its_settings_from_variables(otp_suite):
    result = otp_suite("token", OTP_JWT_SECRET=SECRET, OTP_TOKEN_USER_ID="bob", OTP_TOKEN_LIFETIME_S="60")

    claims = jwt.decode(result.stdout.strip(), SECRET, algorithms=["HS256"])
    assert (claims["user_id"], claims["exp"] - claims["iat"]) == ("bob", 60)


def test_token_takes_its_settings_from_the_profile_named_by_env(otp_suite: Callable[..., Result], profile_file: Path) -> None:
    result = otp_suite("token", "--env", "p", OTP_JWT_SECRET=SECRET, OTP_PROFILE_FILE=str(profile_file))

    assert result.exit_code == ExitCode.HOLDS, result.output
    claims = jwt.decode(result.stdout.strip(), SECRET, algorithms=["HS256"])
    assert (claims["user_id"], claims["client_id"], claims["exp"] - claims["iat"]) == ("profile-user", "profile-client", 120)


def test_token_with_only_a_ready_made_token_prints_that_token(otp_suite):
    result = otp_suite("token", OTP_JWT_TOKEN="ready.made.token")

    assert result.stdout.strip() == "ready.made.token"


def test_token_without_a_secret_is_one_line_naming_the_variable_and_exit_2(otp_suite):
    result = otp_suite("token")

    assert result.exit_code == ExitCode.CANNOT_JUDGE
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("otp-suite: OTP_JWT_SECRET is not set")


def test_token_refuses_a_secret_under_32_bytes_in_one_line_naming_its_length_and_exit_2(otp_suite):
    result = otp_suite("token", "--user-id", "alice", OTP_JWT_SECRET="short")

    assert result.exit_code == ExitCode.CANNOT_JUDGE
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("otp-suite: OTP_JWT_SECRET is 5 bytes; HS256 needs at least 32")
    assert "short" not in result.stderr  # the secret itself is never printed


def test_the_readmes_literal_secrets_are_long_enough_for_hs256():
    # PyJWT warns (InsecureKeyLengthWarning) below 32 bytes, the HS256 minimum of RFC 7518.
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    literals = [value for value in re.findall(r"OTP_JWT_SECRET=([^\s`$.<]\S*)", readme)]

    assert literals, "the README shows at least one literal secret to copy"
    assert [value for value in literals if len(value.encode()) < 32] == []


@pytest.mark.parametrize("command", COMMANDS_READING_CONFIGURATION)
def test_every_command_that_reads_configuration_takes_env(otp_suite: Callable[..., Result], command: str) -> None:
    result = otp_suite(command, "--help")

    assert "--env PROFILE" in result.stdout and "OTP_ENV" in result.stdout


@pytest.mark.parametrize("command", COMMANDS_READING_CONFIGURATION)
def test_an_unknown_profile_given_with_env_is_refused_naming_the_known_ones(otp_suite: Callable[..., Result], command: str, profile_file: Path) -> None:
    result = otp_suite(command, "--env", "nope", OTP_PROFILE_FILE=str(profile_file), OTP_JWT_SECRET=SECRET)

    assert result.exit_code == ExitCode.CANNOT_JUDGE
    assert "OTP_ENV='nope' is not a profile" in result.stderr and "known: p" in result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("load", "--users", "-3"), "-3 is not in the range x>=1. (see 'otp-suite load --help')"),
        (("load", "--shape", "zigzag"), "'zigzag' is not one of"),
        (("contract", "--no-such-option"), "contract: No such option '--no-such-option'"),
        (("teleport",), "No such command 'teleport'"),
    ],
)
def test_a_usage_error_is_one_otp_suite_line_on_stderr_with_exit_2(otp_suite: Callable[..., Result], args: tuple[str, ...], says: str) -> None:
    result = otp_suite(*args)

    assert result.exit_code == ExitCode.CANNOT_JUDGE
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("otp-suite: ") and says in result.stderr


def test_a_bad_variable_is_a_usage_error_too(otp_suite):
    result = otp_suite("load", OTP_LOAD_USERS="-3")

    assert result.exit_code == ExitCode.CANNOT_JUDGE
    assert result.stderr.count("\n") == 1 and "OTP_LOAD_USERS" in result.stderr


def test_help_shows_each_options_variable_and_default_from_the_settings_model(otp_suite):
    result = otp_suite("load", "--help")
    text = " ".join(result.stdout.split())  # click wraps lines

    for name in ("load_users", "load_spawn_rate", "arrival_rate", "load_master_bind_port"):
        described = SETTINGS[name]
        assert described.variable in text
        assert f"default: {described.default_text}" in text
