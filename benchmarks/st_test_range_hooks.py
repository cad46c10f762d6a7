"""Schemathesis hooks for the plain ``st run`` baseline of bench_contract_faults.py.

Only one thing is added to plain ``st run``: register and resend bodies are moved into the test
number range before they are sent (the suite never sends an OTP request outside it). Loaded with
``SCHEMATHESIS_HOOKS=st_test_range_hooks``.
"""

from __future__ import annotations

import schemathesis

from fixtures.phone_numbers import PhoneNumberSource
from otp_suite.config import load_config
from otp_suite.contract.test_range import map_into_test_range

_CONFIG = load_config()
_NUMBERS = PhoneNumberSource(_CONFIG.test_country_code, _CONFIG.test_phone_prefix)


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, object]) -> None:
    if case.operation.definition.raw.get("operationId") in {"registerOtp", "resendOtp"}:
        map_into_test_range(case.body, _NUMBERS)
