"""Every answer of random multi-user sequences is the one the contract's model predicts.

A Hypothesis rule-based state machine (not Schemathesis' stateful phase: that one follows the
spec's links and checks shapes, while these sequences need waits on the target's clock, requests
released together, and codes taken from what the model knows) drives a small pool per sequence:
three users, two of whose ids differ only in letter case; two fresh test numbers; and numbers
outside the test range that only ever appear in verify, which sends nothing. Any user acts on any
number in any order: register, resend, verify with the right codes, with one digit of either code
changed (at any position), with another user's or another number's codes, in string, integer and
integral-float forms; waits drawn around the policy's boundaries; bursts released together.

The oracle (:mod:`otp_suite.model.oracle`) predicts every answer, status, code, body, isNewUser,
Retry-After bound and whether an OTP was sent, and follows the branch the target took where the
answer hangs on a clock boundary inside the exchange's uncertainty. A departure fails the test
with the shortest sequence Hypothesis found, as shell lines to paste, and the seed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import jwt
import pytest
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st
from hypothesis.control import current_build_context
from hypothesis.errors import Flaky
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from contract_tests.plugins.identities import Identities
from otp_suite.config import SuiteConfig
from otp_suite.contract.client import OtpClient
from otp_suite.contract.outcome import WAIT_NOT_MADE_PROPERTY
from otp_suite.contract.replay import shell_token
from otp_suite.contract.run_plan import MODEL_NUMBERS_PER_LANE, MODEL_SHRINK_NUMBERS
from otp_suite.contract.sequences import Reproduction, SequenceRequest, SequenceTarget
from otp_suite.model.oracle import Departure, Oracle
from otp_suite.model.rules import ContractRules, Number
from otp_suite.testdata.phone_numbers import NumberAllocator
from otp_suite.testdata.tokens import new_user_id

pytestmark = pytest.mark.clause("model.sequences")

#: Wall-clock seconds each sequence test spends generating sequences, by depth.
BUDGET_S = {"quick": 5.0, "full": 15.0}
#: More seconds for Hypothesis to shrink a failing sequence to its shortest form.
SHRINK_BUDGET_S = 60.0
#: Steps per sequence.
STEPS = {"quick": 30, "full": 30}
#: The short pause every sequence may draw, seconds.
MOMENT_S = 0.05
#: How far past a boundary a "past" wait goes, beyond the clock margin.
PAST_S = 0.25


@dataclass
class SequenceRun:
    """What every sequence of one test shares: the target, the pool's sources, the budget."""

    config: SuiteConfig
    client: OtpClient
    identities: Identities
    numbers: NumberAllocator
    deadline: float
    fixed_user: str | None
    failed_at: float | None = None
    numbers_taken: int = 0
    sequences: int = 0
    requests: int = 0
    not_drawn: dict[str, str] = field(default_factory=dict)
    #: The shortest departure met so far (steps, message): what a failure reports if the target answers a replay differently.
    shortest: tuple[int, str] | None = None

    def note_departure(self, steps: int, message: str) -> None:
        """Keep ``message`` when its sequence is the shortest departure yet."""
        if self.shortest is None or steps < self.shortest[0]:
            self.shortest = (steps, message)

    def note_not_drawn(self, boundary: str, reason: str) -> None:
        """Remember (once per boundary) a wait the run did not make, for the verdict."""
        self.not_drawn.setdefault(boundary, reason)

    def may_run(self) -> bool:
        """Within the budget, or shrinking a failure within its own, or replaying the final failing sequence."""
        now = time.monotonic()
        if current_build_context().is_final:
            return True
        if self.failed_at is not None:
            return now < self.failed_at + SHRINK_BUDGET_S
        return now < self.deadline

    def may_take_numbers(self, count: int) -> bool:
        """Whether a new pool may take ``count`` more fresh numbers (a failure's shrinking and final replay may take a few more)."""
        if current_build_context().is_final:
            return True  # the replay of the shortest failing sequence, which the report shows
        cap = MODEL_NUMBERS_PER_LANE[self.config.contract_depth] + (MODEL_SHRINK_NUMBERS if self.failed_at is not None else 0)
        return self.numbers_taken + count <= cap


USERS = 3
NUMBERS = 2
FORMS = ("string", "integer", "float")
OPERATIONS = ("register", "resend")
#: Where a verify names the number: its own, another of the pool, the same digits in another country, outside the range.
PLACES = ("its number", "another number", "the number in another country", "a number outside the range")
#: Where a wait ends against a boundary of the policy: just before it, at its edge, just past it.
WHEN = ("before", "at", "past", "past")
#: Who acts on a subject (the owner twice: most steps are the owner's own).
ACTORS = ("owner", "owner", "another user", "the owner's case twin")


