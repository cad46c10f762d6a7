"""Time and count edges of a challenge (contract, 'Challenges'): an OTP used late in its lifetime,
the failed-attempt count for a wrong authCode."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contract_tests.steps import Stopwatch, answered_after
from otp_suite.contract.challenges import Challenge
from otp_suite.contract.client import OtpClient
from otp_suite.contract.expectations import expect_error, expect_verified
from otp_suite.contract.skip_causes import SkipCause, skip
from otp_suite.contract.waiting import PolicyWaiter
from otp_suite.policy import OtpPolicy
from otp_suite.testdata.phone_numbers import PhoneNumber

Start = Callable[..., Challenge]
#: How early before the end of its lifetime the OTP is used: with whole-second timestamps the
#: target may count up to one second more, so "older than the lifetime" is still not reached.
LATE_IN_LIFETIME_S = 0.7


@pytest.mark.slow
@pytest.mark.policy_wait
def test_otp_verifies_late_in_its_lifetime(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    if policy.ttl_s <= 2 * LATE_IN_LIFETIME_S:
        skip(SkipCause.POLICY, f"OTP_TTL_S={policy.ttl_s:g} is too short to use an OTP late in its lifetime")
    clock = Stopwatch(waiter)  # started before the send: the target's age of the OTP is at most ours
    challenge = started(number)
    clock.wait_until(policy.ttl_s - LATE_IN_LIFETIME_S, "the OTP lifetime OTP_TTL_S, nearly all of it")

    response = client.verify(number, challenge.auth_code, challenge.otp)

    if answered_after(response, "OTP_EXPIRED", clock, policy.ttl_s - 0.05):
        skip(SkipCause.TIMING, f"the verify was answered {clock.elapsed():.2f} s after the send began (a busy machine); the edge {LATE_IN_LIFETIME_S:g} s before the end of the lifetime was not reached in time")
    expect_verified(response, f"an OTP {policy.ttl_s - LATE_IN_LIFETIME_S:g} s old (lifetime {policy.ttl_s:g} s) is not older than its lifetime and verifies")


def test_wrong_auth_code_counts_as_a_failed_attempt(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy) -> None:
    challenge = started(number)
    for attempt in range(1, policy.max_verify_attempts + 1):
        wrong = client.verify(number, challenge.wrong_auth_code(), challenge.otp)
        expect_error(wrong, 401, "INVALID_OTP", f"the right OTP with a wrong authCode (attempt {attempt}) is INVALID_OTP")

    response = client.verify(number, challenge.auth_code, challenge.otp)

    expect_error(response, 429, "TOO_MANY_ATTEMPTS", f"{policy.max_verify_attempts} wrong authCodes are {policy.max_verify_attempts} failed attempts: the challenge is locked")
