"""The OTP lifecycle of the reference service: the contract's model (:mod:`otp_suite.model.rules`)
run on the service's own clock, with random codes, its answers turned into the API's errors.

The rules live in the model, once; the fault catalog bends them from outside
(:mod:`otp_suite.service.faulty_rules`). Every method here is synchronous: the service runs on one
event loop, so a call is atomic with respect to other requests. That is how "at most the maximum
number of wrong guesses is ever evaluated" and "one challenge is consumed at most once" hold under
concurrency.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from otp_suite.model.moments import Moment
from otp_suite.model.rules import Answer, ModelState, Number, exact_only
from otp_suite.policy import OtpPolicy
from otp_suite.service.clock import Clock
from otp_suite.service.errors import ApiError, invalid_otp, otp_expired, too_many_attempts, too_many_requests
from otp_suite.service.faults import Faults
from otp_suite.service.faulty_rules import FaultyRules


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


class ServiceCodes:
    """The codes the service draws: random (or the fixed test code), or drawn the wrong way when a randomness fault is on."""

    def __init__(self, faults: Faults, make_otp: Callable[[], str]) -> None:
        self._faults = faults
        self._make_otp = make_otp
        self._last_otp = "000000"

    def otp(self, number: Number) -> str:
        """A new OTP for ``number``."""
        faults = self._faults
        if "otp_no_leading_zero" in faults:
            otp = f"{100_000 + secrets.randbelow(900_000):06d}"
        elif "otp_low_entropy" in faults:
            half = f"{secrets.randbelow(1000):03d}"
            otp = half + half
        else:
            otp = self._make_otp()
        self._last_otp = otp
        return otp

    def auth_code(self) -> str:
        """A new authCode (drawn after the OTP it goes with)."""
        faults = self._faults
        if "constant_authcode" in faults:
            return "2735"
        if "authcode_low_entropy" in faults:
            return f"{secrets.randbelow(100) * 100:04d}"
        if "authcode_from_otp" in faults:
            return self._last_otp[:4]
        return random_auth_code()


class ChallengeStore:
    """The model's state and rules on the service's clock: challenges, sends, linked numbers, the test inbox."""

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
        self.rules = FaultyRules(policy, faults)
        self.state = ModelState()
        self._codes = ServiceCodes(faults, (lambda: fixed_code) if fixed_code else make_otp)

    @property
    def inbox(self) -> dict[Number, str | None]:
        """The last OTP sent to each number (the test inbox's record)."""
        return self.state.inbox

    def _now(self) -> Moment:
        return Moment.exact(self._clock())

    def check_send(self, user_id: str, number: Number) -> None:
        """Raise 429 if a send to ``number`` is not allowed now (for the race_sends fault: check, yield, send)."""
        refusal = self.rules.send_refusal(self.state, self.rules.limit_key(user_id, number), self._now(), exact_only)
        if refusal is not None:
            raise self._error(refusal, number)

    def register(self, user_id: str, number: Number, *, limits_checked: bool = False) -> SendResult:
        """Start a new challenge (dropping any pending one) and send its OTP."""
        return self._sent(self._with_limits_checked(limits_checked, lambda: self.rules.register(self.state, user_id, number, self._now(), exact_only, self._codes)), number)

    def resend(self, user_id: str, number: Number, *, limits_checked: bool = False) -> SendResult:
        """Send a new OTP for the pending challenge (same authCode), or register when none is pending."""
        return self._sent(self._with_limits_checked(limits_checked, lambda: self.rules.resend(self.state, user_id, number, self._now(), exact_only, self._codes)), number)

    def check(self, user_id: str, number: Number, auth_code: int, otp: int, *, locked_as_seen: bool | None = None) -> None:
        """Steps 1-4 of verify: return when the codes open the challenge, else raise the contract's error.

        A wrong guess counts as a failed attempt before the error is raised. ``locked_as_seen``: the
        lock as read before yielding (the race_wrong_guesses fault).
        """
        self.rules.locked_as_seen = locked_as_seen
        try:
            refusal = self.rules.check(self.state, user_id, number, auth_code, otp, self._now(), exact_only)
        finally:
            self.rules.locked_as_seen = None
        if refusal is not None:
            raise self._error(refusal, number, lockout_otp=self._otp_of(user_id, number))

    def consume(self, user_id: str, number: Number) -> None:
        """Step 5 of verify: the challenge is used up and the number linked."""
        self.rules.consume(self.state, user_id, number)

    def verify(self, user_id: str, number: Number, auth_code: int, otp: int) -> None:
        """Verify in one atomic step; raises the contract's error when it fails."""
        self.check(user_id, number, auth_code, otp)
        self.consume(user_id, number)

    def is_locked(self, user_id: str, number: Number) -> bool:
        """True when the user's challenge for ``number`` exists and is locked (for the race_wrong_guesses fault)."""
        challenge = self.state.challenges.get(self.rules.challenge_key(user_id, number))
        return challenge is not None and self.rules.locked(challenge)

    def last_otp(self, number: Number) -> str | None:
        """The test inbox: the last OTP sent to ``number``, whichever user asked."""
        return self.state.inbox.get(number)

    def _with_limits_checked(self, limits_checked: bool, send: Callable[[], Answer]) -> Answer:
        self.rules.limits_checked = limits_checked
        try:
            return send()
        finally:
            self.rules.limits_checked = False

    def _otp_of(self, user_id: str, number: Number) -> str | None:
        challenge = self.state.challenges.get(self.rules.challenge_key(user_id, number))
        return challenge.otp if challenge is not None else None

    def _sent(self, answer: Answer, number: Number) -> SendResult:
        if answer.status != 200:
            raise self._error(answer, number)
        challenge = self.state.challenges[answer.challenge] if answer.challenge else None
        auth_code = answer.auth_code or (challenge.auth_code if challenge else None)
        assert auth_code is not None and answer.is_new_user is not None, "the service draws every authCode"
        return SendResult(auth_code, answer.is_new_user)

    def _error(self, answer: Answer, number: Number, *, lockout_otp: str | None = None) -> ApiError:
        """The API error of a refusal; the leak faults add what they leak to its message."""
        wait = answer.wait_s[0] if answer.wait_s else 0.0
        if answer.code == "TOO_MANY_REQUESTS":
            error = too_many_requests(wait)
            if "leak_otp_on_cooldown" in self._faults and self.state.inbox.get(number):
                error.message += f" (OTP {self.state.inbox[number]} was sent)"
            return error
        if answer.code == "TOO_MANY_ATTEMPTS":
            error = too_many_attempts(wait)
            if "leak_otp_on_lockout" in self._faults:
                error.message += f" (the OTP was {lockout_otp})"
            return error
        return otp_expired() if answer.code == "OTP_EXPIRED" else invalid_otp()
