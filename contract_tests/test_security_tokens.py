"""Token edges (contract, 'Authentication'): the 30 s leeway on exp and nbf, from both sides, and
claims of the wrong type. Valid-looking tokens are judged on verify for a number with no challenge,
so an accepted token answers 401 INVALID_OTP and a refused one 401 UN_AUTHORIZED, and nothing is sent.

The margins (+/- 7 s around 30 s) absorb a few seconds of clock difference between suite and target.
"""

from __future__ import annotations

import time

from contract_tests.plugins.bodies import SOME_AUTH_CODE, SOME_OTP
from contract_tests.plugins.identities import Identities
from otp_suite.contract.client import OtpClient
from otp_suite.contract.expectations import expect_error
from otp_suite.testdata.phone_numbers import PhoneNumber
from otp_suite.testdata.tokens import new_user_id

LEEWAY_S = 30
INSIDE_S = LEEWAY_S - 7
OUTSIDE_S = LEEWAY_S + 7


def _expired_ago(identities: Identities, seconds: int) -> str:
    now = int(time.time())
    return identities.token_with(new_user_id(), issued_at=now - 3600 - seconds, lifetime_s=3600)


def _not_before_in(identities: Identities, seconds: int) -> str:
    return identities.token_with(new_user_id(), extra={"nbf": int(time.time()) + seconds})


def test_token_expired_within_the_leeway_accepted(client: OtpClient, identities: Identities, number: PhoneNumber) -> None:
    response = client.verify(number, SOME_AUTH_CODE, SOME_OTP, token=_expired_ago(identities, INSIDE_S))

    expect_error(response, 401, "INVALID_OTP", f"a token whose exp is {INSIDE_S} s past (not more than 30 s) is valid: the answer is about the OTP, not UN_AUTHORIZED")


def test_token_expired_past_the_leeway_refused(client: OtpClient, identities: Identities, number: PhoneNumber) -> None:
    response = client.verify(number, SOME_AUTH_CODE, SOME_OTP, token=_expired_ago(identities, OUTSIDE_S))

    expect_error(response, 401, "UN_AUTHORIZED", f"a token whose exp is {OUTSIDE_S} s past (more than 30 s) is refused")


def test_token_not_before_within_the_leeway_accepted(client: OtpClient, identities: Identities, number: PhoneNumber) -> None:
    response = client.verify(number, SOME_AUTH_CODE, SOME_OTP, token=_not_before_in(identities, INSIDE_S))

    expect_error(response, 401, "INVALID_OTP", f"a token whose nbf is {INSIDE_S} s ahead (not more than 30 s) is valid: the answer is about the OTP, not UN_AUTHORIZED")


def test_token_not_before_past_the_leeway_refused(client: OtpClient, identities: Identities, number: PhoneNumber) -> None:
    response = client.verify(number, SOME_AUTH_CODE, SOME_OTP, token=_not_before_in(identities, OUTSIDE_S))

    expect_error(response, 401, "UN_AUTHORIZED", f"a token whose nbf is {OUTSIDE_S} s ahead (more than 30 s) is refused")


def test_token_with_numeric_client_id_refused(client: OtpClient, identities: Identities, number: PhoneNumber) -> None:
    response = client.verify(number, SOME_AUTH_CODE, SOME_OTP, token=identities.token_with(new_user_id(), extra={"client_id": 12345}))

    expect_error(response, 401, "UN_AUTHORIZED", "client_id must be a non-empty string: a number is refused")


def test_token_with_numeric_user_id_refused(client: OtpClient, identities: Identities, number: PhoneNumber) -> None:
    response = client.verify(number, SOME_AUTH_CODE, SOME_OTP, token=identities.token_with(new_user_id(), extra={"user_id": 12345}))

    expect_error(response, 401, "UN_AUTHORIZED", "user_id must be a non-empty string: a number is refused")
