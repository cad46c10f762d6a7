"""What a contract run's plan depends on, shared by the runner (the CLI side) and the pytest plugins.

Kept free of pytest and xdist imports, so the command imports neither before the run starts.
"""

from __future__ import annotations

from otp_suite.config import SuiteConfig

#: A policy whose OTP lifetime or resend cooldown is longer than this has "long waits".
LONG_WAIT_S = 60.0
#: pytest ini option the runner sets for a far target (otp_suite.contract.runner.FAR_TARGET_ROUND_TRIP_S).
FAR_TARGET_INI = "otp_far_target"


def has_long_waits(config: SuiteConfig) -> bool:
    """True for a full-depth run against a policy with long waits (a production policy), which runs more workers, started in order."""
    return config.contract_depth == "full" and max(config.policy.ttl_s, config.policy.resend_cooldown_s) > LONG_WAIT_S
