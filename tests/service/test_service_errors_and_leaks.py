"""The contract's error shape, methods and paths, content types, and the no-leak rule."""

from __future__ import annotations

import httpx
import pytest

from helpers.service import OTP_PATHS, REGISTER, VERIFY, OtpApi, leaks_in
from otp_suite.testdata.codes import wrong_otp
from otp_suite.testdata.phone_numbers import PhoneNumber
from otp_suite.testdata.tokens import BAD_TOKEN_VARIANTS, bad_token

ERROR_CODES = ["UN_AUTHORIZED", "INVALID_REQUEST", "INVALID_OTP", "OTP_EXPIRED", "TOO_MANY_ATTEMPTS", "TOO_MANY_REQUESTS", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"]


def _provoke(code: str, api: OtpApi, number: PhoneNumber) -> httpx.Response:
    """A response that the contract says must carry ``code``."""
    if code == "UN_AUTHORIZED":
        return api.register(number, token=None)
    if code == "INVALID_REQUEST":
        return api.post(REGISTER, content="{")
    if code == "PAYLOAD_TOO_LARGE":
        return api.post(REGISTER, content=b"x" * (16 * 1024 + 1))
    if code == "UNSUPPORTED_MEDIA_TYPE":
        return api.post(REGISTER, number.body(), content_type="text/plain")
    challenge = api.start_challenge(number)
    if code == "TOO_MANY_REQUESTS":
        return api.register(number)
    if code == "INVALID_OTP":
        return api.verify(number, challenge.auth_code, wrong_otp(challenge.otp))
    if code == "OTP_EXPIRED":
        api.clock.advance(api.policy.ttl_s + 1)
        return api.verify(number, challenge.auth_code, challenge.otp)
    api.lock(number, challenge)
    return api.verify(number, challenge.auth_code, challenge.otp)


@pytest.mark.parametrize("code", ERROR_CODES)
def test_every_error_body_is_exactly_code_and_message_strings(api: OtpApi, number: PhoneNumber, code: str) -> None:
    response = _provoke(code, api, number)

    assert response.headers["content-type"].split(";")[0] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]


def test_success_bodies_are_served_as_application_json(api: OtpApi, number: PhoneNumber) -> None:
    register = api.register(number)
    verify = api.verify(number, register.json()["authCode"], api.sent_otp(number))

    for response in (register, verify):
        assert response.headers["content-type"].split(";")[0] == "application/json"


@pytest.mark.parametrize("path", OTP_PATHS)
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def test_other_methods_are_405_with_allow_post(api: OtpApi, path: str, method: str) -> None:
    response = api.client.request(method, path, headers=api.headers())

    assert response.status_code == 405
    assert {m.strip().upper() for m in response.headers.get("allow", "").split(",")} == {"POST"}


@pytest.mark.parametrize("path", ["/fe/users/auth/otp/login", "/fe/users/auth/otp", "/", "/fe/users/auth/otp/register/", "/FE/USERS/AUTH/OTP/REGISTER"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_paths_are_404(api: OtpApi, number: PhoneNumber, path: str, method: str) -> None:
    response = api.client.request(method, path, json=number.body(), headers=api.headers())

    assert response.status_code == 404


def test_no_response_contains_an_otp_a_token_or_the_secret(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    resent = api.resend_challenge(number)
    bad_tokens = {f"token ({variant})": bad_token(variant, api.secret, api.user_id) for variant in BAD_TOKEN_VARIANTS if variant != "empty"}
    watched = {"first OTP": challenge.otp, "resent OTP": resent.otp, "token": api.token, "signing secret": api.secret, **bad_tokens}
    responses = [
        api.register(number),  # 429
        api.verify(number, challenge.auth_code, challenge.otp),  # the old OTP: 401
        *(api.register(number, token=token) for token in bad_tokens.values()),
        *(api.post(path, content="{", token=api.token) for path in OTP_PATHS),
        api.client.get(VERIFY, headers=api.headers()),
        api.verify(number, resent.auth_code, resent.otp),  # 200
    ]

    leaks = [leak for response in responses for leak in leaks_in(response, watched)]

    assert not leaks, f"leaks: {leaks}"
