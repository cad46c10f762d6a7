"""``otp-suite serve`` as a real process: prints its URL, answers, stops cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import signal

import httpx
import pytest

from helpers.service import INBOX, REGISTER, VERIFY, serve_process
from otp_suite.config import DEFAULT_TEST_COUNTRY_CODE, DEFAULT_TEST_PHONE_PREFIX
from otp_suite.testdata.phone_numbers import PhoneNumberSource
from otp_suite.testdata.tokens import mint_token


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda sig: sig.name)
def test_serve_prints_its_url_answers_and_exits_0_on_signal(jwt_secret: str, sig: signal.Signals) -> None:
    number = PhoneNumberSource(DEFAULT_TEST_COUNTRY_CODE, DEFAULT_TEST_PHONE_PREFIX).next()
    with serve_process({"OTP_JWT_SECRET": jwt_secret}) as served:
        assert served.url.startswith("http://127.0.0.1:")
        response = httpx.post(served.url + REGISTER, json=number.body(), headers={"user-jwt-token": mint_token(jwt_secret)})
        assert response.status_code == 200

        exit_code = served.stop_with(sig)

    assert exit_code == 0


def test_serve_reads_the_policy_fixed_code_and_no_inbox(jwt_secret: str) -> None:
    number = PhoneNumberSource(DEFAULT_TEST_COUNTRY_CODE, DEFAULT_TEST_PHONE_PREFIX).next()
    token = {"user-jwt-token": mint_token(jwt_secret, "serve-process-user")}
    env = {"OTP_JWT_SECRET": jwt_secret, "OTP_FIXED_CODE": "654321", "OTP_RESEND_COOLDOWN_S": "3600"}
    with serve_process(env, "--no-inbox") as served, httpx.Client(base_url=served.url) as client:
        registered = client.post(REGISTER, json=number.body(), headers=token)
        in_cooldown = client.post(REGISTER, json=number.body(), headers=token)
        inbox = client.get(INBOX, params={"countryCode": number.country_code, "phone_number": number.phone_number})
        verified = client.post(VERIFY, json=number.body(authCode=registered.json()["authCode"], otp="654321"), headers=token)

    assert in_cooldown.status_code == 429 and int(in_cooldown.headers["retry-after"]) > 3000
    assert inbox.status_code == 404
    assert verified.status_code == 200
