"""What register and resend do to a challenge in each state it can be in (contract, 'Challenges'):
register on a pending one starts afresh; resend of a pending one restarts its lifetime; resend of a
consumed, locked or expired one behaves like register; isNewUser follows verification by any user.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contract_tests.plugins.aged import ExpiredChallenges
from contract_tests.steps import COOLDOWN_MARGIN_S, Stopwatch, answered_after, guess_wrong, sent_anew
from otp_suite.contract.challenges import Challenge
from otp_suite.contract.client import OtpClient
from otp_suite.contract.expectations import expect_challenge, expect_error, expect_verified
from otp_suite.contract.skip_causes import SkipCause, skip
from otp_suite.contract.waiting import CLOCK_MARGIN_S, PolicyWaiter
from otp_suite.policy import OtpPolicy
from otp_suite.testdata.phone_numbers import PhoneNumber

Start = Callable[..., Challenge]


def _after_cooldown(policy: OtpPolicy) -> float:
    return policy.resend_cooldown_s + COOLDOWN_MARGIN_S


def _still_pending_after_cooldown(policy: OtpPolicy) -> None:
    if _after_cooldown(policy) >= policy.ttl_s - CLOCK_MARGIN_S:
        skip(SkipCause.POLICY, f"the cooldown ({policy.resend_cooldown_s:g} s) is not well inside the OTP lifetime ({policy.ttl_s:g} s): no pending challenge survives it")


@pytest.mark.policy_wait
def test_register_on_pending_challenge_starts_with_no_failed_attempts(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    _still_pending_after_cooldown(policy)
    first = started(number)
    clock = Stopwatch(waiter)  # after the answer: the target's send time is earlier, so the wait is at least the cooldown
    guess_wrong(client, first, policy.max_verify_attempts - 1)
    clock.wait_until(_after_cooldown(policy), "the resend cooldown before registering again")
    second = started(number)
    guess_wrong(client, second, policy.max_verify_attempts - 1)

    response = client.verify(number, second.auth_code, second.otp)

    expect_verified(response, "register drops the pending challenge: the new one has its own failed-attempt count")


@pytest.mark.policy_wait
def test_register_on_pending_challenge_kills_its_otp(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter, distinct_codes: None) -> None:
    _still_pending_after_cooldown(policy)
    first = started(number)
    clock = Stopwatch(waiter)
    second = sent_anew(lambda: started(number), first, clock, _after_cooldown(policy), "the resend cooldown before registering again")

    response = client.verify(number, second.auth_code, first.otp)

    expect_error(response, 401, "INVALID_OTP", "register drops the pending challenge: its OTP no longer verifies")


@pytest.mark.slow
@pytest.mark.policy_wait
def test_resend_restarts_the_otp_lifetime(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    # Resend R s after the first send and verify once the first OTP is lifetime + margin old: the
    # resent one is then lifetime + margin - R <= lifetime - 0.5 old (R >= margin + 0.5), inside its
    # lifetime. Verifying as early as that keeps the test one lifetime long, not a cooldown more.
    resend_at = max(_after_cooldown(policy), CLOCK_MARGIN_S + 0.5)
    verify_at = policy.ttl_s + CLOCK_MARGIN_S
    if resend_at >= policy.ttl_s - 0.5:
        skip(SkipCause.POLICY, f"the cooldown ({policy.resend_cooldown_s:g} s) leaves no time to resend inside the OTP lifetime ({policy.ttl_s:g} s)")
    waiter.ensure_affordable(verify_at, "the resend cooldown and the OTP lifetime")
    started(number)
    clock = Stopwatch(waiter)  # the first send happened before this: its OTP is at least this old
    clock.wait_until(resend_at, "the resend cooldown before resending")
    clock.restart()  # the resend happens after this: the resent OTP is at most this old
    resent = started(number, operation="resend")
    clock.wait_until(verify_at - resend_at, "the rest of the first OTP's lifetime")

    response = client.verify(number, resent.auth_code, resent.otp)

    if answered_after(response, "OTP_EXPIRED", clock, policy.ttl_s - 0.05):
        skip(SkipCause.TIMING, f"the verify was answered {clock.elapsed():.2f} s after the resend began (a busy machine); the resent OTP's lifetime could be over")
    expect_verified(response, f"resend restarts the lifetime: the resent OTP is about {verify_at - resend_at:g} s old though the challenge began over {verify_at:g} s ago (lifetime {policy.ttl_s:g} s)")


@pytest.mark.policy_wait
def test_resend_after_lockout_starts_a_new_challenge(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    locked = started(number)
    clock = Stopwatch(waiter)
    guess_wrong(client, locked, policy.max_verify_attempts)
    clock.wait_until(_after_cooldown(policy), "the resend cooldown before resending")
    resent = started(number, operation="resend")

    response = client.verify(number, resent.auth_code, resent.otp)

    expect_verified(response, "a locked challenge is not pending: resend behaves like register and the new OTP verifies")


@pytest.mark.policy_wait
def test_register_after_lockout_starts_a_challenge_with_no_failed_attempts(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    locked = started(number)
    clock = Stopwatch(waiter)
    guess_wrong(client, locked, policy.max_verify_attempts)
    clock.wait_until(_after_cooldown(policy), "the resend cooldown before registering again")
    fresh = started(number)

    response = client.verify(number, fresh.auth_code, fresh.otp)

    expect_verified(response, "register always starts a new challenge: the lock of the one it replaces does not carry over, and the new OTP verifies")


@pytest.mark.policy_wait
def test_resend_after_verify_starts_a_new_challenge(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    consumed = started(number)
    clock = Stopwatch(waiter)
    expect_verified(client.verify(number, consumed.auth_code, consumed.otp), "arranging: the first challenge is verified")
    clock.wait_until(_after_cooldown(policy), "the resend cooldown before resending")
    resent = started(number, operation="resend")

    response = client.verify(number, resent.auth_code, resent.otp)

    expect_verified(response, "a consumed challenge is not pending: resend behaves like register and the new OTP verifies")


@pytest.mark.policy_wait
def test_resend_after_expiry_starts_with_no_failed_attempts(client: OtpClient, started: Start, policy: OtpPolicy, expired_challenges: ExpiredChallenges) -> None:
    if policy.resend_cooldown_s > policy.ttl_s:
        skip(SkipCause.POLICY, f"the cooldown ({policy.resend_cooldown_s:g} s) outlasts the OTP lifetime ({policy.ttl_s:g} s)")
    worn = expired_challenges.take("worn")  # max-1 failed attempts, then past its lifetime
    resent = started(worn.number, operation="resend")
    guess_wrong(client, resent, 1)

    response = client.verify(worn.number, resent.auth_code, resent.otp)

    expect_verified(response, "an expired challenge is not pending: resend starts a new one, whose failed attempts start at 0")


@pytest.mark.policy_wait
def test_number_verified_by_another_user_is_not_new(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter, other_user_token: str) -> None:
    challenge = started(number)
    clock = Stopwatch(waiter)
    expect_verified(client.verify(number, challenge.auth_code, challenge.otp), "arranging: the session user verifies the number")
    clock.wait_until(_after_cooldown(policy), "the resend cooldown before registering the number again")

    body = expect_challenge(client.register(number, token=other_user_token), "another user registers the linked number")

    assert body["isNewUser"] is False, "isNewUser is false once any user has verified the number, also for another user"


@pytest.mark.policy_wait
def test_number_sent_but_never_verified_is_still_new(client: OtpClient, started: Start, new_number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    started(new_number)
    clock = Stopwatch(waiter)
    clock.wait_until(_after_cooldown(policy), "the resend cooldown before registering the number again")

    body = expect_challenge(client.register(new_number), "registering the number again")

    assert body["isNewUser"] is True, "isNewUser is true exactly when no user has ever verified the number; an OTP sent but never verified does not count"
