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
from otp_suite.service.errors import ApiError, invalid_otp, otp_expired, too_many_attempts, too_many_requests
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


def _faulty_otp(faults: Faults) -> str | None:
    """An OTP drawn the wrong way, when a randomness fault is on."""
    if "otp_no_leading_zero" in faults:
        return f"{100_000 + secrets.randbelow(900_000):06d}"
    if "otp_low_entropy" in faults:
        half = f"{secrets.randbelow(1000):03d}"
        return half + half
    return None


def _faulty_auth_code(faults: Faults, otp: str) -> str | None:
    """An authCode drawn the wrong way, when a randomness fault is on."""
    if "constant_authcode" in faults:
        return "2735"
    if "authcode_low_entropy" in faults:
        return f"{secrets.randbelow(100) * 100:04d}"
    if "authcode_from_otp" in faults:
        return otp[:4]
    return None


class SendLimiter:
    """The per-number cooldown and window over register and resend together, whoever asks."""

    def __init__(self, policy: OtpPolicy, faults: Faults) -> None:
        self._policy = policy
        self._faults = faults
        self._sends: dict[Number, deque[float]] = {}
        faults_cooldown = policy.resend_cooldown_s * 1.5 + 1 if "cooldown_too_long" in faults else policy.resend_cooldown_s
        self._cooldown_s = faults_cooldown
        self._max_sends = policy.max_sends_per_window + (1 if "window_allows_one_more" in faults else -1 if "window_one_short" in faults else 0)

    def check_and_record(self, number: Number, now: float, *, leak: str | None = None) -> None:
        """Record a send to ``number`` at ``now``, or raise 429 with the wait, recording nothing."""
        self.check(number, now, leak=leak)
        self.record(number, now)

    def check(self, number: Number, now: float, *, leak: str | None = None) -> None:
        """Raise 429 with the wait when a send to ``number`` at ``now`` is not allowed."""
        sends = self._sends.setdefault(number, deque())
        window_start = now - self._policy.send_window_s
        while sends and sends[0] <= window_start:
            sends.popleft()
        refused = None
        if sends and "no_cooldown" not in self._faults:
            wait = sends[-1] + self._cooldown_s - now
            if wait > 0:
                refused = too_many_requests(wait)
        if refused is None and len(sends) >= self._max_sends and "no_send_window" not in self._faults:
            refused = too_many_requests(sends[0] + self._policy.send_window_s - now)
        if refused is None:
            return
        if "refused_restarts_cooldown" in self._faults and sends:
            sends[-1] = now
        if "refused_counts_in_window" in self._faults:
            # Counted in the window, but placed first so the cooldown still runs from the last real send.
            sends.appendleft(now)
        if leak is not None:
            refused.message += f" (OTP {leak} was sent)"
        raise refused

    def record(self, number: Number, now: float) -> None:
        """Record a send to ``number`` at ``now``."""
        self._sends.setdefault(number, deque()).append(now)

    def seconds_until_next_send(self, number: Number, now: float) -> float:
        """How long until a send to ``number`` would be allowed (0 if now)."""
        sends = self._sends.get(number)
        if not sends:
            return 0.0
        waits = [sends[-1] + self._cooldown_s - now]
        live = [t for t in sends if t > now - self._policy.send_window_s]
        if len(live) >= self._max_sends:
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
        self._linked_by_user: set[tuple[str, Number]] = set()  # only for the new_user_per_user fault
        self._sent_to: set[Number] = set()  # only for the new_user_until_sent fault
        self._inbox: dict[Number, str] = {}
        self._limiter = SendLimiter(policy, faults)

    def _key(self, user_id: str, number: Number) -> tuple[str, Number]:
        if "unbound_user" in self._faults:
            user_id = "*"
        if "unbound_number" in self._faults:
            number = ("*", "*")
        if "number_ignores_country_code" in self._faults:
            number = ("*", number[1])
        return (user_id, number)

    def _is_expired(self, challenge: Challenge, now: float) -> bool:
        ttl = self.policy.ttl_s - (1 if "expiry_early" in self._faults else 0) + (2 if "expiry_grace" in self._faults else 0)
        return now - challenge.created_at > ttl and "no_expiry" not in self._faults

    def _is_locked(self, challenge: Challenge) -> bool:
        limit = self.policy.max_verify_attempts + (1 if "lock_at_max_plus_one" in self._faults else -1 if "lock_at_max_minus_one" in self._faults else 0)
        return challenge.failed_attempts >= limit and "no_lockout" not in self._faults

    def _is_new_user(self, user_id: str, number: Number) -> bool:
        if "always_new_user" in self._faults:
            return True
        if "never_new_user" in self._faults:
            return False
        if "new_user_per_user" in self._faults:
            return (user_id, number) not in self._linked_by_user
        if "new_user_until_sent" in self._faults:
            return number not in self._sent_to
        return number not in self._linked

    def _send(self, number: Number) -> str:
        otp = _faulty_otp(self._faults) or self._make_otp()
        self._inbox[number] = otp
        return otp

    def _limit_key(self, user_id: str, number: Number) -> Number:
        return (f"{user_id}|{number[0]}", number[1]) if "limits_per_user" in self._faults else number

    def _pending(self, challenge: Challenge | None, now: float) -> Challenge | None:
        """``challenge`` if it is pending (not consumed, not locked, not expired), else None."""
        if challenge is None:
            return None
        consumed = challenge.consumed and "resend_revives_consumed" not in self._faults
        locked = self._is_locked(challenge) and "resend_revives_locked" not in self._faults
        expired = self._is_expired(challenge, now) and "resend_revives_expired" not in self._faults
        return None if consumed or locked or expired else challenge

    def check_send(self, user_id: str, number: Number) -> None:
        """Raise 429 if a send to ``number`` is not allowed now (for the race_sends fault: check, yield, send)."""
        self._limiter.check(self._limit_key(user_id, number), self._clock())

    def _admit_send(self, user_id: str, number: Number, now: float, limits_checked: bool) -> None:
        """Record the send, or raise 429; a refusal sends nothing (unless a fault says otherwise)."""
        key = self._limit_key(user_id, number)
        if limits_checked:
            self._limiter.record(key, now)
            return
        leak = self._inbox.get(number) if "leak_otp_on_cooldown" in self._faults else None
        try:
            self._limiter.check_and_record(key, now, leak=leak)
        except ApiError:
            pending = self._pending(self._challenges.get(self._key(user_id, number)), now)
            if "refused_send_rotates_otp" in self._faults and pending is not None:
                pending.otp = self._send(number)
            raise

    def register(self, user_id: str, number: Number, *, limits_checked: bool = False) -> SendResult:
        """Start a new challenge (dropping any pending one) and send its OTP."""
        now = self._clock()
        key = self._key(user_id, number)
        pending = self._pending(self._challenges.get(key), now)
        if pending is not None and "register_keeps_pending" in self._faults:
            return self.resend(user_id, number, limits_checked=limits_checked)
        self._admit_send(user_id, number, now, limits_checked)
        otp = self._send(number)
        challenge = Challenge(auth_code=_faulty_auth_code(self._faults, otp) or random_auth_code(), otp=otp, created_at=now)
        if pending is not None and "register_keeps_old_otp" in self._faults:
            challenge.previous_otp = pending.otp
        self._challenges[key] = challenge
        self._sent_to.add(number)
        return SendResult(challenge.auth_code, self._is_new_user(user_id, number))

    def resend(self, user_id: str, number: Number, *, limits_checked: bool = False) -> SendResult:
        """Send a new OTP for the pending challenge (same authCode), or register when none is pending."""
        now = self._clock()
        challenge = self._pending(self._challenges.get(self._key(user_id, number)), now)
        if challenge is None:
            return self.register(user_id, number, limits_checked=limits_checked)
        self._admit_send(user_id, number, now, limits_checked)
        challenge.previous_otp = challenge.otp
        challenge.otp = self._send(number)
        self._sent_to.add(number)
        if "resend_keeps_lifetime" not in self._faults:
            challenge.created_at = now
        if "resend_new_authcode" in self._faults:
            challenge.auth_code = random_auth_code()
        if "resend_resets_attempts" in self._faults:
            challenge.failed_attempts = 0
        return SendResult(challenge.auth_code, self._is_new_user(user_id, number))

    def check(self, user_id: str, number: Number, auth_code: int, otp: int, *, locked_as_seen: bool | None = None) -> Challenge:
        """Steps 1-4 of verify: the challenge that ``otp`` opens, or the contract's error.

        A wrong guess counts as a failed attempt before the error is raised.
        """
        faults = self._faults
        now = self._clock()
        challenge = self._challenges.get(self._key(user_id, number))
        if challenge is None:
            raise otp_expired() if "no_challenge_expired" in faults else invalid_otp()
        old_otp_works = ("resend_keeps_old_otp" in faults or "register_keeps_old_otp" in faults) and challenge.previous_otp is not None
        right_otp = otp == int(challenge.otp) or (old_otp_works and otp == int(challenge.previous_otp or 0))
        right_code = auth_code == int(challenge.auth_code) or "ignore_authcode" in faults
        locked = self._is_locked(challenge) if locked_as_seen is None else locked_as_seen
        # The contract's order is: consumed, expired, locked, wrong codes. Faults move one step.
        steps = ["consumed", "expired", "locked", "codes"]
        if "expiry_before_consumed" in faults:
            steps = ["expired", "consumed", "locked", "codes"]
        elif "lock_before_expiry" in faults:
            steps = ["consumed", "locked", "expired", "codes"]
        elif "codes_before_expiry" in faults:
            steps = ["consumed", "codes", "expired", "locked"]
        elif "codes_before_lock" in faults:
            steps = ["consumed", "expired", "codes", "locked"]
        for step in steps:
            if step == "consumed" and challenge.consumed and "otp_reusable" not in faults:
                raise invalid_otp()
            if step == "expired" and self._is_expired(challenge, now):
                raise invalid_otp() if "wrong_error_code" in faults else otp_expired()
            if step == "locked" and locked and not ("lockout_allows_right_otp" in faults and right_otp and right_code):
                error = too_many_attempts(max(1.0, self._limiter.seconds_until_next_send(number, now)))
                if "leak_otp_on_lockout" in faults:
                    error.message += f" (the OTP was {challenge.otp})"
                raise error
            if step == "codes" and not (right_otp and right_code):
                if not ("wrong_authcode_not_counted" in faults and right_otp):
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

    def link_for(self, user_id: str, number: Number) -> None:
        """Remember which user verified ``number`` (for the new_user_per_user fault)."""
        self._linked_by_user.add((user_id, number))

    def verify(self, user_id: str, number: Number, auth_code: int, otp: int) -> None:
        """Verify in one atomic step; raises the contract's error when it fails."""
        self.consume(self.check(user_id, number, auth_code, otp), number)
        self.link_for(user_id, number)

    def last_otp(self, number: Number) -> str | None:
        """The test inbox: the last OTP sent to ``number``, whichever user asked."""
        return self._inbox.get(number)
