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


#: Numbers of the first test range a whole contract run sends to, at the default OTP_MAX_EXAMPLES
#: (30), with a margin for the numbers checks hold at once without sending: measured with
#: benchmarks/count_contract_sends.py (README "Sizing a stage's test range"). 400 of them are the two
#: randomness samples (200 challenges each, one send per number).
NUMBERS_A_RUN_NEEDS = {"quick": 620, "full": 660}
#: Numbers of the second range a run sends to (the countryCode rules: one each).
SECOND_RANGE_NUMBERS = 2
#: Numbers of the first range the gate's load smoke takes after the contract run (25 measured at a
#: production policy, 5 users; claimed 16 at a time per load process), with a margin.
LOAD_SMOKE_NUMBERS = 60


def numbers_needed(config: SuiteConfig, *, load_smoke: bool = False) -> tuple[int, ...]:
    """How many free numbers a whole contract run (followed by the gate's ``load_smoke``) needs in each configured range (first, second; none beyond)."""
    first = NUMBERS_A_RUN_NEEDS[config.contract_depth] + (LOAD_SMOKE_NUMBERS if load_smoke else 0)
    return (first, SECOND_RANGE_NUMBERS)[: len(config.number_ranges)]
