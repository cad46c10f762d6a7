"""Think times that follow the target's policy.

A real user waits for the SMS, reads it and types it; a resend comes no sooner than the resend
cooldown allows (the service would answer 429 otherwise), and verify comes well within the OTP
lifetime. ``think_time_s`` (``OTP_THINK_TIME_S``) scales the human part; the cooldown is never
shortened.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from otp_suite.policy import OtpPolicy

DEFAULT_THINK_TIME_S = 1.0

#: The embedded service's policy for load runs: a 1 s cooldown keeps resend flows short, and a
#: large send window and long lifetime mean healthy traffic never meets a limit.
EMBEDDED_LOAD_POLICY = OtpPolicy(ttl_s=120.0, max_verify_attempts=5, resend_cooldown_s=1.0, max_sends_per_window=10, send_window_s=3600.0)

#: Added to the cooldown: the service starts counting when it handles the send, a little after the
#: client sent it, and clocks of client and server tick at slightly different rates.
_COOLDOWN_MARGIN_S = 0.1
_COOLDOWN_MARGIN_SHARE = 0.05


@dataclass
class Pacing:
    """How long a virtual user waits between the steps of a flow and between flows."""

    policy: OtpPolicy
    think_time_s: float = DEFAULT_THINK_TIME_S
    rng: random.Random = field(default_factory=random.Random)

    def think_s(self) -> float:
        """A human pause (reading the SMS, typing it): 0.5-1.5 x think time, well inside the OTP lifetime."""
        if self.think_time_s <= 0:
            return 0.0
        return min(self.think_time_s * self.rng.uniform(0.5, 1.5), self.policy.ttl_s / 4)

    def resend_wait_s(self) -> float:
        """How long after a send's answer the next send to the number may go: the cooldown, with a margin."""
        cooldown = self.policy.resend_cooldown_s
        if cooldown <= 0:
            return 0.0
        return cooldown * (1 + _COOLDOWN_MARGIN_SHARE) + _COOLDOWN_MARGIN_S

    def can_guess_wrong_first(self) -> bool:
        """True when one wrong guess still leaves an attempt for the right OTP."""
        return self.policy.max_verify_attempts >= 2
