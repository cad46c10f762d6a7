"""Challenges already past their lifetime, in each state a verify order rule needs.

Expiry is a one-way door: a challenge past its lifetime stays past it. So each session (each
pytest-xdist worker) arranges all of them on their own fresh numbers at its start, while it runs
other tests the lifetime runs out, and a test that takes one waits only for what is left of that one
lifetime (bounded by OTP_MAX_WAIT_S). At a production policy (300 s lifetime) that makes these
tests cost nothing beyond the run's longest test, instead of a worker blocked for a lifetime each
(otp_suite.contract.scheduling hands them out after every test that waits longer). Nothing else is
shared: every state is one challenge on one number, taken by one test.

The tests of a lifetime's edges (an OTP just before and just after its lifetime) keep their own
timeline: an aged challenge may be used long after its lifetime ended, which is no edge.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from contract_tests.steps import EXPIRY_MARGIN_S, guess_wrong
from otp_suite.contract.challenges import Challenge, start_challenge
from otp_suite.contract.client import OtpClient, OtpInbox
from otp_suite.contract.expectations import expect_verified
from otp_suite.contract.scheduling import EXPIRED_CHALLENGES_FIXTURE
from otp_suite.contract.waiting import PolicyWaiter
from otp_suite.policy import OtpPolicy
from otp_suite.testdata.phone_numbers import NumberAllocator, PhoneNumber

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
    phone_numbers: NumberAllocator
    policy: OtpPolicy
    waiter: PolicyWaiter
    _ready: dict[str, Challenge] = field(default_factory=dict)
    _ready_at: float = 0.0  # time.monotonic() when every arranged challenge is past its lifetime
    _arrange_error: Exception | None = None
    _taken: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def lifetime_wait_s(self) -> float:
        """How long after its last send an arranged challenge is surely past its lifetime."""
        return self.policy.ttl_s + EXPIRY_MARGIN_S

    def start_aging(self) -> None:
        """Arrange every state now, so that the lifetime runs out while the session runs other tests.

        A target that refuses the arranging fails the tests that take a challenge, not this caller.
        """
        with self._lock:
            if self._ready or self._arrange_error is not None:
                return
            try:
                self._arrange()
            except Exception as error:  # noqa: BLE001 - re-raised by take(), in the tests that need the challenges
                self._arrange_error = error

    def take(self, state: str) -> Challenge:
        """The expired challenge in ``state`` (a key of :data:`STATES`); skips when the lifetime is too long to wait."""
        self.waiter.ensure_affordable(self.lifetime_wait_s, "the OTP lifetime OTP_TTL_S")
        with self._lock:
            if self._arrange_error is not None:
                raise self._arrange_error
            if state in self._taken:
                raise RuntimeError(f"expired challenge {state!r} was already taken; give each test its own state in STATES")
            if not self._ready:
                self._arrange()
            self._taken.add(state)
            challenge = self._ready[state]
        time.sleep(max(0.0, self._ready_at - time.monotonic()))
        return challenge

    def _arrange(self) -> None:
        numbers = dict(zip(STATES, self.phone_numbers.fresh_many(len(STATES)), strict=True))
        # Side by side: each state is a chain of requests on a number of its own. One after another,
        # across a far link (50 ms a round trip) they held each worker a second before its first test.
        with ThreadPoolExecutor(max_workers=len(STATES), thread_name_prefix="arrange-expired") as pool:
            arranged = {state: pool.submit(self._arrange_one, numbers[state], wrong) for state, wrong in STATES.items()}
            challenges = {state: future.result() for state, future in arranged.items()}
        self._ready_at = time.monotonic() + self.lifetime_wait_s
        self._ready = challenges

    def _arrange_one(self, number: PhoneNumber, wrong: int | None) -> Challenge:
        """A challenge on ``number`` with ``wrong`` failed attempts (see :data:`STATES`)."""
        challenge = start_challenge(self.client, self.inbox, number)
        if wrong is None:
            expect_verified(self.client.verify(challenge.number, challenge.auth_code, challenge.otp), "arranging a consumed challenge: verify succeeds")
        elif wrong < 0:
            guess_wrong(self.client, challenge, self.policy.max_verify_attempts + 1 + wrong)
        return challenge


def _takes_expired_challenge(item: pytest.Item) -> bool:
    """True when ``item`` will run (no skip mark) and takes an expired challenge."""
    return EXPIRED_CHALLENGES_FIXTURE in getattr(item, "fixturenames", ()) and item.get_closest_marker("skip") is None


@pytest.fixture(scope="session")
def expired_challenges(client: OtpClient, inbox: OtpInbox, phone_numbers: NumberAllocator, policy: OtpPolicy, waiter: PolicyWaiter) -> ExpiredChallenges:
    """Challenges past their lifetime, one per state (see :data:`STATES`)."""
    return ExpiredChallenges(client, inbox, phone_numbers, policy, waiter)


@pytest.fixture(scope="session", autouse=True)
def _expired_challenges_age_from_the_start(request: pytest.FixtureRequest) -> None:
    """Start the lifetime of the expired challenges at the session's first test, when any test will take one.

    Anything that stops the arranging (no inbox, a lifetime longer than OTP_MAX_WAIT_S, the quick
    depth, a target that refuses) leaves it to the tests that take a challenge, which skip or fail
    with the reason; no other test is touched.
    """
    if not any(_takes_expired_challenge(item) for item in request.session.items):
        return
    try:
        challenges: ExpiredChallenges = request.getfixturevalue(EXPIRED_CHALLENGES_FIXTURE)
        challenges.waiter.ensure_affordable(challenges.lifetime_wait_s, "the OTP lifetime OTP_TTL_S")
    except (Exception, pytest.skip.Exception):  # noqa: BLE001 - the tests that take a challenge meet it again and report it
        return
    challenges.start_aging()
