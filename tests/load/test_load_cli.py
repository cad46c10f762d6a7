"""``otp-suite load`` in-process: option parsing, exit codes, and the runs it refuses."""

from __future__ import annotations

import socket
import textwrap

import pytest

from otp_suite.config import load_config
from otp_suite.loadtest.options import load_options
from otp_suite.loadtest.safety import LoadRefused, check_load_allowed


@pytest.mark.slow
def test_a_smoke_run_with_defaults_against_the_embedded_service_exits_0(invoke_load):
    result = invoke_load("--run-time", "6s")

    assert result.exit_code == 0, result.stdout + result.stderr
    assert "embedded reference service" in result.stdout
    assert "all 17 SLOs hold" in result.stdout


@pytest.mark.slow
def test_a_breached_slo_exits_1_and_is_named(invoke_load):
    result = invoke_load("--run-time", "6s", "--fault", "slow_verify:400")

    assert result.exit_code == 1
    assert "SLO breached: " in result.stdout and "verify.p95_ms" in result.stdout


def test_a_target_off_loopback_is_refused_with_exit_2_and_how_to_allow_it(invoke_load):
    result = invoke_load("--run-time", "5s", OTP_BASE_URL="https://stage.example.com", OTP_JWT_SECRET="s")

    assert result.exit_code == 2
    assert "refusing to load-test https://stage.example.com" in result.stderr
    assert "OTP_ALLOW_LOAD=1" in result.stderr


def test_allow_load_or_a_profile_that_allows_it_lifts_the_refusal(tmp_path):
    profile = tmp_path / "environments.toml"
    profile.write_text(
        textwrap.dedent("""
        [stage]
        base_url = "https://stage.example.com"
        allow_load = true
    """)
    )

    with pytest.raises(LoadRefused):
        check_load_allowed("https://stage.example.com", load_config({}))
    check_load_allowed("https://stage.example.com", load_config({"OTP_ALLOW_LOAD": "1"}))
    check_load_allowed("https://stage.example.com", load_config({"OTP_ENV": "stage", "OTP_PROFILE_FILE": str(profile)}))


def test_an_unreachable_target_exits_2_naming_it(invoke_load):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"

    result = invoke_load("--run-time", "5s", OTP_BASE_URL=closed, OTP_JWT_SECRET="s")

    assert result.exit_code == 2
    assert closed in result.stderr and "refused" in result.stderr


def test_a_named_target_without_a_secret_or_token_exits_2(invoke_load):
    result = invoke_load("--run-time", "5s", OTP_BASE_URL="http://127.0.0.1:9")

    assert result.exit_code == 2
    assert "OTP_JWT_SECRET" in result.stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--run-time", "soon"], "--run-time"),
        (["--run-time", "0s"], "at least 1s"),
        (["--slo", "verify.p95=300"], "verify.p95=300"),
        (["--tags", "login"], "login"),
        (["--shape", "step", "--shape-params", "spike_s=3"], "spike_s=3"),
        (["--flow-mix", "direct=0,resend=0,wrong_otp=0"], "weight 0"),
        (["--fault", "no_such_fault"], "no_such_fault"),
    ],
)
def test_a_bad_option_exits_2_naming_it(invoke_load, args, named):
    result = invoke_load(*args)

    assert result.exit_code == 2
    assert named in result.stderr


def test_options_take_locusts_names_and_override_the_profile(tmp_path):
    profile = tmp_path / "environments.toml"
    profile.write_text('[perf]\nload_users = 50\nload_run_time = "5m"\nslo = "verify.p95_ms=250"\n')
    config = load_config({"OTP_ENV": "perf", "OTP_PROFILE_FILE": str(profile)})

    from_profile = load_options(config)
    from_command_line = load_options(load_config({"OTP_ENV": "perf", "OTP_PROFILE_FILE": str(profile)}, load_users=7, load_run_time="45s"), slo=["verify.p95_ms=200"])

    assert (from_profile.users, from_profile.run_time_s) == (50, 300)
    assert {s.name: s.limit for s in from_profile.slos}["verify.p95_ms"] == 250
    assert (from_command_line.users, from_command_line.run_time_s) == (7, 45)
    assert {s.name: s.limit for s in from_command_line.slos}["verify.p95_ms"] == 200


def test_every_option_names_its_otp_variable_in_the_help(invoke_load):
    from otp_suite.cli.load import load

    without_envvar = [p.name for p in load.params if p.name != "help" and not (isinstance(p.envvar, str) and p.envvar.startswith("OTP_"))]

    assert without_envvar == []
    assert all(p.help for p in load.params)


def test_tags_name_the_locustfiles_flows():
    options = load_options(load_config({}, load_tags=["wrong_otp", "direct"], load_exclude_tags=["resend"]))

    assert (options.tags, options.exclude_tags) == (("wrong_otp", "direct"), ("resend",))
