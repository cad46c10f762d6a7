"""The OTP lifecycle (contract, 'Challenges' and 'Sending limits').

Every method here is synchronous: the service runs on one event loop, so a call is atomic with
respect to other requests. That is how "at most the maximum number of wrong guesses is ever
evaluated" and "one challenge is consumed at most once" hold under concurrency.
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from otp_suite.policy import OtpPolicy
from otp_suite.service.clock import Clock
from otp_suite.service.errors import invalid_otp, otp_expired, too_many_attempts, too_many_requests
from otp_suite.service.faults import Faults

Number = tuple[str, str]  # (countryCode, phone_number)


@dataclass
class Challenge:
    """One pending OTP for a ``(user, number)``."""

    auth_code: str
    otp: str
    created_at: float
    failed_attempts: int = 0
    consumed: bool = False
    previous_otp: str | None = None  # kept only for the resend_keeps_old_otp fault


@dataclass(frozen=True)
class SendResult:
    """What register and resend answer."""

    auth_code: str
    is_new_user: bool


def random_otp() -> str:
    """A 6-digit OTP, uniform over 000000-999999."""
    return f"{secrets.randbelow(1_000_000):06d}"


def random_auth_code() -> str:
    """A 4-digit authCode."""
    return f"{secrets.randbelow(10_000):04d}"


class SendLimiter:
    """The per-number cooldown and window over register and resend together, whoever asks."""

    def __init__(self, policy: OtpPolicy, faults: Faults) -> None:
        self._policy = policy
        self._faults = faults
        self._sends: dict[Number, deque[float]] = {}

    def check_and_record(self, number: Number, now: float) -> None:
        """Record a send to ``number`` at ``now``, or raise 429 with the wait, recording nothing."""
        sends = self._sends.setdefault(number, deque())
        window_start = now - self._policy.send_window_s
        while sends and sends[0] <= window_start:
            sends.popleft()
        if sends and "no_cooldown" not in self._faults:
            wait = sends[-1] + self._policy.resend_cooldown_s - now
            if wait > 0:
                raise too_many_requests(wait)
        if len(sends) >= self._policy.max_sends_per_window and "no_send_window" not in self._faults:
            raise too_many_requests(sends[0] + self._policy.send_window_s - now)
        sends.append(now)

    def seconds_until_next_send(self, number: Number, now: float) -> float:
        """How long until a send to ``number`` would be allowed (0 if now)."""
        sends = self._sends.get(number)
        if not sends:
            return 0.0
        waits = [sends[-1] + self._policy.resend_cooldown_s - now]
        live = [t for t in sends if t > now - self._policy.send_window_s]
        if len(live) >= self._policy.max_sends_per_window:
            waits.append(live[0] + self._policy.send_window_s - now)
        return max(0.0, *waits)


class ChallengeStore:
    """Challenges per ``(user, number)``, the numbers ever verified, and the test inbox."""

    def __init__(
        self,
        policy: OtpPolicy,
        clock: Clock,
        *,
        fixed_code: str | None = None,
        faults: Faults = Faults(),
        make_otp: Callable[[], str] = random_otp,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._faults = faults
        self._make_otp = (lambda: fixed_code) if fixed_code else make_otp
        self._challenges: dict[tuple[str, Number], Challenge] = {}
        self._linked: set[Number] = set()
        self._inbox: dict[Number, str] = {}
        self._limiter = SendLimiter(policy, faults)

    def _key(self, user_id: str, number: Number) -> tuple[str, Number]:
        if "unbound_user" in self._faults:
            user_id = "*"
        if "unbound_number" in self._faults:
            number = ("*", "*")
        return (user_id, number)

    def _is_expired(self, challenge: Challenge, now: float) -> bool:
        return now - challenge.created_at > self.policy.ttl_s and "no_expiry" not in self._faults

    def _is_locked(self, challenge: Challenge) -> bool:
        return challenge.failed_attempts >= self.policy.max_verify_attempts and "no_lockout" not in self._faults

    def _is_new_user(self, number: Number) -> bool:
        if "always_new_user" in self._faults:
            return True
        if "never_new_user" in self._faults:
            return False
        return number not in self._linked

    def _send(self, number: Number) -> str:
        otp = self._make_otp()
        self._inbox[number] = otp
        return otp

    def register(self, user_id: str, number: Number) -> SendResult:
        """Start a new challenge (dropping any pending one) and send its OTP."""
        now = self._clock()
        self._limiter.check_and_record(number, now)
        challenge = Challenge(auth_code=random_auth_code(), otp=self._send(number), created_at=now)
        self._challenges[self._key(user_id, number)] = challenge
        return SendResult(challenge.auth_code, self._is_new_user(number))

    def resend(self, user_id: str, number: Number) -> SendResult:
        """Send a new OTP for the pending challenge (same authCode), or register when none is pending."""
        now = self._clock()
        challenge = self._challenges.get(self._key(user_id, number))
        pending = challenge is not None and not (challenge.consumed or self._is_locked(challenge) or self._is_expired(challenge, now))
        if not pending:
            return self.register(user_id, number)
        assert challenge is not None
        self._limiter.check_and_record(number, now)
        challenge.previous_otp = challenge.otp
        challenge.otp = self._send(number)
        challenge.created_at = now
        if "resend_new_authcode" in self._faults:
            challenge.auth_code = random_auth_code()
        if "resend_resets_attempts" in self._faults:
            challenge.failed_attempts = 0
        return SendResult(challenge.auth_code, self._is_new_user(number))

    def check(self, user_id: str, number: Number, auth_code: int, otp: int, *, locked_as_seen: bool | None = None) -> Challenge:
        """Steps 1-4 of verify: the challenge that ``otp`` opens, or the contract's error.

        A wrong guess counts as a failed attempt before the error is raised.
        """
        now = self._clock()
        challenge = self._challenges.get(self._key(user_id, number))
        if challenge is None or (challenge.consumed and "otp_reusable" not in self._faults):
            raise invalid_otp()
        if self._is_expired(challenge, now):
            if "wrong_error_code" in self._faults:
                raise invalid_otp()
            raise otp_expired()
        right_otp = otp == int(challenge.otp) or ("resend_keeps_old_otp" in self._faults and challenge.previous_otp is not None and otp == int(challenge.previous_otp))
        right_code = auth_code == int(challenge.auth_code) or "ignore_authcode" in self._faults
        locked = self._is_locked(challenge) if locked_as_seen is None else locked_as_seen
        if locked and not ("lockout_allows_right_otp" in self._faults and right_otp and right_code):
            raise too_many_attempts(max(1.0, self._limiter.seconds_until_next_send(number, now)))
        if not (right_otp and right_code):
            challenge.failed_attempts += 1
            raise invalid_otp()
        return challenge

    def is_locked(self, user_id: str, number: Number) -> bool:
        """True when the user's challenge for ``number`` exists and is locked (for the race_wrong_guesses fault)."""
        challenge = self._challenges.get(self._key(user_id, number))
        return challenge is not None and self._is_locked(challenge)

    def consume(self, challenge: Challenge, number: Number) -> None:
        """Step 5 of verify: the challenge is used up and the number linked."""
        challenge.consumed = True
        self._linked.add(number)

    def verify(self, user_id: str, number: Number, auth_code: int, otp: int) -> None:
        """Verify in one atomic step; raises the contract's error when it fails."""
        self.consume(self.check(user_id, number, auth_code, otp), number)

    def last_otp(self, number: Number) -> str | None:
        """The test inbox: the last OTP sent to ``number``, whichever user asked."""
        return self._inbox.get(number)
