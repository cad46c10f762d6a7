"""``otp-suite serve`` option handling, in-process."""

from __future__ import annotations

from click.testing import CliRunner

from otp_suite.cli import main


def test_serve_without_a_secret_cannot_start_and_says_which_variable():
    result = CliRunner().invoke(main, ["serve", "--port", "0"], env={"OTP_JWT_SECRET": ""})

    assert result.exit_code == 2
    assert "OTP_JWT_SECRET is not set" in result.output
    assert "Traceback" not in result.output


def test_serve_refuses_an_unknown_fault_naming_it():
    result = CliRunner().invoke(main, ["serve", "--fault", "teleport"], env={"OTP_JWT_SECRET": "x"})

    assert result.exit_code == 2
    assert "'teleport'" in result.output


def test_serve_lists_the_fault_catalog():
    result = CliRunner().invoke(main, ["serve", "--list-faults"])

    assert result.exit_code == 0
    assert "otp_reusable" in result.output and "race_verify" in result.output


def test_every_serve_option_names_its_variable():
    result = CliRunner().invoke(main, ["serve", "--help"])

    for variable in ("OTP_SERVE_HOST", "OTP_SERVE_PORT", "OTP_SERVE_INBOX", "OTP_FAULT"):
        assert variable in result.output
