"""The order of verify (contract, 'Challenges', verify steps 1-5): where two conditions hold at once,
the earlier step answers. Every pair that can hold together is tested, each from its own challenge.

Challenges past their lifetime come from ``expired_challenges`` (one wait of the target's clock for
all of them); each test takes its own.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contract_tests.plugins.aged import ExpiredChallenges
from contract_tests.plugins.bodies import SOME_AUTH_CODE, SOME_OTP
from contract_tests.steps import guess_wrong
from otp_suite.contract.challenges import Challenge
from otp_suite.contract.client import OtpClient
from otp_suite.contract.expectations import expect_error, expect_verified
from otp_suite.policy import OtpPolicy
from otp_suite.testdata.phone_numbers import PhoneNumber

Start = Callable[..., Challenge]


def test_verify_without_any_challenge_is_invalid_otp(client: OtpClient, number: PhoneNumber) -> None:
    response = client.verify(number, SOME_AUTH_CODE, SOME_OTP)

    expect_error(response, 401, "INVALID_OTP", "step 1: no challenge for this user and number is INVALID_OTP")


@pytest.mark.policy_wait
def test_consumed_and_expired_challenge_is_invalid_otp(client: OtpClient, expired_challenges: ExpiredChallenges) -> None:
    challenge = expired_challenges.take("consumed")

    response = client.verify(challenge.number, challenge.auth_code, challenge.otp)

    expect_error(response, 401, "INVALID_OTP", "step 1 before step 2: a consumed challenge past its lifetime answers INVALID_OTP, not OTP_EXPIRED")


@pytest.mark.policy_wait
def test_expired_and_locked_challenge_is_otp_expired(client: OtpClient, expired_challenges: ExpiredChallenges) -> None:
    challenge = expired_challenges.take("locked")

    response = client.verify(challenge.number, challenge.auth_code, challenge.otp)

    expect_error(response, 401, "OTP_EXPIRED", "step 2 before step 3: a locked challenge past its lifetime answers OTP_EXPIRED, not TOO_MANY_ATTEMPTS")


@pytest.mark.policy_wait
def test_wrong_guess_on_expired_challenge_is_otp_expired(client: OtpClient, expired_challenges: ExpiredChallenges) -> None:
    challenge = expired_challenges.take("pending_for_wrong_guess")

    response = client.verify(challenge.number, challenge.auth_code, challenge.wrong_otp())

    expect_error(response, 401, "OTP_EXPIRED", "step 2 before step 4: a wrong OTP on a challenge past its lifetime answers OTP_EXPIRED, not INVALID_OTP")


def test_wrong_guess_on_locked_challenge_is_too_many_attempts(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy) -> None:
    challenge = started(number)
    guess_wrong(client, challenge, policy.max_verify_attempts)

    response = client.verify(number, challenge.auth_code, challenge.wrong_otp(99))

    expect_error(response, 429, "TOO_MANY_ATTEMPTS", "step 3 before step 4: a wrong OTP on a locked challenge answers TOO_MANY_ATTEMPTS, not INVALID_OTP")


def test_wrong_guess_on_consumed_challenge_is_invalid_otp(client: OtpClient, started: Start, number: PhoneNumber) -> None:
    challenge = started(number)
    expect_verified(client.verify(number, challenge.auth_code, challenge.otp), "arranging: the first verify succeeds")

    response = client.verify(number, challenge.auth_code, challenge.wrong_otp())

    expect_error(response, 401, "INVALID_OTP", "step 1: a consumed challenge answers INVALID_OTP whatever the codes")
