"""The OTP policy: the environment's numbers for lifetimes and limits (contract, 'Policy')."""

from __future__ import annotations

from dataclasses import dataclass

from otp_suite.setting import number, setting, settings_of, whole


@dataclass(frozen=True)
class OtpPolicy:
    """Lifetimes and limits of one environment; defaults are the contract's production-like values.

    Each field is an ``OTP_*`` setting (see :mod:`otp_suite.setting`); a new policy number is one
    more field here.
    """

    ttl_s: float = setting("OTP_TTL_S", 300.0, number, "Lifetime of an OTP, seconds (the target's policy).")
    max_verify_attempts: int = setting("OTP_MAX_VERIFY_ATTEMPTS", 5, whole, "Wrong codes allowed per OTP before it is locked.")
    resend_cooldown_s: float = setting("OTP_RESEND_COOLDOWN_S", 30.0, number, "Seconds between two sends to one number.")
    max_sends_per_window: int = setting("OTP_MAX_SENDS_PER_WINDOW", 5, whole, "Sends per number within OTP_SEND_WINDOW_S.")
    send_window_s: float = setting("OTP_SEND_WINDOW_S", 3600.0, number, "The window of OTP_MAX_SENDS_PER_WINDOW, seconds.")

    def as_environment(self) -> dict[str, str]:
        """The policy as the ``OTP_*`` variables both the service and the suite read."""
        environment = {}
        for name, described in settings_of(OtpPolicy):
            value = described.to_text(getattr(self, name))
            if value is not None:
                environment[described.variable] = value
        return environment


#: A policy for the embedded service in contract runs: short enough that expiry,
#: cooldown and window tests take seconds, long enough for a 2-core machine.
FAST_TEST_POLICY = OtpPolicy(ttl_s=3.0, max_verify_attempts=3, resend_cooldown_s=1.0, max_sends_per_window=3, send_window_s=20.0)
