"""The OTP policy: the environment's numbers for lifetimes and limits (contract, 'Policy')."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OtpPolicy:
    """Lifetimes and limits of one environment; defaults are the contract's production-like values."""

    ttl_s: float = 300.0
    max_verify_attempts: int = 5
    resend_cooldown_s: float = 30.0
    max_sends_per_window: int = 5
    send_window_s: float = 3600.0

    def as_environment(self) -> dict[str, str]:
        """The policy as the ``OTP_*`` variables both the service and the suite read."""
        return {
            "OTP_TTL_S": _fmt(self.ttl_s),
            "OTP_MAX_VERIFY_ATTEMPTS": str(self.max_verify_attempts),
            "OTP_RESEND_COOLDOWN_S": _fmt(self.resend_cooldown_s),
            "OTP_MAX_SENDS_PER_WINDOW": str(self.max_sends_per_window),
            "OTP_SEND_WINDOW_S": _fmt(self.send_window_s),
        }


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


#: A policy for the embedded service in contract runs: short enough that expiry,
#: cooldown and window tests take seconds, long enough for a 2-core machine.
FAST_TEST_POLICY = OtpPolicy(ttl_s=3.0, max_verify_attempts=3, resend_cooldown_s=1.0, max_sends_per_window=3, send_window_s=20.0)
