"""The settings model: every OTP_* setting works from a profile and from a variable, travels to a
child process unchanged, and the README's configuration table lists exactly the model's names."""

from __future__ import annotations

import re
from pathlib import Path

import certifi
import pytest

from otp_suite.config import KNOWN_VARIABLES, PROJECT_ROOT, SETTINGS, ConfigError, SuiteConfig, load_config
from otp_suite.number_ranges import NumberRange
from otp_suite.policy import OtpPolicy

#: One valid value per setting that differs from its default (what a user would write).
SAMPLE_VALUES: dict[str, tuple[str, object]] = {
    "OTP_BASE_URL": ("http://127.0.0.1:9", "http://127.0.0.1:9"),
    "OTP_JWT_SECRET": ("a-secret-long-enough-for-hs256-0123456789", "a-secret-long-enough-for-hs256-0123456789"),
    "OTP_JWT_TOKEN": ("header.payload.signature", "header.payload.signature"),
    "OTP_INBOX_URL": ("http://127.0.0.1:9/inbox", "http://127.0.0.1:9/inbox"),
    "OTP_FIXED_CODE": ("123456", "123456"),
    "OTP_TEST_COUNTRY_CODE": ("+91", "+91"),
    "OTP_TEST_PHONE_PREFIX": ("99999", "99999"),
    "OTP_TEST_RANGES": ("+91:99999,+44:7700900:10", (NumberRange("+91", "99999"), NumberRange("+44", "7700900", 10))),
    "OTP_NUMBER_LEDGER": ("/tmp/test-numbers.jsonl", Path("/tmp/test-numbers.jsonl")),
    "OTP_MAX_WAIT_S": ("12.5", 12.5),
    "OTP_CLOCK_MARGIN_S": ("1", 1.0),
    "OTP_ALLOW_LOAD": ("1", True),
    "OTP_VERIFY_TLS": ("0", False),
    "OTP_CA_BUNDLE": (certifi.where(), Path(certifi.where()).resolve()),  # a real PEM file: the setting reads it
    "OTP_REQUEST_TIMEOUT_S": ("3", 3.0),
    "OTP_SEED": ("42", 42),
    "OTP_MAX_EXAMPLES": ("7", 7),
    "OTP_SPEC": ("/tmp/spec.yaml", Path("/tmp/spec.yaml")),
    "OTP_REPORTS_DIR": ("/tmp/reports", Path("/tmp/reports")),
    "OTP_CONTRACT_SELECT": ("security", "security"),
    "OTP_CONTRACT_DEPTH": ("quick", "quick"),
    "OTP_CONTRACT_WORKERS": ("1", 1),
    "OTP_ARRIVAL_TOLERANCE_MS": ("500", 500.0),
    "OTP_LOAD_SAMPLES_CSV": ("1", True),
    "OTP_BASELINE": ("/tmp/baseline-summary.json", Path("/tmp/baseline-summary.json")),
    "OTP_MAX_REGRESSION": ("verify.p95=20%", "verify.p95=20%"),
    "OTP_LOAD_USERS": ("3", 3),
    "OTP_LOAD_SPAWN_RATE": ("2.5", 2.5),
    "OTP_LOAD_RUN_TIME": ("1m", "1m"),
    "OTP_LOAD_SHAPE": ("ramp", "ramp"),
    "OTP_LOAD_SHAPE_PARAMS": ("start_users=1,ramp_s=5", "start_users=1,ramp_s=5"),
    "OTP_LOAD_WORKERS": ("2", 2),
    "OTP_LOAD_EXPECT_WORKERS": ("3", 3),
    "OTP_LOAD_MASTER_BIND_PORT": ("6000", 6000),
    "OTP_LOAD_TAGS": ("direct,resend", ("direct", "resend")),
    "OTP_LOAD_EXCLUDE_TAGS": ("wrong_otp", ("wrong_otp",)),
    "OTP_ARRIVAL_RATE": ("20", 20.0),
    "OTP_ARRIVAL_MAX_FLOWS": ("40", 40),
    "OTP_SLO": ("verify.p95_ms=250", "verify.p95_ms=250"),
    "OTP_FLOW_MIX": ("direct=1", "direct=1"),
    "OTP_THINK_TIME_S": ("0.5", 0.5),
    "OTP_ALLURE_DIR": ("/tmp/allure", Path("/tmp/allure")),
    "OTP_FAULT": ("slow_verify:400", "slow_verify:400"),
    "OTP_REPORT_HISTORY": ("/tmp/history", Path("/tmp/history")),
    "OTP_GATE_LOAD": ("0", False),
    "OTP_GATE_SMOKE_USERS": ("2", 2),
    "OTP_GATE_SMOKE_RUN_TIME": ("5", 5.0),
    "OTP_GATE_REPORT": ("0", False),
    "OTP_ABORT_ON_BREACH": ("1", True),
    "OTP_METRICS_PORT": ("9646", 9646),
    "OTP_METRICS_HOST": ("127.0.0.3", "127.0.0.3"),
    "OTP_SERVE_HOST": ("127.0.0.2", "127.0.0.2"),
    "OTP_SERVE_PORT": ("8123", 8123),
    "OTP_SERVE_INBOX": ("0", False),
    "OTP_SERVE_SERVER": ("uvicorn", "uvicorn"),
    "OTP_TOKEN_USER_ID": ("user-1", "user-1"),
    "OTP_TOKEN_CLIENT_ID": ("web", "web"),
    "OTP_TOKEN_LIFETIME_S": ("600", 600.0),
    "OTP_TTL_S": ("12", 12.0),
    "OTP_MAX_VERIFY_ATTEMPTS": ("4", 4),
    "OTP_RESEND_COOLDOWN_S": ("2", 2.0),
    "OTP_MAX_SENDS_PER_WINDOW": ("9", 9),
    "OTP_SEND_WINDOW_S": ("60", 60.0),
}
PROFILE_SETTINGS = sorted((name, described.variable) for name, described in SETTINGS.items() if described.in_profile)


