"""The configuration object: defaults, profile file, variables overriding it, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from otp_suite.config import ConfigError, is_loopback_url, load_config


def test_defaults_are_the_contracts_production_like_policy_and_embedded_target():
    config = load_config({})

    assert config.is_embedded
    assert (config.policy.ttl_s, config.policy.max_verify_attempts, config.policy.resend_cooldown_s) == (300, 5, 30)
    assert (config.policy.max_sends_per_window, config.policy.send_window_s) == (5, 3600)
    assert config.max_wait_s == 60


def test_variables_set_the_policy_and_target():
    config = load_config({"OTP_BASE_URL": "http://127.0.0.1:9/", "OTP_TTL_S": "12", "OTP_MAX_VERIFY_ATTEMPTS": "4"})

    assert config.base_url == "http://127.0.0.1:9"
    assert config.policy.ttl_s == 12
    assert config.policy.max_verify_attempts == 4


def test_profile_values_are_overridden_by_variables(tmp_path: Path) -> None:
    profiles = tmp_path / "environments.toml"
    profiles.write_text('[stage]\nbase_url = "https://stage.example.com"\nOTP_TTL_S = 120\nresend_cooldown_s = 10\n')

    config = load_config({"OTP_ENV": "stage", "OTP_PROFILE_FILE": str(profiles), "OTP_TTL_S": "90"})

    assert config.base_url == "https://stage.example.com"
    assert config.policy.ttl_s == 90
    assert config.policy.resend_cooldown_s == 10
    assert config.env_name == "stage"


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"OTP_TTL_S": "five"}, "OTP_TTL_S"),
        ({"OTP_MAX_VERIFY_ATTEMPTS": "2.5"}, "OTP_MAX_VERIFY_ATTEMPTS"),
        ({"OTP_BASE_URL": "ftp://x"}, "OTP_BASE_URL"),
        ({"OTP_TEST_COUNTRY_CODE": "91"}, "OTP_TEST_COUNTRY_CODE"),
        ({"OTP_FIXED_CODE": "12"}, "OTP_FIXED_CODE"),
        ({"OTP_JWT_SECRET": "s", "OTP_JWT_TOKEN": "t"}, "OTP_JWT_TOKEN"),
    ],
)
def test_a_malformed_value_is_refused_naming_the_variable(environ, names):
    with pytest.raises(ConfigError, match=names):
        load_config(environ)


def test_an_unknown_profile_name_lists_the_known_ones(tmp_path: Path) -> None:
    profiles = tmp_path / "environments.toml"
    profiles.write_text("[stage]\nOTP_TTL_S = 1\n")

    with pytest.raises(ConfigError, match=r"'prod' is not a profile .*known: stage"):
        load_config({"OTP_ENV": "prod", "OTP_PROFILE_FILE": str(profiles)})


def test_an_invalid_profile_file_is_named(tmp_path: Path) -> None:
    profiles = tmp_path / "environments.toml"
    profiles.write_text("[stage\n")

    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config({"OTP_ENV": "stage", "OTP_PROFILE_FILE": str(profiles)})


def test_secrets_stay_out_of_the_printable_forms():
    config = load_config({"OTP_JWT_SECRET": "s3cr3t-value", "OTP_BASE_URL": "http://127.0.0.1:1"})

    assert "s3cr3t-value" not in repr(config)
    assert "s3cr3t-value" not in str(config.public_summary())


@pytest.mark.parametrize(
    ("url", "loopback"),
    [("http://127.0.0.1:8000", True), ("http://127.5.0.1", True), ("http://localhost:1", True), ("http://[::1]:80", True), ("https://stage.example.com", False), ("http://10.0.0.1", False)],
)
def test_loopback_is_recognised_by_address(url, loopback):
    assert is_loopback_url(url) is loopback


def test_otp_ca_bundle_that_cannot_be_read_is_refused_naming_it_and_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "missing-ca.pem"

    with pytest.raises(ConfigError, match=r"OTP_CA_BUNDLE=.*missing-ca.pem cannot be read .*PEM file of the CA"):
        load_config({"OTP_CA_BUNDLE": str(missing)})


def test_otp_ca_bundle_without_a_certificate_is_refused(tmp_path: Path) -> None:
    not_pem = tmp_path / "ca.der"
    not_pem.write_bytes(b"\x30\x82\x01\x0a")

    with pytest.raises(ConfigError, match="holds no PEM certificate"):
        load_config({"OTP_CA_BUNDLE": str(not_pem)})


def test_a_relative_otp_ca_bundle_reaches_the_children_as_an_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    config = load_config({"OTP_CA_BUNDLE": "ca.pem"})

    assert config.to_environment({})["OTP_CA_BUNDLE"] == str(tmp_path / "ca.pem")
