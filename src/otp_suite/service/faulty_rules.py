"""The fault catalog's lifecycle and limit faults, as overrides around the contract's model.

:class:`~otp_suite.model.rules.ContractRules` holds the rules and knows nothing of faults; the
reference service runs :class:`FaultyRules`, which bends one rule where a fault says so and
otherwise defers to the model. The contract suite's oracle runs the model itself, so it can never
inherit a fault. Faults that only change a number of the policy (a cooldown too long, a window one
short, no expiry) are a different policy handed to the same rules (:func:`faulty_policy`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

from otp_suite.model.moments import Moment
from otp_suite.model.rules import INVALID_OTP, OTP_EXPIRED, Answer, Challenge, ChallengeKey, CodeSource, ContractRules, Decide, ModelState, Number, VerifyRequest, same_value
from otp_suite.policy import OtpPolicy
from otp_suite.service.faults import Faults

#: A count no test reaches: "never" for the attempt and window limits.
_NEVER = 10**9


def faulty_policy(policy: OtpPolicy, faults: Faults) -> OtpPolicy:
    """The policy the faulty rules enforce: the configured one, with the numbers the faults change."""
    ttl = policy.ttl_s - (1 if "expiry_early" in faults else 0) + (2 if "expiry_grace" in faults else 0)
    attempts = policy.max_verify_attempts + (1 if "lock_at_max_plus_one" in faults else -1 if "lock_at_max_minus_one" in faults else 0)
    cooldown = policy.resend_cooldown_s * 1.5 + 1 if "cooldown_too_long" in faults else policy.resend_cooldown_s
    sends = policy.max_sends_per_window + (1 if "window_allows_one_more" in faults else -1 if "window_one_short" in faults else 0)
    return dataclasses.replace(
        policy,
        ttl_s=math.inf if "no_expiry" in faults else ttl,
        max_verify_attempts=_NEVER if "no_lockout" in faults else attempts,
        resend_cooldown_s=0.0 if "no_cooldown" in faults else cooldown,
        max_sends_per_window=_NEVER if "no_send_window" in faults else sends,
    )


class FaultyRules(ContractRules):
    """The contract's rules with the faults switched on bent; with no fault, exactly the model."""

    def __init__(self, policy: OtpPolicy, faults: Faults) -> None:
        super().__init__(faulty_policy(policy, faults))
        self.faults = faults
        #: The OTP a challenge had before its latest send (only the *_keeps_old_otp faults read it).
        self.previous_otp: dict[ChallengeKey, str | None] = {}
        self._linked_by_user: set[tuple[str, Number]] = set()  # new_user_per_user
        self._sent_to: set[Number] = set()  # new_user_until_sent
        #: Set for one call by the service's race faults: the lock as read before yielding, and limits already checked.
        self.locked_as_seen: bool | None = None
        self.limits_checked = False

    # Which records a request names.

    def challenge_key(self, user_id: str, number: Number) -> ChallengeKey:
        """Bound to the user and the whole number, unless a fault loosens the binding."""
        faults = self.faults
        if "user_id_case_insensitive" in faults:
            user_id = user_id.lower()
        if "unbound_user" in faults:
            user_id = "*"
        if "unbound_number" in faults:
            number = ("*", "*")
        if "number_ignores_country_code" in faults:
            number = ("*", number[1])
        return (user_id, number)

    def limit_key(self, user_id: str, number: Number) -> Number:
        """Per number, unless the limits are kept per user, or per phone_number whatever the countryCode."""
        if "limits_ignore_country_code" in self.faults:
            return ("*", number[1])
        return (f"{user_id}|{number[0]}", number[1]) if "limits_per_user" in self.faults else number

    # The challenge's clock and counters.

    def locked(self, challenge: Challenge) -> bool:
        """As the model, or as the service read it before yielding (race_wrong_guesses)."""
        return super().locked(challenge) if self.locked_as_seen is None else self.locked_as_seen

    def is_pending(self, challenge: Challenge | None, now: Moment, decide: Decide) -> bool:
        """Pending, or revived by a fault that lets a consumed, locked or expired challenge be resent."""
        if challenge is None:
            return False
        faults = self.faults
        consumed = challenge.consumed and "resend_revives_consumed" not in faults
        locked = super().locked(challenge) and "resend_revives_locked" not in faults
        expired = decide(self.expired(challenge, now), "expired") and "resend_revives_expired" not in faults
        return not (consumed or locked or expired)

    def is_new_user(self, state: ModelState, user_id: str, number: Number) -> bool:
        """Whether no user verified the number, or the fault's idea of it."""
        faults = self.faults
        if "always_new_user" in faults:
            return True
        if "never_new_user" in faults:
            return False
        if "new_user_per_user" in faults:
            return (user_id, number) not in self._linked_by_user
        if "new_user_until_sent" in faults:
            return number not in self._sent_to
        return super().is_new_user(state, user_id, number)

    # Sending limits.

    def send_refusal(self, state: ModelState, key: Number, now: Moment, decide: Decide) -> Answer | None:
        """The model's refusal, with the side effects of the faults that make a refusal count."""
        if self.limits_checked:
            return None
        refusal = super().send_refusal(state, key, now, decide)
        sends = state.sends.get(key)
        if refusal is not None and sends:
            if "refused_restarts_cooldown" in self.faults:
                sends[-1] = now
            if "refused_counts_in_window" in self.faults:
                # Counted in the window, but placed first so the cooldown still runs from the last real send.
                sends.insert(0, now)
        return refusal

    def send(self, state: ModelState, user_id: str, number: Number, now: Moment, codes: CodeSource) -> str | None:
        """Send as the model does, remembering the number for new_user_until_sent."""
        self._sent_to.add(number)
        return super().send(state, user_id, number, now, codes)

    # register and resend.

    def register(self, state: ModelState, user_id: str, number: Number, now: Moment, decide: Decide, codes: CodeSource) -> Answer:
        """The model's register, or what the register faults make of it."""
        key = self.challenge_key(user_id, number)
        old = state.challenges.get(key)
        pending = old if self.is_pending(old, now, decide) else None
        if pending is not None and "register_keeps_pending" in self.faults:
            return self.resend(state, user_id, number, now, decide, codes)
        answer = super().register(state, user_id, number, now, decide, codes)
        if answer.status != 200:
            self._rotate_on_refusal(state, user_id, number, pending, now, codes)
            return answer
        if "register_keeps_lock" in self.faults and old is not None and not old.consumed and super().locked(old):
            state.challenges[key].failed_attempts = old.failed_attempts
        self.previous_otp[key] = pending.otp if pending is not None and "register_keeps_old_otp" in self.faults else None
        return answer

    def resend(self, state: ModelState, user_id: str, number: Number, now: Moment, decide: Decide, codes: CodeSource) -> Answer:
        """The model's resend, or what the resend faults make of it."""
        key = self.challenge_key(user_id, number)
        challenge = state.challenges.get(key)
        if challenge is None or not self.is_pending(challenge, now, decide):
            return self.register(state, user_id, number, now, decide, codes)
        before = (challenge.otp, challenge.created, challenge.failed_attempts)
        answer = super().resend(state, user_id, number, now, decide, codes)
        if answer.status != 200:
            self._rotate_on_refusal(state, user_id, number, challenge, now, codes)
            return answer
        faults = self.faults
        if "window_counts_registers_only" in faults:
            # The send still holds the cooldown (it is the last send), but leaves the window's count as it was.
            sends = state.sends[self.limit_key(user_id, number)]
            if len(sends) >= 2:
                sends.pop(-2)
        if "resend_keeps_old_otp" in faults or "register_keeps_old_otp" in faults:
            self.previous_otp[key] = before[0]
        if "resend_keeps_lifetime" in faults:
            challenge.created = before[1]
        if "resend_new_authcode" in faults:
            challenge.auth_code = codes.auth_code()
        if "resend_resets_attempts" in faults:
            challenge.failed_attempts = 0
        return dataclasses.replace(answer, auth_code=challenge.auth_code)

    def _rotate_on_refusal(self, state: ModelState, user_id: str, number: Number, pending: Challenge | None, now: Moment, codes: CodeSource) -> None:
        """refused_send_rotates_otp: a refused send still replaces the pending OTP (and the inbox's)."""
        if "refused_send_rotates_otp" in self.faults and pending is not None and self.is_pending(pending, now, _exact):
            pending.otp = codes.otp(number)
            state.inbox[number] = pending.otp

    # verify.

    def check(self, state: ModelState, user_id: str, number: Number, auth_code: int, otp: int, now: Moment, decide: Decide) -> Answer | None:
        """The model's steps 1-4, or what the faults about whose challenge it is make of them."""
        faults = self.faults
        key = self.challenge_key(user_id, number)
        if key not in state.challenges:
            if "no_challenge_expired" in faults:
                return OTP_EXPIRED
            others = [owner for (owner, other_number) in state.challenges if other_number == key[1]]
            if "fallback_to_any_users_challenge" in faults and others:
                user_id = others[0]
        answer = super().check(state, user_id, number, auth_code, otp, now, decide)
        if answer == INVALID_OTP and "wrong_guesses_per_number" in faults:
            for (owner, other_number), challenge in state.challenges.items():
                if other_number == key[1] and owner != key[0]:
                    challenge.failed_attempts += 1
        return answer

    def consume(self, state: ModelState, user_id: str, number: Number) -> None:
        """Consume as the model does, remembering who verified (new_user_per_user)."""
        if "fallback_to_any_users_challenge" in self.faults and self.challenge_key(user_id, number) not in state.challenges:
            user_id = next(owner for (owner, other_number) in state.challenges if other_number == self.challenge_key(user_id, number)[1])
        super().consume(state, user_id, number)
        self._linked_by_user.add((user_id, number))
        if "verify_resets_send_limits" in self.faults:
            state.sends.pop(self.limit_key(user_id, number), None)

    def verify_steps(self) -> list[Callable[[VerifyRequest], Answer | None]]:
        """The contract's order, or the order a fault moves one step in."""
        consumed, expired, locked, codes = self.step_consumed, self.step_expired, self.step_locked, self.step_codes
        faults = self.faults
        if "expiry_before_consumed" in faults:
            return [expired, consumed, locked, codes]
        if "lock_before_expiry" in faults:
            return [consumed, locked, expired, codes]
        if "codes_before_expiry" in faults:
            return [consumed, codes, expired, locked]
        if "codes_before_lock" in faults:
            return [consumed, expired, codes, locked]
        return [consumed, expired, locked, codes]

    def step_consumed(self, request: VerifyRequest) -> Answer | None:
        """Step 1, unless a consumed challenge may be verified again (otp_reusable)."""
        return None if "otp_reusable" in self.faults else super().step_consumed(request)

    def step_expired(self, request: VerifyRequest) -> Answer | None:
        """Step 2, answered INVALID_OTP under wrong_error_code."""
        answer = super().step_expired(request)
        return INVALID_OTP if answer is not None and "wrong_error_code" in self.faults else answer

    def step_locked(self, request: VerifyRequest) -> Answer | None:
        """Step 3, unless the right codes still pass a lock (lockout_allows_right_otp)."""
        if "lockout_allows_right_otp" in self.faults and self.codes_match(request):
            return None
        return super().step_locked(request)

    def step_codes(self, request: VerifyRequest) -> Answer | None:
        """Step 4, without counting a wrong authCode with the right OTP (wrong_authcode_not_counted)."""
        if "wrong_authcode_not_counted" in self.faults and not self.codes_match(request) and self._otp_matches(request):
            return INVALID_OTP
        return super().step_codes(request)

    def codes_match(self, request: VerifyRequest) -> bool:
        """Both codes right, or what the faults accept instead (any authCode, the previous OTP)."""
        stored = request.challenge.auth_code
        right_code = "ignore_authcode" in self.faults or same_value(stored, request.auth_code)
        if "authcode_first_digit_ignored" in self.faults and stored is not None:
            right_code = right_code or stored[1:] == f"{request.auth_code:04d}"[1:]
        return right_code and self._otp_matches(request)

    def _otp_matches(self, request: VerifyRequest) -> bool:
        if "otp_last_digit_ignored" in self.faults and request.challenge.otp is not None and request.challenge.otp[:5] == f"{request.otp:06d}"[:5]:
            return True
        if same_value(request.challenge.otp, request.otp):
            return True
        previous = self.previous_otp.get(request.key)
        return previous is not None and same_value(previous, request.otp)


def _exact(maybe: bool | None, why: str) -> bool:
    return bool(maybe)