def _value(config: SuiteConfig, name: str) -> object:
    return getattr(config.policy, name) if name in OtpPolicy.__dataclass_fields__ else getattr(config, name)


def _sample_config_environ(variable: str) -> dict[str, str]:
    # A secret and a token cannot both be set; every other sample is valid on its own.
    return {variable: SAMPLE_VALUES[variable][0]}


def test_every_setting_has_a_sample_value():
    assert sorted(v for _, v in PROFILE_SETTINGS) == sorted(SAMPLE_VALUES)


@pytest.mark.parametrize(("name", "variable"), PROFILE_SETTINGS)
def test_every_setting_is_read_from_the_environment(name: str, variable: str) -> None:
    config = load_config(_sample_config_environ(variable))

    assert _value(config, name) == SAMPLE_VALUES[variable][1]
    assert _value(config, name) != _value(load_config({}), name), "the sample must differ from the default"


@pytest.mark.parametrize(("name", "variable"), PROFILE_SETTINGS)
def test_every_setting_is_read_from_a_profile_by_its_key(name: str, variable: str, tmp_path: Path) -> None:
    profiles = tmp_path / "environments.toml"
    key = SETTINGS[name].profile_key
    profiles.write_text(f"[p]\n{key} = {SAMPLE_VALUES[variable][0]!r}\n".replace("'", '"'))

    config = load_config({"OTP_ENV": "p", "OTP_PROFILE_FILE": str(profiles)})

    assert _value(config, name) == SAMPLE_VALUES[variable][1]


@pytest.mark.parametrize(("name", "variable"), PROFILE_SETTINGS)
def test_every_setting_reaches_a_child_process_unchanged(name: str, variable: str) -> None:
    config = load_config(_sample_config_environ(variable))

    rebuilt = load_config(config.to_environment({}))

    assert _value(rebuilt, name) == _value(config, name)
    assert rebuilt == config


def test_a_variable_in_the_shell_is_not_blamed_on_the_profile():
    # The bug of issue 14: with a profile in use, OTP_ARRIVAL_RATE was refused as an unknown profile key.
    config = load_config({"OTP_ENV": "stage", "OTP_ARRIVAL_RATE": "20", "OTP_PROFILE_FILE": str(PROJECT_ROOT / "environments.toml")})

    assert config.arrival_rate == 20
    assert config.base_url == "https://stage.example.com"


def test_an_unknown_profile_key_is_refused_naming_it(tmp_path: Path) -> None:
    profiles = tmp_path / "environments.toml"
    profiles.write_text("[p]\nallow_non_loopback = 1\n")

    with pytest.raises(ConfigError, match="unknown keys OTP_ALLOW_NON_LOOPBACK"):
        load_config({"OTP_ENV": "p", "OTP_PROFILE_FILE": str(profiles)})


def test_a_profile_cannot_choose_a_profile(tmp_path: Path) -> None:
    profiles = tmp_path / "environments.toml"
    profiles.write_text('[p]\nenv = "other"\n')

    with pytest.raises(ConfigError, match="OTP_ENV"):
        load_config({"OTP_ENV": "p", "OTP_PROFILE_FILE": str(profiles)})


def test_secrets_do_not_reach_a_child_through_its_command_line_only_its_environment():
    config = load_config({"OTP_JWT_SECRET": SAMPLE_VALUES["OTP_JWT_SECRET"][0], "OTP_ENV": ""})

    environment = config.to_environment({"PATH": "/bin", "OTP_ENV": "stage", "OTP_STALE": "x"})

    assert environment["OTP_JWT_SECRET"] == SAMPLE_VALUES["OTP_JWT_SECRET"][0]
    assert environment["PATH"] == "/bin"
    assert "OTP_ENV" not in environment and "OTP_STALE" not in environment
    assert SAMPLE_VALUES["OTP_JWT_SECRET"][0] not in repr(config)


def _readme_configuration_names() -> set[str]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `OTP_")]
    return {name for row in rows for name in re.findall(r"`(OTP_[A-Z0-9_]+)`", row.split("|")[1])}


def test_the_readme_table_lists_every_setting_of_the_model():
    assert sorted(set(KNOWN_VARIABLES) - _readme_configuration_names()) == []


def test_every_name_in_the_readme_table_is_a_setting_of_the_model():
    assert sorted(_readme_configuration_names() - set(KNOWN_VARIABLES)) == []
