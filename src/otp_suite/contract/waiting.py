"""Waits that model the API's own clock (OTP lifetime, resend cooldown), bounded by OTP_MAX_WAIT_S.

A wait longer than the configured maximum is not made: the test is skipped and says why, so a
production-like policy (300 s lifetime) costs a skip, not five minutes. At the quick depth no wait
is made at all: a test that needs one is skipped at its first, with the reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from otp_suite.contract.skip_causes import SkipCause, skip

QUICK_DEPTH_REASON = "quick depth (OTP_CONTRACT_DEPTH=quick) runs no check that waits for the target's clock; the full depth (--depth full) runs this one"

#: Added to every policy wait: a target may keep whole-second timestamps, so "30 s later" by our
#: clock can be 29.x s by its clock.
CLOCK_MARGIN_S = 1.0


@dataclass(frozen=True)
class PolicyWaiter:
    """Sleeps for the target's policy durations, or skips the test when that would exceed ``max_wait_s``.

    ``quick``: the quick contract depth, which skips every test that needs a policy wait.
    """

    max_wait_s: float
    quick: bool = False

    def ensure_affordable(self, seconds: float, why: str) -> None:
        """Skip the calling test now if it would have to wait ``seconds`` in total (or wait at all, when quick)."""
        if self.quick:
            skip(SkipCause.DEPTH, f"needs to wait {seconds:g} s ({why}); {QUICK_DEPTH_REASON}")
        if seconds > self.max_wait_s:
            skip(SkipCause.MAX_WAIT, f"needs to wait {seconds:g} s ({why}), more than OTP_MAX_WAIT_S={self.max_wait_s:g}; raise OTP_MAX_WAIT_S to run it")

    def wait(self, seconds: float, why: str) -> None:
        """Sleep ``seconds`` plus a clock margin, or skip the test if that exceeds ``max_wait_s``."""
        total = seconds + CLOCK_MARGIN_S
        self.ensure_affordable(total, why)
        time.sleep(total)