def _form(value: int, digits: int, form: str) -> object:
    """``value`` as a string of ``digits`` digits, an integer, or an integral float."""
    if form == "string":
        return f"{value:0{digits}d}"
    return value if form == "integer" else float(value)


def _changed(value: int, digits: int, position: int, delta: int) -> int:
    """``value`` with the digit at ``position`` (0 = first) moved by ``delta`` (1-9, mod 10)."""
    text = f"{value:0{digits}d}"
    digit = (int(text[position]) + delta) % 10
    return int(text[:position] + str(digit) + text[position + 1 :])


class OtpSequences(RuleBasedStateMachine):
    """One random sequence over a fresh pool, every answer judged by the model."""

    run: SequenceRun

    def __init__(self) -> None:
        super().__init__()
        self.target: SequenceTarget | None = None
        self.users: list[str] = []
        #: The pool's test numbers, taken from the allocator when a step first names them.
        self.numbers: list[Number] = []
        self.acted_since_wait = False
        self.last_subject: tuple[str, Number] | None = None
        #: The OTP each challenge had before its latest send: it must stop working at once.
        self.previous_otps: dict[tuple[str, Number], int] = {}

    @initialize()
    def pool(self) -> None:
        """Fresh users and numbers, so no sequence inherits another's limits or links."""
        run = self.run
        if not run.may_run() or not run.may_take_numbers(1):
            return
        run.sequences += 1
        if run.fixed_user is not None:
            self.users = [run.fixed_user]
            tokens = {run.fixed_user: run.config.jwt_token or ""}
        else:
            base = new_user_id()
            self.users = [base, base.upper(), f"{base}-other"]
            tokens = {user: run.identities.token_for(user) for user in self.users}
        self.numbers = []
        oracle = Oracle(ContractRules(run.config.policy), fixed_otp=run.config.fixed_code)
        token_texts = {user: shell_token(token, secret=run.config.jwt_secret, configured_token=run.config.jwt_token) for user, token in tokens.items()}
        reproduction = Reproduction(run.config.base_url or "", run.config.seed, token_texts)
        self.target = SequenceTarget(run.client, tokens, oracle, reproduction, inbox_url=run.config.resolved_inbox_url(), margin_s=run.config.clock_margin_s)

    def _running(self) -> bool:
        """A pool exists and the budget allows sending (the step's choices are drawn either way, so Hypothesis sees the same ones)."""
        return self.target is not None and self.run.may_run()

    def _judged(self, subject: tuple[str, Number], act: Callable[[SequenceTarget], None]) -> None:
        """Act on the target and judge the answers; a failure carries the sequence so far."""
        assert self.target is not None
        self.run.requests += 1
        self.acted_since_wait = True
        self.last_subject = subject
        before = {key: challenge.otp for key, challenge in self.target.oracle.state.challenges.items()}
        try:
            act(self.target)
        except AssertionError as failure:
            self.run.failed_at = self.run.failed_at or time.monotonic()
            message = f"{failure}\n\n{self.target.reproduction.text()}"
            self.run.note_departure(len(self.target.reproduction.lines), message)
            raise Departure(message) from None
        for key, challenge in self.target.oracle.state.challenges.items():
            old = before.get(key)
            if old is not None and challenge.otp is not None and challenge.otp != old:
                self.previous_otps[key] = int(old)

    def _codes(self, user: str, number: Number) -> tuple[int, int]:
        """The codes the model knows for ``user``'s challenge on ``number``; arbitrary ones where it knows none."""
        assert self.target is not None
        challenge = self.target.oracle.state.challenges.get((user, number))
        auth_code = int(challenge.auth_code) if challenge and challenge.auth_code else 1234
        otp = int(challenge.otp) if challenge and challenge.otp else 123456
        return auth_code, otp

    @rule(operation=st.sampled_from(OPERATIONS), subject=st.integers(0, USERS * NUMBERS - 1), again=st.integers(0, 3), actor=st.sampled_from(ACTORS))
    def send(self, operation: str, subject: int, again: int, actor: str) -> None:
        """register or resend for a number of the pool: again on the last subject, or on any, by its user or another."""
        if not self._running():
            return
        owner, number = self._subject(subject, again)
        request = SequenceRequest(operation, self._actor(owner, actor), number)
        self._judged((owner, number), lambda target: target.send(request))

    def _number(self, index: int) -> Number:
        """The pool's number ``index`` (mod its size), taken from the allocator when first named; an existing one when the run may take no more."""
        index %= NUMBERS
        while len(self.numbers) <= index:
            if not self.run.may_take_numbers(1):
                return self.numbers[index % len(self.numbers)]
            fresh = self.run.numbers.next()
            self.run.numbers_taken += 1
            self.numbers.append((fresh.country_code, fresh.phone_number))
        return self.numbers[index]

    def _subject(self, index: int, again: int) -> tuple[str, Number]:
        """Mostly (``again`` 1-3) the last (user, number) acted on, else one of the pool's by ``index``."""
        if again and self.last_subject is not None:
            return self.last_subject
        return self.users[index % len(self.users)], self._number(index // USERS)

    def _known(self, index: int) -> tuple[str, Number]:
        """Mostly the last subject acted on (what one step leaves, the next uses), else by ``index`` a challenge the model knows."""
        assert self.target is not None
        if index % 4 != 3 and self.last_subject is not None:
            return self.last_subject
        index //= 4
        known = sorted(self.target.oracle.state.challenges) or [(self.users[0], self._number(0))]
        return known[index % len(known)]

    def _actor(self, owner: str, actor: str) -> str:
        """Who acts on ``owner``'s subject: the owner, another user, or the owner's case twin."""
        if actor == "another user":
            others = [candidate for candidate in self.users if candidate.lower() != owner.lower()]
            return others[0] if others else owner
        if actor == "the owner's case twin":
            twins = [candidate for candidate in self.users if candidate != owner and candidate.lower() == owner.lower()]
            return twins[0] if twins else owner
        return owner

    @rule(challenge=st.integers(0, 31), auth_form=st.sampled_from(FORMS), otp_form=st.sampled_from(FORMS))
    def verify_right(self, challenge: int, auth_form: str, otp_form: str) -> None:
        """verify of a challenge by its owner at its number with its current codes."""
        self._verify(challenge, forms=(auth_form, otp_form))

    @rule(challenge=st.integers(0, 31))
    def verify_previous(self, challenge: int) -> None:
        """verify of a challenge by its owner with the OTP it had before its latest send."""
        self._verify(challenge, codes="previous")

    @rule(challenge=st.integers(0, 31), field=st.sampled_from(("authCode", "otp")), position=st.integers(0, 5), delta=st.integers(1, 9))
    def verify_one_digit_off(self, challenge: int, field: str, position: int, delta: int) -> None:
        """verify of a challenge by its owner with one digit of one code changed."""
        self._verify(challenge, change=field, position=position, delta=delta)

    @rule(challenge=st.integers(0, 31))
    def guess_until_locked(self, challenge: int) -> None:
        """Wrong guesses by its owner on a known challenge until the model says it is locked."""
        if not self._running():
            return
        assert self.target is not None
        owner, number = self._known(challenge)
        known = self.target.oracle.state.challenges.get((owner, number))
        left = self.run.config.policy.max_verify_attempts - (known.failed_attempts if known else 0)
        for _ in range(max(1, min(left, self.run.config.policy.max_verify_attempts))):
            self._verify(challenge, change="otp", position=5, delta=1)

    def _verify(
        self, challenge: int, *, actor: str = "owner", at: str = "its number", codes: str = "current", change: str | None = None, position: int = 0, delta: int = 1, forms: tuple[str, str] = ("string", "string")
    ) -> None:
        if not self._running():
            return
        owner, number = self._known(challenge)
        auth_code, otp = self._codes(owner, number)
        if codes == "previous":
            otp = self.previous_otps.get((owner, number), otp)
        if change == "authCode":
            auth_code = _changed(auth_code, 4, position % 4, delta)
        elif change == "otp":
            otp = _changed(otp, 6, position, delta)
        verified_at = {
            "its number": number,
            "another number": self._number(self.numbers.index(number) + 1 if number in self.numbers else 0),
            "the number in another country": ("+1" if number[0] != "+1" else "+7", number[1]),
            "a number outside the range": (number[0], ("9" if number[1][0] != "9" else "8") + number[1][1:]),
        }[at]
        request = SequenceRequest("verify", self._actor(owner, actor), verified_at, _form(auth_code, 4, forms[0]), _form(otp, 6, forms[1]))
        self._judged((owner, number), lambda target: target.send(request))


class OtpSequencesBackToBack(OtpSequences):
    """Sequences with no wait: any user at any number with any codes, and requests released together."""

    @rule(
        challenge=st.integers(0, 31),
        actor=st.sampled_from(ACTORS),
        at=st.sampled_from(PLACES),
        codes=st.sampled_from(("current", "previous")),
        change=st.sampled_from((None, "authCode", "otp")),
        position=st.integers(0, 5),
        delta=st.integers(1, 9),
        auth_form=st.sampled_from(FORMS),
        otp_form=st.sampled_from(FORMS),
    )
    def verify(self, challenge: int, actor: str, at: str, codes: str, change: str | None, position: int, delta: int, auth_form: str, otp_form: str) -> None:
        """verify of a challenge the model knows, by its owner or someone else, at its number or another, with its codes, the previous OTP, or one digit changed."""
        self._verify(challenge, actor=actor, at=at, codes=codes, change=change, position=position, delta=delta, forms=(auth_form, otp_form))

    @rule(operation=st.sampled_from(OPERATIONS), subject=st.integers(0, USERS * NUMBERS - 1), again=st.integers(0, 3), actors=st.lists(st.sampled_from(ACTORS), min_size=2, max_size=3))
    def sends_together(self, operation: str, subject: int, again: int, actors: list[str]) -> None:
        """Sends to one number released together, by one or several users: at most one passes within a cooldown."""
        if not self._running():
            return
        owner, number = self._subject(subject, again)
        requests = [SequenceRequest(operation, self._actor(owner, actor), number) for actor in actors]
        self._judged((owner, number), lambda target: target.send_together(requests))

    @rule(challenge=st.integers(0, 31), wrong=st.lists(st.booleans(), min_size=2, max_size=4))
    def verifies_together(self, challenge: int, wrong: list[bool]) -> None:
        """Verifies of one challenge released together, right and wrong: one success at most, wrong guesses within the limit."""
        if not self._running():
            return
        owner, number = self._known(challenge)
        auth_code, otp = self._codes(owner, number)
        requests = [SequenceRequest("verify", owner, number, f"{auth_code:04d}", f"{_changed(otp, 6, index % 6, 1) if bad else otp:06d}") for index, bad in enumerate(wrong)]
        self._judged((owner, number), lambda target: target.send_together(requests))


class OtpSequencesWithWaits(OtpSequences):
    """Sequences that also pause on the target's clock, around the policy's boundaries."""

    @rule(
        challenge=st.integers(0, 31),
        boundary=st.sampled_from(("cooldown", "cooldown", "lifetime", "lifetime", "window")),
        when=st.sampled_from(WHEN),
        then=st.sampled_from(("verify", "verify", "resend", "register", "nothing")),
    )
    def wait(self, challenge: int, boundary: str, when: str, then: str) -> None:
        """Wait to a boundary of a known challenge's clock (just before it, at its edge where either answer may come, or just past it), then probe the challenge.

        The boundaries are the number's resend cooldown, the challenge's OTP lifetime, and the
        number's send window; a wait past OTP_MAX_WAIT_S or the run's budget is not made. The probe
        is its owner's verify with the right codes, a resend or a register, or nothing.
        """
        if not self._running() or not self.acted_since_wait:
            return  # a wait after a wait tells nothing new
        owner, number = self._known(challenge)
        self._wait_past(owner, number, boundary, when=when)
        if then == "verify":
            self._verify(challenge)
        elif then in OPERATIONS:
            request = SequenceRequest(then, owner, number)
            self._judged((owner, number), lambda target: target.send(request))

    @rule(operation=st.sampled_from(OPERATIONS), subject=st.integers(0, USERS * NUMBERS - 1), again=st.integers(0, 3), actor=st.sampled_from(ACTORS))
    def send_after_cooldown(self, operation: str, subject: int, again: int, actor: str) -> None:
        """Wait out the number's resend cooldown, then register or resend: the send the cooldown allows."""
        if not self._running():
            return
        owner, number = self._subject(subject, again)
        self._wait_past(owner, number, "cooldown")
        self.send(operation, subject, again, actor)

    def _wait_past(self, owner: str, number: Number, boundary: str, *, when: str = "past") -> None:
        """Sleep until just before, at, or just past ``boundary`` when it lies ahead, within OTP_MAX_WAIT_S and the budget."""
        assert self.target is not None
        if self.run.config.contract_depth == "quick":
            self.run.note_not_drawn(boundary, f"waits for the {boundary}: the quick depth makes no wait for the target's clock")
            return
        boundary_at = self._boundary(owner, number, boundary)
        if boundary_at is None:
            return
        margin = self.run.config.clock_margin_s
        offset = {"before": -(2 * margin + PAST_S + 0.2), "at": 0.0, "past": margin + PAST_S}[when]
        seconds = boundary_at + offset - time.monotonic()
        if seconds <= 0:
            return
        name = f"{when} the {boundary} of {number[1]}"
        if seconds > self.run.config.max_wait_s or time.monotonic() + seconds > self.run.deadline:
            self.run.note_not_drawn(boundary, f"{when} the {boundary} ({seconds:.1f} s): longer than OTP_MAX_WAIT_S={self.run.config.max_wait_s:g} or what is left of the run's budget")
            return
        self.acted_since_wait = False
        self.target.reproduction.wait(seconds, name)
        time.sleep(seconds)

    def _boundary(self, owner: str, number: Number, boundary: str) -> float | None:
        """When (monotonic seconds, as the model knows it at the latest) ``boundary`` falls for ``owner``'s challenge on ``number``."""
        assert self.target is not None
        state, policy = self.target.oracle.state, self.run.config.policy
        sends = state.sends.get(number, [])
        if boundary == "cooldown":
            return sends[-1].latest + policy.resend_cooldown_s if sends else None
        if boundary == "window":
            return sends[0].latest + policy.send_window_s if len(sends) >= policy.max_sends_per_window else None
        challenge = state.challenges.get((owner, number))
        return challenge.created.latest + policy.ttl_s if challenge is not None else None


def _fixed_user(config: SuiteConfig) -> str | None:
    """The user id of OTP_JWT_TOKEN when there is no secret to mint others (read, not verified)."""
    if config.jwt_secret or not config.jwt_token:
        return None
    claims = jwt.decode(config.jwt_token, options={"verify_signature": False})
    return str(claims.get("user_id", ""))


def _budget_s(config: SuiteConfig) -> float:
    """Seconds of sequences: the depth's budget, plus one cooldown where the full depth may wait one out."""
    cooldown = config.policy.resend_cooldown_s + config.clock_margin_s + PAST_S
    can_wait = config.contract_depth == "full" and cooldown <= config.max_wait_s
    return BUDGET_S[config.contract_depth] + (cooldown if can_wait else 0.0)


@pytest.fixture
def sequence_run(suite_config: SuiteConfig, client: OtpClient, identities: Identities, phone_numbers: NumberAllocator) -> Iterator[SequenceRun]:
    """The shared context of one sequence test, with its budget starting now."""
    yield SequenceRun(
        config=suite_config,
        client=client,
        identities=identities,
        numbers=phone_numbers,
        deadline=time.monotonic() + _budget_s(suite_config),
        fixed_user=_fixed_user(suite_config),
    )


@pytest.mark.chained_requests  # runs for its budget: handed out first
@pytest.mark.parametrize("lane", ["back to back", "with waits"])
def test_every_answer_matches_the_model(sequence_run: SequenceRun, record_property: Callable[[str, object], None], lane: str) -> None:
    """Random sequences over a fresh pool: every answer is one the contract's model allows.

    Two lanes run side by side: requests back to back (many sequences: users, numbers, codes,
    bursts), and requests with waits drawn from the policy (fewer sequences, the clock's rules).
    """
    config = sequence_run.config
    base = OtpSequencesBackToBack if lane == "back to back" else OtpSequencesWithWaits
    machine = type(base.__name__, (base,), {"run": sequence_run})
    if config.seed is not None:
        machine = seed(config.seed + (lane == "with waits"))(machine)
    depth = config.contract_depth

    try:
        _run_sequences(machine, depth)
    except Flaky:
        # A live target may answer a replayed sequence differently (a clock edge, a busy machine),
        # which Hypothesis calls flaky; the departure itself stands: report the shortest one met.
        if sequence_run.shortest is None:
            raise  # not a departure (a transport error, say): as Hypothesis reported it
        raise Departure(f"{sequence_run.shortest[1]}\n\n(Replays of this sequence did not all depart the same way: the target's answers hang on timing.)") from None

    record_property("sequences", sequence_run.sequences)
    for reason in sequence_run.not_drawn.values():
        record_property(WAIT_NOT_MADE_PROPERTY, reason)
    assert sequence_run.sequences > 0, "no sequence ran within the budget: the target answered too slowly to judge any"


def _run_sequences(machine: type[RuleBasedStateMachine], depth: str) -> None:
    """Run the state machine: sequences of the depth's length, until the run's budget ends (no example database: a target's state is not replayable)."""
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=400,
            stateful_step_count=STEPS[depth],
            deadline=None,
            database=None,
            phases=(Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        ),
    )
