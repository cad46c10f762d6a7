"""The model as an oracle: every answer a target may give to a request, and what it leaves behind.

A client cannot know the target's exact clock, nor its random codes before it answers, so the
oracle keeps a small set of candidate states (usually one). For each request it runs the rules on
every candidate, branching wherever a clock comparison falls inside the exchange's uncertainty
(:mod:`otp_suite.model.moments`), and keeps only the branches whose answer is the one the target
gave. Codes are learned as they appear: an authCode from the answer's body, an OTP from the test
inbox (or the environment's fixed code). Requests released together are judged in every order
the target could have handled them.

An answer no candidate allows is a departure from the contract: :class:`Departure` says what was
asked, what came back and what the contract allowed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from otp_suite.model.moments import Maybe, Moment
from otp_suite.model.rules import Answer, ContractRules, ModelState, Number

#: Candidate states kept at most; beyond it the oldest branches are dropped (none is needed in practice).
MAX_CANDIDATES = 64


@dataclass(frozen=True)
class ModelRequest:
    """One request as the model reads it: who, which number, which operation, the codes' values, when."""

    operation: str
    user_id: str
    number: Number
    moment: Moment
    auth_code: int | None = None
    otp: int | None = None


@dataclass(frozen=True)
class Observed:
    """What the target answered, reduced to what the model predicts."""

    status: int
    code: str | None = None
    auth_code: str | None = None
    is_new_user: bool | None = None
    retry_after: int | None = None

    @property
    def label(self) -> str:
        """``200``, ``401 INVALID_OTP``, ...."""
        return f"{self.status} {self.code}" if self.code else str(self.status)


class Departure(AssertionError):
    """The target answered something the contract does not allow from here."""


class _LearnLater:
    """Codes the target draws: unknown until its answer (authCode) or the inbox (OTP) tells them."""

    def __init__(self, fixed_otp: str | None) -> None:
        self.fixed_otp = fixed_otp

    def auth_code(self) -> str | None:
        return None

    def otp(self, number: Number) -> str | None:
        return self.fixed_otp


class _Choices:
    """Replays a prefix of decisions, then takes every further undecided comparison as False, counting them all in ``used``."""

    def __init__(self, prefix: tuple[bool, ...]) -> None:
        self.prefix = prefix
        self.used = 0

    def __call__(self, maybe: Maybe, why: str) -> bool:
        if maybe is not None:
            return maybe
        choice = self.prefix[self.used] if self.used < len(self.prefix) else False
        self.used += 1
        return choice


def answers_of(rules: ContractRules, state: ModelState, request: ModelRequest, codes: _LearnLater) -> Iterator[tuple[Answer, ModelState]]:
    """Every (answer, state after it) the rules allow for ``request`` from ``state``, one per way of deciding the clock."""
    pending: list[tuple[bool, ...]] = [()]
    while pending:
        prefix = pending.pop()
        after = state.copy()
        choices = _Choices(prefix)
        answer = _apply(rules, after, request, choices, codes)
        # Every undecided comparison past the prefix was taken as False; queue its True branch.
        for index in range(len(prefix), choices.used):
            pending.append(prefix + (False,) * (index - len(prefix)) + (True,))
        yield answer, after


def _apply(rules: ContractRules, state: ModelState, request: ModelRequest, decide: _Choices, codes: _LearnLater) -> Answer:
    if request.operation == "register":
        return rules.register(state, request.user_id, request.number, request.moment, decide, codes)
    if request.operation == "resend":
        return rules.resend(state, request.user_id, request.number, request.moment, decide, codes)
    if request.auth_code is None or request.otp is None:
        raise ValueError("a verify the model judges carries an authCode and an otp in an accepted form")
    return rules.verify(state, request.user_id, request.number, request.auth_code, request.otp, request.moment, decide)


def allows(answer: Answer, observed: Observed) -> bool:
    """Whether ``observed`` is the answer the rules predicted (status, code, body, Retry-After bound)."""
    if (answer.status, answer.code) != (observed.status, observed.code):
        return False
    if answer.sent:
        if answer.auth_code is not None and observed.auth_code != answer.auth_code:
            return False
        if observed.is_new_user != answer.is_new_user:
            return False
    if answer.code == "TOO_MANY_REQUESTS" and observed.retry_after is not None and observed.retry_after > retry_after_ceiling(answer):
        return False
    return True


def retry_after_ceiling(answer: Answer) -> int:
    """The longest Retry-After a send refusal may carry: the whole limit that refused it (cooldown or window), plus a second.

    The contract asks only for whole seconds, at least 1 (the answer's shape checks that); a target
    may give the time left or the whole limit, never more.
    """
    longest = max(answer.limit_s or 0.0, answer.wait_s[1] if answer.wait_s else 0.0)
    return max(1, math.ceil(longest)) + 1


