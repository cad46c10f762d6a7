"""Schemathesis on openapi.yaml: every operation through the examples, coverage and fuzzing phases,
and the stateful phase through the spec's links, with every built-in check.

Bodies of register and resend are moved into the test number range before they are sent (see
otp_suite.contract.test_range); OTP_SEED / --seed makes the generated cases reproducible.
"""

from __future__ import annotations

import math

import allure
import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.core.failures import Failure, FailureGroup

from fixtures.phone_numbers import NumberAllocator, PhoneNumber
from otp_suite.config import SuiteConfig
from otp_suite.contract.client import OtpInbox
from otp_suite.contract.openapi_schema import SENDING_OPERATIONS, install_token_auth, load_contract_schema
from otp_suite.redaction import REDACT
from otp_suite.contract.session import run_config, session_token
from otp_suite.contract.test_range import COUNTRY_CODE, PHONE_NUMBER, map_into_test_range

schema = load_contract_schema(run_config())
install_token_auth(schema, session_token())
#: Steps per stateful scenario and scenarios per run: enough to chain register -> resend -> verify.
STATEFUL_STEPS = 6
#: The stateful phase's scenarios run as this many tests, each with its own seed and its share of
#: the scenarios, side by side: as one test, a chain of a hundred requests or more, it would set
#: the run's wall time against a far stage (benchmarks/bench_contract_network.py).
STATEFUL_PARTS = 2


def _operation_id(case: schemathesis.Case) -> str | None:
    return case.operation.definition.raw.get("operationId")


def _redacted(failure: BaseException) -> AssertionError:
    """Schemathesis's failure text (checks, response, curl) with secrets redacted, attached to the report."""
    text = REDACT(str(failure))
    allure.attach(text, name="Schemathesis failure: response and curl", attachment_type=allure.attachment_type.TEXT)
    return AssertionError(text)


def _sent_checked(case: schemathesis.Case, base_url: str, session: requests.Session) -> None:
    """Call and validate; a failure is re-raised with its text redacted (the target may echo a token)."""
    try:
        case.call_and_validate(base_url=base_url, session=session)
    except (FailureGroup, Failure) as failure:
        raise _redacted(failure) from None


@pytest.fixture(scope="session")
def scratch_number(phone_numbers: NumberAllocator) -> PhoneNumber:
    """The number of this process's generated bodies that name no valid number: a correct target
    refuses them (400) and sends nothing, so they need no fresh number each."""
    scratch = phone_numbers.fresh()
    phone_numbers.mark_sent(scratch.country_code, scratch.phone_number)  # a faulty target may send to it anyway
    return scratch


@schema.parametrize()
def test_operation_conforms_to_openapi(case: schemathesis.Case, base_url: str, phone_numbers: NumberAllocator, scratch_number: PhoneNumber, schemathesis_session: requests.Session) -> None:
    if _operation_id(case) in SENDING_OPERATIONS:
        map_into_test_range(case.body, phone_numbers, scratch=scratch_number)
    _sent_checked(case, base_url, schemathesis_session)


@pytest.mark.chained_requests
@pytest.mark.parametrize("part", range(1, STATEFUL_PARTS + 1), ids=lambda part: f"part-{part}-of-{STATEFUL_PARTS}")
def test_linked_operations_conform_in_sequence(part: int, base_url: str, phone_numbers: NumberAllocator, scratch_number: PhoneNumber, inbox: OtpInbox, suite_config: SuiteConfig, schemathesis_session: requests.Session) -> None:
    class OtpLinks(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            if _operation_id(case) in SENDING_OPERATIONS:
                map_into_test_range(case.body, phone_numbers, scratch=scratch_number)
            elif _operation_id(case) == "verifyOtp":
                _use_delivered_otp(case, phone_numbers, inbox)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            return {"base_url": base_url, "session": schemathesis_session}

        def validate_response(self, response, case, additional_checks=None, **kwargs):  # type: ignore[no-untyped-def]
            try:
                super().validate_response(response, case, additional_checks=additional_checks, **kwargs)
            except (FailureGroup, Failure) as failure:
                raise _redacted(failure) from None

    # Each part its own seed, so the parts explore different scenarios; together at least the whole budget.
    machine = hypothesis.seed(suite_config.seed + part)(OtpLinks) if suite_config.seed is not None else OtpLinks
    scenarios = max(5, suite_config.max_examples // 3)
    machine.run(
        settings=hypothesis.settings(
            max_examples=math.ceil(scenarios / STATEFUL_PARTS),
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            phases=[hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
            derandomize=False,
        )
    )


def _use_delivered_otp(case: schemathesis.Case, phone_numbers: NumberAllocator, inbox: OtpInbox) -> None:
    """A linked verify carries the authCode of the step before; give it the OTP that was really sent."""
    body = case.body
    if not isinstance(body, dict):
        return
    phone, country = body.get("phone_number"), body.get("countryCode")
    if not (isinstance(phone, str) and PHONE_NUMBER.fullmatch(phone) and isinstance(country, str) and COUNTRY_CODE.fullmatch(country)):
        return
    if not phone_numbers.contains(country, phone):
        return
    try:
        body["otp"] = inbox.latest(PhoneNumber(country, phone))
    except Exception:  # nothing sent to it (e.g. the register was refused): keep the generated OTP
        return
