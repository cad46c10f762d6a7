"""The contract's authentication rules for the ``user-jwt-token`` header."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from helpers.service import OTP_PATHS, REGISTER, RESEND, VERIFY, OtpApi
from otp_suite.testdata.phone_numbers import PhoneNumber
from otp_suite.testdata.tokens import BAD_TOKEN_VARIANTS, bad_token, mint_token

LEEWAY_S = 30


def _assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.json()["code"] == "UN_AUTHORIZED"


def _send_anything(api: OtpApi, path: str, number: PhoneNumber, token: object) -> httpx.Response:
    body = number.body(authCode="1234", otp="123456") if path == VERIFY else number.body()
    return api.post(path, body, token=token)


@pytest.mark.parametrize("path", OTP_PATHS)
def test_request_without_token_is_401(api: OtpApi, number: PhoneNumber, path: str) -> None:
    _assert_unauthorized(_send_anything(api, path, number, token=None))


@pytest.mark.parametrize("variant", sorted(BAD_TOKEN_VARIANTS))
def test_bad_token_is_401_on_every_endpoint(api: OtpApi, number: PhoneNumber, variant: str) -> None:
    token = bad_token(variant, api.secret, api.user_id)

    for path in OTP_PATHS:
        _assert_unauthorized(_send_anything(api, path, number, token))


def test_token_in_authorization_header_instead_of_user_jwt_token_is_401(api: OtpApi, number: PhoneNumber) -> None:
    response = api.client.post(REGISTER, json=number.body(), headers={"authorization": f"Bearer {api.token}"})

    _assert_unauthorized(response)


@pytest.mark.parametrize(
    ("where", "headers"),
    [
        ("cookie", lambda t: {"cookie": f"user-jwt-token={t}"}),
        ("underscored header", lambda t: {"user_jwt_token": t}),
        ("prefixed header", lambda t: {"x-user-jwt-token": t}),
    ],
)
def test_token_anywhere_but_the_user_jwt_token_header_is_401(api: OtpApi, number: PhoneNumber, where: str, headers: Callable[[str], dict[str, str]]) -> None:
    response = api.client.post(REGISTER, json=number.body(), headers=headers(api.token))

    _assert_unauthorized(response)


def test_token_header_name_is_case_insensitive(api: OtpApi, number: PhoneNumber) -> None:
    response = api.client.post(REGISTER, json=number.body(), headers={"User-JWT-Token": api.token})

    assert response.status_code == 200


def test_valid_hs256_token_is_accepted(api: OtpApi, number: PhoneNumber) -> None:
    assert api.register(number).status_code == 200


def test_token_with_only_the_required_claims_is_accepted(api: OtpApi, number: PhoneNumber) -> None:
    now = int(api.clock())
    token = mint_token(api.secret, api.user_id, issued_at=now, drop=("sub", "iss", "third_party_client_id", "namespaced_third_party_user_id", "wallet_address"))

    assert api.register(number, token=token).status_code == 200


def test_token_with_other_claim_types_the_contract_does_not_constrain_is_accepted(api: OtpApi, number: PhoneNumber) -> None:
    token = api.mint(extra={"sub": 12345, "jti": 7, "aud": "someone-else"})

    assert api.register(number, token=token).status_code == 200


@pytest.mark.parametrize("seconds_past", [1, LEEWAY_S - 1, LEEWAY_S])
def test_token_expired_within_the_30_s_leeway_is_accepted(api: OtpApi, number: PhoneNumber, seconds_past: int) -> None:
    now = int(api.clock())
    token = mint_token(api.secret, api.user_id, issued_at=now - 3600, lifetime_s=3600 - seconds_past)

    assert api.register(number, token=token).status_code == 200


@pytest.mark.parametrize("seconds_past", [LEEWAY_S + 1, 3600])
def test_token_expired_beyond_the_30_s_leeway_is_401(api: OtpApi, number: PhoneNumber, seconds_past: int) -> None:
    now = int(api.clock())
    token = mint_token(api.secret, api.user_id, issued_at=now - 7200, lifetime_s=7200 - seconds_past)

    _assert_unauthorized(api.register(number, token=token))


def test_token_expiry_is_judged_by_the_service_clock(api: OtpApi, number: PhoneNumber) -> None:
    token = api.mint(lifetime_s=60)
    api.clock.advance(60 + LEEWAY_S + 1)

    _assert_unauthorized(api.register(number, token=token))


@pytest.mark.parametrize("seconds_ahead", [1, LEEWAY_S])
def test_token_not_before_within_the_30_s_leeway_is_accepted(api: OtpApi, number: PhoneNumber, seconds_ahead: int) -> None:
    token = api.mint(extra={"nbf": int(api.clock()) + seconds_ahead})

    assert api.register(number, token=token).status_code == 200


def test_token_not_before_beyond_the_30_s_leeway_is_401(api: OtpApi, number: PhoneNumber) -> None:
    token = api.mint(extra={"nbf": int(api.clock()) + LEEWAY_S + 1})

    _assert_unauthorized(api.register(number, token=token))


@pytest.mark.parametrize("claim", ["user_id", "client_id"])
@pytest.mark.parametrize("value", ["", 42, None, ["user"]])
def test_user_id_and_client_id_must_be_non_empty_strings(api: OtpApi, number: PhoneNumber, claim: str, value: object) -> None:
    token = api.mint(extra={claim: value})

    _assert_unauthorized(api.register(number, token=token))


@pytest.mark.parametrize("claim", ["exp", "iat"])
def test_exp_and_iat_must_be_present(api: OtpApi, number: PhoneNumber, claim: str) -> None:
    token = api.mint(drop=(claim,))

    _assert_unauthorized(api.register(number, token=token))


def test_token_is_checked_on_resend_and_verify_too(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    expired = bad_token("expired", api.secret, api.user_id)

    _assert_unauthorized(api.post(RESEND, number.body(), token=expired))
    _assert_unauthorized(api.verify(number, challenge.auth_code, challenge.otp, token=expired))