def _learn(answer: Answer, observed: Observed, state: ModelState) -> None:
    """Take the codes the answer shows: a new challenge's authCode."""
    if answer.sent and answer.challenge is not None and answer.auth_code is None:
        challenge = state.challenges.get(answer.challenge)
        if challenge is not None:
            challenge.auth_code = observed.auth_code


class Oracle:
    """Predicts and judges every answer of one target over a sequence of requests."""

    def __init__(self, rules: ContractRules, *, fixed_otp: str | None = None) -> None:
        self.rules = rules
        self.candidates: list[ModelState] = [ModelState()]
        self._codes = _LearnLater(fixed_otp)

    def possible(self, request: ModelRequest) -> list[Answer]:
        """Every answer the contract allows for ``request`` from here (for messages and for choosing inputs)."""
        seen: dict[tuple[object, ...], Answer] = {}
        for state in self.candidates:
            for answer, _ in answers_of(self.rules, state, request, self._codes):
                seen.setdefault((answer.status, answer.code, answer.auth_code, answer.is_new_user), answer)
        return list(seen.values())

    def judge(self, requests: Sequence[ModelRequest], observed: Sequence[Observed]) -> None:
        """Keep the states in which the target's answers to ``requests`` (released together) are all allowed.

        Raises :class:`Departure` when no order and no way of deciding the clock allows them.
        """
        survivors: dict[tuple[object, ...], ModelState] = {}
        for state in self.candidates:
            for order in itertools.permutations(range(len(requests))):
                for after in self._follow(state, requests, observed, order):
                    survivors.setdefault(after.signature(), after)
        if not survivors:
            raise Departure(self._explain(requests, observed))
        self.candidates = list(survivors.values())[:MAX_CANDIDATES]

    def _follow(self, state: ModelState, requests: Sequence[ModelRequest], observed: Sequence[Observed], order: tuple[int, ...]) -> Iterator[ModelState]:
        if not order:
            yield state
            return
        index, rest = order[0], order[1:]
        for answer, after in answers_of(self.rules, state, requests[index], self._codes):
            if allows(answer, observed[index]):
                _learn(answer, observed[index], after)
                yield from self._follow(after, requests, observed, rest)

    def learn_inbox(self, number: Number, otp: str | None) -> None:
        """The test inbox showed ``otp`` for ``number`` (None: nothing was sent): keep the states that agree, learning new OTPs.

        Raises :class:`Departure` when no state agrees (an OTP appeared, changed or vanished when nothing was sent).
        """
        kept: dict[tuple[object, ...], ModelState] = {}
        for state in self.candidates:
            if number not in state.inbox:
                if otp is None:
                    kept.setdefault(state.signature(), state)
                continue
            known = state.inbox[number]
            if known is not None:
                if known == otp:
                    kept.setdefault(state.signature(), state)
                continue
            if otp is None:
                continue
            state.inbox[number] = otp
            for (_, challenge_number), challenge in state.challenges.items():
                if challenge_number == number and challenge.otp is None:
                    challenge.otp = otp
            kept.setdefault(state.signature(), state)
        if not kept:
            expected = sorted({str(state.inbox.get(number, "nothing")) for state in self.candidates})
            raise Departure(f"the test inbox for {number[0]} {number[1]} shows {otp or 'nothing (404)'}; the model expected {' or '.join(expected)} (an OTP changed or appeared though nothing was sent, or vanished)")
        self.candidates = list(kept.values())

    def may_have_sent_to(self, number: Number) -> bool:
        """Whether some candidate has an OTP for ``number`` not yet read from the inbox."""
        return any(number in state.inbox and state.inbox[number] is None for state in self.candidates)

    @property
    def state(self) -> ModelState:
        """The first candidate: what the sequence draws its next inputs from."""
        return self.candidates[0]

    def _explain(self, requests: Sequence[ModelRequest], observed: Sequence[Observed]) -> str:
        lines = []
        for request, got in zip(requests, observed, strict=True):
            allowed = sorted({answer.label + _detail(answer) for answer in self.possible(request)})
            lines.append(f"{request.operation} by {request.user_id} for {request.number[0]} {request.number[1]}: got {got.label}{_observed_detail(got)}; the contract allows {' or '.join(allowed)}")
        together = " (released together; every order was tried)" if len(requests) > 1 else ""
        return "the answer departs from the contract's model" + together + ":\n  " + "\n  ".join(lines)


def _detail(answer: Answer) -> str:
    if answer.sent:
        code = f"authCode {answer.auth_code}" if answer.auth_code else "a new authCode"
        return f" ({code}, isNewUser {str(answer.is_new_user).lower()})"
    if answer.code == "TOO_MANY_REQUESTS":
        return f" (Retry-After at most {retry_after_ceiling(answer)} s)"
    return ""


def _observed_detail(observed: Observed) -> str:
    if observed.status == 200 and observed.auth_code is not None:
        return f" (authCode {observed.auth_code}, isNewUser {str(observed.is_new_user).lower()})"
    if observed.retry_after is not None:
        return f" (Retry-After {observed.retry_after} s)"
    return ""
