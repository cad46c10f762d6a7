"""The contract's rules as a pure, synchronous model: no I/O, the clock a parameter.

One home for the OTP lifecycle and the sending limits (contract, 'Challenges' and 'Sending
limits'). The reference service runs it with exact times and random codes; the contract suite's
oracle (:mod:`otp_suite.model.oracle`) runs it with the uncertain moments of real exchanges to
predict every answer of a target.

:class:`ContractRules` holds the rules only. Each rule is a small method (which challenge a request
names, when a challenge has expired, when it is locked, whether a send is allowed, the order of
verify's steps), so the reference service's fault catalog overrides them from outside
(:mod:`otp_suite.service.faulty_rules`) and this module never learns that faults exist.

Every operation takes a ``decide`` callback: a comparison with the clock that the moments leave
undecided (``None``) is handed to it with its reason, and it answers which way to go. The service
never sees ``None`` (its moments are exact); the oracle explores both ways.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from otp_suite.model.moments import Maybe, Moment, older_than, wait_range, within
from otp_suite.policy import OtpPolicy

#: ``(countryCode, phone_number)``: what the sending limits and the inbox count by.
Number = tuple[str, str]
#: ``(user_id, number)``: what a challenge belongs to.
ChallengeKey = tuple[str, Number]
#: Resolves an undecided comparison: ``decide(maybe, why) -> bool``.
Decide = Callable[[Maybe, str], bool]


def exact_only(maybe: Maybe, why: str) -> bool:
    """The decider for exact moments: an undecided comparison is a programming error."""
    if maybe is None:
        raise ValueError(f"undecided with exact moments: {why}")
    return maybe


class CodeSource(Protocol):
    """Where new codes come from: random for the service, "learned from the answer" for the oracle."""

    def auth_code(self) -> str | None:
        """A new 4-digit authCode (None: not known until the target answers)."""

    def otp(self, number: Number) -> str | None:
        """A new 6-digit OTP sent to ``number`` (None: not known until the inbox is read)."""


@dataclass
class Challenge:
    """One challenge of a user for a number (contract, 'Challenges')."""

    auth_code: str | None
    otp: str | None
    created: Moment
    failed_attempts: int = 0
    consumed: bool = False


@dataclass
class ModelState:
    """Everything the rules remember: challenges, sends per number, verified numbers, the inbox."""

    challenges: dict[ChallengeKey, Challenge] = field(default_factory=dict)
    sends: dict[Number, list[Moment]] = field(default_factory=dict)
    linked: set[Number] = field(default_factory=set)
    inbox: dict[Number, str | None] = field(default_factory=dict)

    def copy(self) -> ModelState:
        """An independent copy (the oracle follows each branch on its own copy)."""
        return ModelState(
            challenges={key: Challenge(c.auth_code, c.otp, c.created, c.failed_attempts, c.consumed) for key, c in self.challenges.items()},
            sends={number: list(moments) for number, moments in self.sends.items()},
            linked=set(self.linked),
            inbox=dict(self.inbox),
        )

    def signature(self) -> tuple[object, ...]:
        """A hashable summary: two states with the same signature behave the same from here on."""
        challenges = tuple(sorted((key, (c.auth_code, c.otp, c.created, c.failed_attempts, c.consumed)) for key, c in self.challenges.items()))
        sends = tuple(sorted((number, tuple(moments)) for number, moments in self.sends.items()))
        return (challenges, sends, tuple(sorted(self.linked)), tuple(sorted(self.inbox.items(), key=lambda item: item[0])))


@dataclass(frozen=True)
class Answer:
    """What the target must answer: status and error code, the success body, the wait of a 429.

    ``auth_code`` of a send is the code the body must carry (None: a new one, any 4 digits);
    ``wait_s`` bounds the seconds until the refused thing would be allowed (429 only);
    ``sent``: an OTP was sent to the number; ``challenge``: the challenge the answer started or renewed.
    """

    status: int
    code: str | None = None
    auth_code: str | None = None
    is_new_user: bool | None = None
    wait_s: tuple[float, float] | None = None
    sent: bool = False
    challenge: ChallengeKey | None = None

    @property
    def label(self) -> str:
        """``200``, ``401 INVALID_OTP``, ...: the answer as a person names it."""
        return f"{self.status} {self.code}" if self.code else str(self.status)


VERIFIED = Answer(200)
INVALID_OTP = Answer(401, "INVALID_OTP")
OTP_EXPIRED = Answer(401, "OTP_EXPIRED")


class ContractRules:
    """The rules of the OTP lifecycle and the sending limits over one :class:`ModelState`."""

    def __init__(self, policy: OtpPolicy) -> None:
        self.policy = policy

    # Which records a request names -------------------------------------------------------------

    def challenge_key(self, user_id: str, number: Number) -> ChallengeKey:
        """A challenge belongs to one (user_id, countryCode, phone_number), compared exactly."""
        return (user_id, number)

    def limit_key(self, user_id: str, number: Number) -> Number:
        """The sending limits count per number, whichever user asks."""
        return number

    # The challenge's clock and counters --------------------------------------------------------

    def expired(self, challenge: Challenge, now: Moment) -> Maybe:
        """Older than the OTP lifetime (elapsed > TTL)."""
        return older_than(now, challenge.created, self.policy.ttl_s)

    def locked(self, challenge: Challenge) -> bool:
        """Failed attempts have reached the maximum."""
        return challenge.failed_attempts >= self.policy.max_verify_attempts

    def is_pending(self, challenge: Challenge | None, now: Moment, decide: Decide) -> bool:
        """Not consumed, not locked, not expired."""
        if challenge is None or challenge.consumed or self.locked(challenge):
            return False
        return not decide(self.expired(challenge, now), "the pending challenge expired")

    def is_new_user(self, state: ModelState, user_id: str, number: Number) -> bool:
        """True exactly when no user has ever verified the number."""
        return number not in state.linked

    # Sending limits ----------------------------------------------------------------------------

    def send_refusal(self, state: ModelState, key: Number, now: Moment, decide: Decide) -> Answer | None:
        """429 TOO_MANY_REQUESTS with the wait when a send to ``key`` at ``now`` is not allowed, else None."""
        sends = self._live_sends(state, key, now)
        if sends and decide(within(now, sends[-1], self.policy.resend_cooldown_s), "the cooldown of the last send"):
            return Answer(429, "TOO_MANY_REQUESTS", wait_s=self.wait_for_send(state, key, now))
        if decide(self._window_full(sends, now), "the send window"):
            return Answer(429, "TOO_MANY_REQUESTS", wait_s=self.wait_for_send(state, key, now))
        return None

    def record_send(self, state: ModelState, key: Number, now: Moment) -> None:
        """Count a send to ``key`` at ``now``."""
        state.sends.setdefault(key, []).append(now)

    def wait_for_send(self, state: ModelState, key: Number, now: Moment) -> tuple[float, float]:
        """Bounds of the seconds until a send to ``key`` is allowed: past the cooldown and, if full, the window."""
        sends = self._live_sends(state, key, now)
        if not sends:
            return (0.0, 0.0)
        least, most = wait_range(now, sends[-1], self.policy.resend_cooldown_s)
        if len(sends) >= self.policy.max_sends_per_window:
            oldest = sends[len(sends) - self.policy.max_sends_per_window]
            window_least, window_most = wait_range(now, oldest, self.policy.send_window_s)
            least, most = max(least, window_least), max(most, window_most)
        return (least, most)

    def _live_sends(self, state: ModelState, key: Number, now: Moment) -> list[Moment]:
        """The sends to ``key`` that may still be in the window at ``now`` (the rest are forgotten)."""
        sends = [moment for moment in state.sends.get(key, []) if within(now, moment, self.policy.send_window_s) is not False]
        if sends:
            state.sends[key] = sends
        else:
            state.sends.pop(key, None)
        return sends

    def _window_full(self, sends: list[Moment], now: Moment) -> Maybe:
        """Are there already the maximum number of sends within the window at ``now``?"""
        window = self.policy.send_window_s
        certain = sum(1 for moment in sends if within(now, moment, window) is True)
        possible = len(sends)
        if certain >= self.policy.max_sends_per_window:
            return True
        if possible < self.policy.max_sends_per_window:
            return False
        return None

    # The three operations ----------------------------------------------------------------------

    def register(self, state: ModelState, user_id: str, number: Number, now: Moment, decide: Decide, codes: CodeSource) -> Answer:
        """Start a new challenge (any pending one is dropped) and send its OTP, unless the limits refuse."""
        refusal = self.send_refusal(state, self.limit_key(user_id, number), now, decide)
        if refusal is not None:
            return refusal
        key = self.challenge_key(user_id, number)
        otp = self.send(state, user_id, number, now, codes)
        challenge = Challenge(auth_code=codes.auth_code(), otp=otp, created=now)
        state.challenges[key] = challenge
        return Answer(200, auth_code=None, is_new_user=self.is_new_user(state, user_id, number), sent=True, challenge=key)

    def resend(self, state: ModelState, user_id: str, number: Number, now: Moment, decide: Decide, codes: CodeSource) -> Answer:
        """A new OTP for the pending challenge (same authCode, lifetime restarted); else like register."""
        key = self.challenge_key(user_id, number)
        challenge = state.challenges.get(key)
        if challenge is None or not self.is_pending(challenge, now, decide):
            return self.register(state, user_id, number, now, decide, codes)
        refusal = self.send_refusal(state, self.limit_key(user_id, number), now, decide)
        if refusal is not None:
            return refusal
        challenge.otp = self.send(state, user_id, number, now, codes)
        challenge.created = now
        return Answer(200, auth_code=challenge.auth_code, is_new_user=self.is_new_user(state, user_id, number), sent=True, challenge=key)

    def send(self, state: ModelState, user_id: str, number: Number, now: Moment, codes: CodeSource) -> str | None:
        """Count the send and put a new OTP in the number's inbox; returns the OTP."""
        self.record_send(state, self.limit_key(user_id, number), now)
        otp = codes.otp(number)
        state.inbox[number] = otp
        return otp

    def verify(self, state: ModelState, user_id: str, number: Number, auth_code: int, otp: int, now: Moment, decide: Decide) -> Answer:
        """verify's five steps, in the contract's order; the first that answers ends it."""
        refusal = self.check(state, user_id, number, auth_code, otp, now, decide)
        if refusal is not None:
            return refusal
        self.consume(state, user_id, number)
        return VERIFIED

    def check(self, state: ModelState, user_id: str, number: Number, auth_code: int, otp: int, now: Moment, decide: Decide) -> Answer | None:
        """Steps 1-4 of verify: the refusal, or None when the codes open the challenge (a wrong guess is counted here)."""
        key = self.challenge_key(user_id, number)
        challenge = state.challenges.get(key)
        if challenge is None:
            return INVALID_OTP
        request = VerifyRequest(state, key, challenge, auth_code, otp, now, decide)
        for step in self.verify_steps():
            answer = step(request)
            if answer is not None:
                return answer
        return None

    def consume(self, state: ModelState, user_id: str, number: Number) -> None:
        """Step 5 of verify: the challenge is consumed and the number linked."""
        state.challenges[self.challenge_key(user_id, number)].consumed = True
        state.linked.add(number)

    def verify_steps(self) -> list[Callable[[VerifyRequest], Answer | None]]:
        """Steps 1-4 of verify, in the contract's order (step 5, success, follows them)."""
        return [self.step_consumed, self.step_expired, self.step_locked, self.step_codes]

    def step_consumed(self, request: VerifyRequest) -> Answer | None:
        """1. an already consumed challenge: 401 INVALID_OTP."""
        return INVALID_OTP if request.challenge.consumed else None

    def step_expired(self, request: VerifyRequest) -> Answer | None:
        """2. older than the OTP lifetime: 401 OTP_EXPIRED."""
        return OTP_EXPIRED if request.decide(self.expired(request.challenge, request.now), "the OTP's lifetime") else None

    def step_locked(self, request: VerifyRequest) -> Answer | None:
        """3. failed attempts at the maximum: 429 TOO_MANY_ATTEMPTS, even for the right OTP."""
        if not self.locked(request.challenge):
            return None
        least, most = self.wait_for_send(request.state, self.limit_key(request.key[0], request.key[1]), request.now)
        return Answer(429, "TOO_MANY_ATTEMPTS", wait_s=(max(1.0, least), max(1.0, most)))

    def step_codes(self, request: VerifyRequest) -> Answer | None:
        """4. a wrong authCode or OTP: 401 INVALID_OTP and one more failed attempt."""
        if self.codes_match(request):
            return None
        request.challenge.failed_attempts += 1
        return INVALID_OTP

    def codes_match(self, request: VerifyRequest) -> bool:
        """Both codes equal the challenge's, compared by value."""
        challenge = request.challenge
        return same_value(challenge.auth_code, request.auth_code) and same_value(challenge.otp, request.otp)


@dataclass
class VerifyRequest:
    """One verify as its steps see it."""

    state: ModelState
    key: ChallengeKey
    challenge: Challenge
    auth_code: int
    otp: int
    now: Moment
    decide: Decide


def same_value(code: str | None, value: int) -> bool:
    """A stored code equals a request's value (``"0042"`` equals ``42``); an unknown code equals nothing."""
    return code is not None and int(code) == value


def code_value(raw: object) -> int | None:
    """The value of an authCode or otp in any accepted form (digit string, integer, integral float); None otherwise.

    The range and the string's length are the body parser's to check; this only reads the value.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        return int(raw) if raw.isascii() and raw.isdigit() else None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return None
