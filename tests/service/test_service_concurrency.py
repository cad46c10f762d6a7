"""The contract's guarantees under concurrent requests, with real concurrent HTTP requests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import httpx

from helpers.service import REGISTER, VERIFY, OtpApi
from otp_suite.testdata.codes import wrong_otp
from otp_suite.testdata.phone_numbers import PhoneNumber

CONCURRENT = 12


def _statuses(responses: Iterable[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


def test_concurrent_right_verifies_give_exactly_one_200(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    body = number.body(authCode=challenge.auth_code, otp=challenge.otp)

    responses = api.post_concurrently(VERIFY, [body] * CONCURRENT)

    statuses = _statuses(responses)
    assert statuses[200] == 1, f"statuses: {dict(statuses)}"
    assert {r.json()["code"] for r in responses if r.status_code != 200} == {"INVALID_OTP"}


def test_concurrent_wrong_guesses_are_evaluated_at_most_max_attempts_times(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    # Distinct wrong OTPs, as a brute-force attacker would send them.
    bodies = [number.body(authCode=challenge.auth_code, otp=wrong_otp(challenge.otp, i + 1)) for i in range(CONCURRENT)]

    responses = api.post_concurrently(VERIFY, bodies)

    statuses = _statuses(responses)
    assert statuses[401] == api.policy.max_verify_attempts, f"statuses: {dict(statuses)}"
    assert statuses[429] == CONCURRENT - api.policy.max_verify_attempts


def test_concurrent_guesses_with_the_right_otp_among_them_end_either_consumed_or_locked(api: OtpApi, number: PhoneNumber) -> None:
    # Which request the service takes first is the machine's: on a loaded one the right OTP often
    # wins, and every guess after it meets a consumed challenge (401, step 1 of the verify order),
    # so the 401s alone cannot count the wrong guesses evaluated (the all-wrong test above does).
    challenge = api.start_challenge(number)
    wrong = [number.body(authCode=challenge.auth_code, otp=wrong_otp(challenge.otp, i)) for i in range(1, CONCURRENT)]
    right = number.body(authCode=challenge.auth_code, otp=challenge.otp)
    most = api.policy.max_verify_attempts

    responses = api.post_concurrently(VERIFY, wrong + [right])

    statuses = dict(_statuses(responses))
    consumed = {200: 1, 401: CONCURRENT - 1}  # the right OTP came before the lock: nothing after it is locked
    locked = {401: most, 429: CONCURRENT - most}  # the lock came first: the right OTP is refused too
    assert statuses in (consumed, locked), f"statuses: {statuses}"


def test_concurrent_sends_to_one_number_send_once_within_the_cooldown(api: OtpApi, number: PhoneNumber) -> None:
    responses = api.post_concurrently(REGISTER, [number.body()] * CONCURRENT)

    statuses = _statuses(responses)
    assert statuses[200] == 1, f"statuses: {dict(statuses)}"
    assert statuses[429] == CONCURRENT - 1
