"""One preflight per gate: contract, load and gate share :func:`otp_suite.preflight.check_target`,
and a check made for a target is handed on rather than repeated."""

from __future__ import annotations

import pytest

from otp_suite.config import load_config
from otp_suite.preflight import NoCredentials, TargetChecked, TargetUnreachable, check_target

SECRET = "a-secret-of-at-least-thirty-two-bytes-0123"


def test_an_unreachable_target_fails_the_preflight_naming_it(refused_url):
    config = load_config({"OTP_BASE_URL": refused_url, "OTP_JWT_SECRET": SECRET})

    with pytest.raises(TargetUnreachable, match=refused_url):
        check_target(config)


def test_a_check_handed_on_for_the_same_target_is_not_repeated(refused_url):
    config = load_config({"OTP_BASE_URL": refused_url, "OTP_JWT_SECRET": SECRET})

    checked = check_target(config, TargetChecked(refused_url))

    assert checked == TargetChecked(refused_url)


def test_a_check_made_for_another_target_is_repeated(refused_url):
    config = load_config({"OTP_BASE_URL": refused_url, "OTP_JWT_SECRET": SECRET})

    with pytest.raises(TargetUnreachable):
        check_target(config, TargetChecked("http://127.0.0.1:1"))


def test_no_secret_and_no_token_fails_the_preflight_naming_both(refused_url):
    config = load_config({"OTP_BASE_URL": refused_url})

    with pytest.raises(NoCredentials, match="OTP_JWT_SECRET.*OTP_JWT_TOKEN"):
        check_target(config)
