"""Limits (contract, 'Challenges' and 'Sending limits'): wrong guesses and lockout, concurrency,
resend cooldown and send window with Retry-After. Every test uses its own fresh numbers."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from contract_tests.steps import Stopwatch, answer_counts, answered_after, at_once, guess_wrong, window_to_fill
from otp_suite.contract.challenges import Challenge
from otp_suite.contract.client import OtpClient
from otp_suite.contract.expectations import expect_challenge, expect_error, expect_retry_after, expect_verified, explain
from otp_suite.contract.skip_causes import SkipCause, skip
from otp_suite.contract.waiting import PolicyWaiter
from otp_suite.policy import OtpPolicy
from otp_suite.testdata.phone_numbers import NumberAllocator, PhoneNumber

Start = Callable[..., Challenge]


def test_lockout_after_max_wrong_guesses_refuses_even_the_right_otp(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy) -> None:
    challenge = started(number)
    guess_wrong(client, challenge, policy.max_verify_attempts)

    response = client.verify(number, challenge.auth_code, challenge.otp)

    expect_error(response, 429, "TOO_MANY_ATTEMPTS", f"after {policy.max_verify_attempts} wrong guesses the right OTP is refused")


def test_wrong_guesses_of_another_user_do_not_lock_my_challenge(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter, other_user_token: str) -> None:
    clock = Stopwatch(waiter)
    mine = started(number)
    for attempt in range(1, policy.max_verify_attempts + 1):
        response = client.verify(number, mine.auth_code, mine.wrong_otp(attempt), token=other_user_token)
        expect_error(response, 401, "INVALID_OTP", f"another user's wrong guess {attempt} on my number is refused (that user has no challenge)")

    response = client.verify(number, mine.auth_code, mine.otp)

    if answered_after(response, "OTP_EXPIRED", clock, policy.ttl_s):
        skip(SkipCause.TIMING, f"the verify was answered {clock.elapsed():.2f} s after the send (a busy machine): the OTP's lifetime of {policy.ttl_s:g} s could be over")
    expect_verified(response, "failed attempts belong to the challenge: another user's wrong guesses on the same number do not lock mine")


def test_lockout_answer_carries_retry_after(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy) -> None:
    challenge = started(number)
    guess_wrong(client, challenge, policy.max_verify_attempts)

    response = client.verify(number, challenge.auth_code, challenge.wrong_otp())

    expect_error(response, 429, "TOO_MANY_ATTEMPTS", "a locked challenge answers 429 TOO_MANY_ATTEMPTS")
    expect_retry_after(response, "the lockout 429 carries Retry-After")


def test_right_otp_still_verifies_one_guess_below_the_limit(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy) -> None:
    challenge = started(number)
    guess_wrong(client, challenge, policy.max_verify_attempts - 1)

    response = client.verify(number, challenge.auth_code, challenge.otp)

    expect_verified(response, f"{policy.max_verify_attempts - 1} wrong guesses do not lock the challenge yet")


@pytest.mark.policy_wait
def test_resend_keeps_the_failed_attempt_count(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    waiter.ensure_affordable(policy.resend_cooldown_s + 1.0, "the resend cooldown before resending")
    challenge = started(number)
    guess_wrong(client, challenge, policy.max_verify_attempts - 1)
    waiter.wait(policy.resend_cooldown_s, "the resend cooldown before resending")
    resent = started(number, operation="resend")
    guess_wrong(client, resent, 1)

    response = client.verify(number, resent.auth_code, resent.otp)

    expect_error(response, 429, "TOO_MANY_ATTEMPTS", "resend keeps the failed attempts, so the limit is reached across it")


def test_concurrent_wrong_guesses_never_pass_the_limit(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy) -> None:
    challenge = started(number)
    guesses = 3 * policy.max_verify_attempts + 4

    responses = at_once(guesses, lambda _: client.verify(number, challenge.auth_code, challenge.wrong_otp(7)))

    counts = answer_counts(responses)
    assert counts["401 INVALID_OTP"] <= policy.max_verify_attempts, explain(responses[0], f"of {guesses} concurrent wrong guesses at most {policy.max_verify_attempts} may be evaluated; answers were {dict(counts)}")
    assert set(counts) <= {"401 INVALID_OTP", "429 TOO_MANY_ATTEMPTS"}, explain(responses[0], f"only INVALID_OTP or TOO_MANY_ATTEMPTS are due; answers were {dict(counts)}")


def test_concurrent_right_verifies_succeed_exactly_once(client: OtpClient, started: Start, number: PhoneNumber) -> None:
    challenge = started(number)
    attempts = 8

    responses = at_once(attempts, lambda _: client.verify(number, challenge.auth_code, challenge.otp))

    counts = answer_counts(responses)
    assert counts["200 OK"] == 1, explain(responses[0], f"{attempts} concurrent right verifies must consume the challenge exactly once; answers were {dict(counts)}")
    assert counts["401 INVALID_OTP"] == attempts - 1, explain(responses[0], f"the others find it consumed (401 INVALID_OTP); answers were {dict(counts)}")


def test_second_send_within_cooldown_refused_with_retry_after(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    if policy.resend_cooldown_s < 1:
        skip(SkipCause.POLICY, f"OTP_RESEND_COOLDOWN_S={policy.resend_cooldown_s:g}: no cooldown to observe")
    started(number)
    clock = Stopwatch(waiter)

    response = client.resend(number)

    if response.status_code == 200 and clock.elapsed() >= policy.resend_cooldown_s:
        skip(SkipCause.TIMING, f"the resend was answered {clock.elapsed():.2f} s after the first send (a busy machine), past the cooldown")
    expect_error(response, 429, "TOO_MANY_REQUESTS", "a second send within the resend cooldown is refused")
    retry_after = expect_retry_after(response, "the cooldown 429 carries Retry-After")
    assert retry_after <= math.ceil(policy.resend_cooldown_s) + 1, explain(response, f"Retry-After {retry_after} s exceeds the cooldown OTP_RESEND_COOLDOWN_S={policy.resend_cooldown_s:g}")


def test_cooldown_counts_sends_for_every_user(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, other_user_token: str) -> None:
    if policy.resend_cooldown_s < 1:
        skip(SkipCause.POLICY, f"OTP_RESEND_COOLDOWN_S={policy.resend_cooldown_s:g}: no cooldown to observe")
    started(number)

    response = client.register(number, token=other_user_token)

    expect_error(response, 429, "TOO_MANY_REQUESTS", "sending limits count per number, whichever user asks")


def test_sending_limits_count_per_country_code(client: OtpClient, started: Start, phone_numbers: NumberAllocator, second_range: int, policy: OtpPolicy) -> None:
    if policy.resend_cooldown_s < 1:
        skip(SkipCause.POLICY, f"OTP_RESEND_COOLDOWN_S={policy.resend_cooldown_s:g}: no cooldown to observe")
    pair = phone_numbers.fresh_in_both(0, second_range)
    if pair is None:
        first, second = phone_numbers.ranges[0], phone_numbers.ranges[second_range]
        skip(SkipCause.SETUP, f"the test ranges {first} and {second} share no phone_number, and no OTP is sent outside them; give two ranges of one prefix and length (e.g. +91:99999,+44:99999) to judge this rule")
    number, same_digits_in_another_country = pair
    started(number)

    response = client.register(same_digits_in_another_country)

    expect_challenge(response, "sending limits count per number (countryCode + phone_number): the cooldown of one number does not hold back the same phone_number under another countryCode")


def test_refused_send_sends_nothing(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, distinct_codes: None) -> None:
    if policy.resend_cooldown_s < 1:
        skip(SkipCause.POLICY, f"OTP_RESEND_COOLDOWN_S={policy.resend_cooldown_s:g}: no cooldown to observe")
    challenge = started(number)
    expect_error(client.resend(number), 429, "TOO_MANY_REQUESTS", "a resend within the cooldown is refused")

    response = client.verify(number, challenge.auth_code, challenge.otp)

    expect_verified(response, "a refused send sends nothing, so the OTP sent before still verifies")


@pytest.mark.slow
@pytest.mark.policy_wait
def test_resends_count_toward_the_send_window(client: OtpClient, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    allowed, gap = window_to_fill(policy, waiter)
    expect_challenge(client.register(number), "the first send of the window, a register, is accepted")
    for send in range(2, allowed + 1):
        waiter.wait(gap, "the resend cooldown between sends")
        expect_challenge(client.resend(number), f"send {send} of the {allowed} the window allows, a resend, is accepted")
    waiter.wait(gap, "the resend cooldown between sends")

    response = client.register(number)

    expect_error(response, 429, "TOO_MANY_REQUESTS", f"register and resend count together: after a register and {allowed - 1} resends, send {allowed + 1} within the window is refused")


@pytest.mark.slow
@pytest.mark.policy_wait
def test_send_window_limits_sends_with_retry_after(client: OtpClient, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    allowed, gap = window_to_fill(policy, waiter)
    for send in range(1, allowed + 1):
        if send > 1:
            waiter.wait(gap, "the resend cooldown between sends")
        expect_challenge(client.register(number), f"send {send} of the {allowed} the window allows is accepted")
    waiter.wait(gap, "the resend cooldown between sends")

    response = client.register(number)

    expect_error(response, 429, "TOO_MANY_REQUESTS", f"send {allowed + 1} within the window is refused")
    retry_after = expect_retry_after(response, "the window 429 carries Retry-After")
    assert retry_after <= math.ceil(policy.send_window_s) + 1, explain(response, f"Retry-After {retry_after} s exceeds the window OTP_SEND_WINDOW_S={policy.send_window_s:g}")
