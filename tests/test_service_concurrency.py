"""The contract's guarantees under concurrent requests, with real concurrent HTTP requests."""

from __future__ import annotations

from collections import Counter

from service_fixtures import REGISTER, VERIFY, OtpApi, wrong_otp

CONCURRENT = 12


def _statuses(responses) -> Counter[int]:
    return Counter(response.status_code for response in responses)


def test_concurrent_right_verifies_give_exactly_one_200(api: OtpApi, number) -> None:
    challenge = api.start_challenge(number)
    body = number.body(authCode=challenge.auth_code, otp=challenge.otp)

    responses = api.post_concurrently(VERIFY, [body] * CONCURRENT)

    statuses = _statuses(responses)
    assert statuses[200] == 1, f"statuses: {dict(statuses)}"
    assert {r.json()["code"] for r in responses if r.status_code != 200} == {"INVALID_OTP"}


def test_concurrent_wrong_guesses_are_evaluated_at_most_max_attempts_times(api: OtpApi, number) -> None:
    challenge = api.start_challenge(number)
    # Distinct wrong OTPs, as a brute-force attacker would send them.
    bodies = [number.body(authCode=challenge.auth_code, otp=wrong_otp(f"{(int(challenge.otp) + i) % 1_000_000:06d}")) for i in range(CONCURRENT)]

    responses = api.post_concurrently(VERIFY, bodies)

    statuses = _statuses(responses)
    assert statuses[401] == api.policy.max_verify_attempts, f"statuses: {dict(statuses)}"
    assert statuses[429] == CONCURRENT - api.policy.max_verify_attempts


def test_concurrent_guesses_with_the_right_otp_among_them_never_exceed_the_maximum(api: OtpApi, number) -> None:
    challenge = api.start_challenge(number)
    wrong = [number.body(authCode=challenge.auth_code, otp=f"{(int(challenge.otp) + i) % 1_000_000:06d}") for i in range(1, CONCURRENT)]
    right = number.body(authCode=challenge.auth_code, otp=challenge.otp)

    responses = api.post_concurrently(VERIFY, wrong + [right])

    statuses = _statuses(responses)
    assert statuses[401] <= api.policy.max_verify_attempts, f"statuses: {dict(statuses)}"
    assert statuses[200] <= 1


def test_concurrent_sends_to_one_number_send_once_within_the_cooldown(api: OtpApi, number) -> None:
    responses = api.post_concurrently(REGISTER, [number.body()] * CONCURRENT)

    statuses = _statuses(responses)
    assert statuses[200] == 1, f"statuses: {dict(statuses)}"
    assert statuses[429] == CONCURRENT - 1
