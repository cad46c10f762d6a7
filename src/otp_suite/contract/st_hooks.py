"""Schemathesis hooks for running plain ``st run openapi.yaml`` safely against any target.

Only one thing is added: register and resend bodies are moved into the test number range
(the first of ``OTP_TEST_RANGES``, or ``OTP_TEST_COUNTRY_CODE`` / ``OTP_TEST_PHONE_PREFIX``) before they are sent, so a bare
Schemathesis run never makes a target text a real phone. Load them with
``SCHEMATHESIS_HOOKS=otp_suite.contract.st_hooks``.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from otp_suite.api import SENDING_OPERATIONS
from otp_suite.config import load_config
from otp_suite.contract.test_range import map_into_test_range
from otp_suite.testdata.phone_numbers import PhoneNumberSource

_CONFIG = load_config()
_NUMBERS = PhoneNumberSource.for_range(_CONFIG.number_ranges[0])


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case[schemathesis.APIOperation[Any, Any, Any, Any]], kwargs: dict[str, object]) -> None:
    if case.operation.definition.raw.get("operationId") in SENDING_OPERATIONS:
        map_into_test_range(case.body, _NUMBERS)
