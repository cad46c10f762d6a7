"""Challenges already past their lifetime, in each state a verify order rule needs.

Expiry is a one-way door: a challenge past its lifetime stays past it. So the first test that asks
for one arranges all of them on their own fresh numbers, waits out one lifetime (bounded by
OTP_MAX_WAIT_S) and hands each test its own challenge: one wait of the target's clock instead of one
per test. Nothing else is shared: every state is one challenge on one number, taken by one test.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from fixtures.phone_numbers import PhoneNumberSource
from otp_suite.contract.challenges import Challenge, start_challenge
from otp_suite.contract.client import OtpClient, OtpInbox
from otp_suite.contract.expectations import expect_verified
from otp_suite.contract.waiting import PolicyWaiter
from otp_suite.policy import OtpPolicy
from contract_tests.steps import EXPIRY_MARGIN_S, guess_wrong

#: state -> failed attempts to make before the lifetime runs out (None: verify it, consuming it).
STATES: dict[str, int | None] = {
    "pending_for_wrong_guess": 0,  # for a wrong guess on an expired challenge
    "pending_for_leaks": 0,  # for the OTP_EXPIRED answer's leak check
    "consumed": None,
    "locked": -1,  # -1: the maximum of wrong guesses
    "worn": -2,  # -2: one wrong guess short of the maximum (for resend of an expired challenge)
}


@dataclass
class ExpiredChallenges:
    """Hands out challenges older than the OTP lifetime, one per state, each to one test."""

    client: OtpClient
    inbox: OtpInbox
    phone_numbers: PhoneNumberSource
    policy: OtpPolicy
    waiter: PolicyWaiter
    _ready: dict[str, Challenge] = field(default_factory=dict)
    _taken: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, state: str) -> Challenge:
        """The expired challenge in ``state`` (a key of :data:`STATES`); skips when the lifetime is too long to wait."""
        wait = self.policy.ttl_s + EXPIRY_MARGIN_S
        self.waiter.ensure_affordable(wait, "the OTP lifetime OTP_TTL_S")
        with self._lock:
            if state in self._taken:
                raise RuntimeError(f"expired challenge {state!r} was already taken; give each test its own state in STATES")
            if not self._ready:
                self._arrange(wait)
            self._taken.add(state)
            return self._ready[state]

    def _arrange(self, wait: float) -> None:
        challenges: dict[str, Challenge] = {}
        for state, wrong in STATES.items():
            challenge = start_challenge(self.client, self.inbox, self.phone_numbers.next())
            if wrong is None:
                expect_verified(self.client.verify(challenge.number, challenge.auth_code, challenge.otp), "arranging a consumed challenge: verify succeeds")
            elif wrong < 0:
                guess_wrong(self.client, challenge, self.policy.max_verify_attempts + 1 + wrong)
            challenges[state] = challenge
        last_send = time.monotonic()
        time.sleep(max(0.0, last_send + wait - time.monotonic()))
        self._ready = challenges


@pytest.fixture(scope="session")
def expired_challenges(client: OtpClient, inbox: OtpInbox, phone_numbers: PhoneNumberSource, policy: OtpPolicy, waiter: PolicyWaiter) -> ExpiredChallenges:
    """Challenges past their lifetime, one per state (see :data:`STATES`)."""
    return ExpiredChallenges(client, inbox, phone_numbers, policy, waiter)
