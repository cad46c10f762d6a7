"""The contract's order of checks: 413, then 401, then 415, then 400, then limits and OTP logic."""

from __future__ import annotations

import json

import pytest

from helpers.service import OTP_PATHS, REGISTER, VERIFY, OtpApi
from otp_suite.testdata.phone_numbers import PhoneNumber

LIMIT = 16 * 1024


def _padded_body(number: PhoneNumber, size: int) -> str:
    """A valid register body for ``number`` of exactly ``size`` bytes (an ignored extra field pads it)."""
    stem = json.dumps(number.body(pad=""))
    return stem.replace('"pad": ""', '"pad": "' + "x" * (size - len(stem)) + '"')


@pytest.mark.parametrize("path", OTP_PATHS)
def test_body_over_16_kib_is_413_before_auth(api: OtpApi, number: PhoneNumber, path: str) -> None:
    response = api.post(path, content=_padded_body(number, LIMIT + 1), token=None, content_type="text/plain")

    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_body_of_exactly_16_kib_is_not_too_large(api: OtpApi, number: PhoneNumber) -> None:
    body = _padded_body(number, LIMIT)
    assert len(body.encode()) == LIMIT

    response = api.post(REGISTER, content=body)

    assert response.status_code == 200


def test_chunked_body_over_16_kib_is_413(api: OtpApi, number: PhoneNumber) -> None:
    body = _padded_body(number, LIMIT * 4).encode()

    # A generator body has no Content-Length: the server has to count while it reads.
    response = api.client.post(REGISTER, content=(body[i : i + 4096] for i in range(0, len(body), 4096)), headers=api.headers())

    assert response.status_code == 413


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_missing_token_is_401_before_content_type_is_checked(api: OtpApi, number: PhoneNumber, content_type: str | None) -> None:
    response = api.post(REGISTER, number.body(), token=None, content_type=content_type)

    assert response.status_code == 401
    assert response.json()["code"] == "UN_AUTHORIZED"


@pytest.mark.parametrize("content", ["not json", "[]", '{"phone_number": 1}', ""])
def test_missing_token_is_401_before_the_body_is_checked(api: OtpApi, content: str) -> None:
    response = api.post(REGISTER, content=content, token=None)

    assert response.status_code == 401
    assert response.json()["code"] == "UN_AUTHORIZED"


def test_invalid_token_is_401_before_rate_limits(api: OtpApi, number: PhoneNumber) -> None:
    api.start_challenge(number)  # the number is now in its cooldown

    response = api.register(number, token=api.mint() + "x")

    assert response.status_code == 401


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", "text/json", None])
def test_content_type_other_than_json_is_415(api: OtpApi, number: PhoneNumber, content_type: str | None) -> None:
    response = api.post(REGISTER, number.body(), content_type=content_type)

    assert response.status_code == 415
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"])
def test_json_content_type_with_parameters_or_any_case_is_accepted(api: OtpApi, number: PhoneNumber, content_type: str) -> None:
    response = api.post(REGISTER, number.body(), content_type=content_type)

    assert response.status_code == 200


def test_wrong_content_type_is_415_before_the_body_is_checked(api: OtpApi) -> None:
    response = api.post(REGISTER, content="not json", content_type="text/plain")

    assert response.status_code == 415


def test_invalid_body_is_400_before_the_lockout(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    api.lock(number, challenge)

    response = api.post(VERIFY, number.body(authCode=challenge.auth_code, otp="not-an-otp"))

    assert response.status_code == 400
