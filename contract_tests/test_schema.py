"""Schemathesis on openapi.yaml: every operation through the examples, coverage and fuzzing phases,
and the stateful phase through the spec's links, with every built-in check.

Bodies of register and resend are moved into the test number range before they are sent (see
otp_suite.contract.test_range); OTP_SEED / --seed makes the generated cases reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import allure
import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.core.failures import Failure, FailureGroup

from otp_suite.api import COUNTRY_CODE, PHONE_NUMBER
from otp_suite.config import SuiteConfig
from otp_suite.contract.client import InboxUnavailable, OtpInbox
from otp_suite.contract.openapi_schema import SENDING_OPERATIONS, install_token_auth, load_contract_schema
from otp_suite.contract.replay import UNREPRODUCIBLE_TOKEN, replay_notes, replayable_schemathesis_text, shell_token
from otp_suite.contract.session import run_config, session_token
from otp_suite.contract.test_range import map_into_test_range
from otp_suite.redaction import REDACT
from otp_suite.testdata.phone_numbers import NumberAllocator, PhoneNumber

if TYPE_CHECKING:
    # Schemathesis's own name for a case of an OpenAPI operation (declared for type checkers only).
    from schemathesis.specs.openapi.schemas import OpenApiCase

schema = load_contract_schema(run_config())
install_token_auth(schema, session_token())
T = TypeVar("T")
#: Steps per stateful scenario and scenarios per run: enough to chain register -> resend -> verify.
STATEFUL_STEPS = 6
#: The stateful phase's scenarios run as this many tests, each with its own seed and its share of
#: the scenarios, side by side: as one test, a chain of a hundred requests or more, it would set
#: the run's wall time against a far stage (benchmarks/bench_contract_network.py).
STATEFUL_PARTS = 2


def _operation_id(case: OpenApiCase) -> str | None:
    operation_id: str | None = case.operation.definition.raw.get("operationId")  # the raw spec is untyped JSON
    return operation_id


def _redacted(failure: BaseException) -> AssertionError:
    """Schemathesis's failure text (checks, response, curl) with secrets redacted, attached to the report.

    Its curl runs as pasted: the session token as the ``otp-suite token`` command that mints it again.
    """
    config, token = run_config(), session_token()
    # The "authentication not enforced" check's requests carry no token or a wrong one, never the session's.
    probes_auth = "without authentication" in str(failure) or "Authentication not enforced" in str(failure)
    token_text = shell_token(token, secret=config.jwt_secret, configured_token=config.jwt_token) if token and not probes_auth else UNREPRODUCIBLE_TOKEN
    text = replayable_schemathesis_text(REDACT(str(failure)), token_text)
    notes = replay_notes(config.seed, needs_token_variable=UNREPRODUCIBLE_TOKEN in text)
    allure.attach(f"{text}\n\n{notes}", name="Schemathesis failure: response and curl", attachment_type=allure.attachment_type.TEXT)
    return AssertionError(text)


#: The network error each test met first (its operation, or its stateful part). Hypothesis goes on
#: after an error, to shrink it and look for others: against a target that stopped answering, every
#: further call waited out the request timeout (70 s for one test at a 1 s timeout). Once the target
#: did not answer a test, the test's further calls fail at once with that error: it is not judged.
_UNANSWERED: dict[str, BaseException] = {}
_NETWORK_ERRORS = (requests.exceptions.ConnectionError, requests.exceptions.Timeout)


def _answered(key: str, call: Callable[[], T]) -> T:
    """``call()``, unless the target already left this test's call unanswered: then that error, at once."""
    if key in _UNANSWERED:
        raise _UNANSWERED[key]
    try:
        return call()
    except _NETWORK_ERRORS as error:
        _UNANSWERED[key] = error
        raise


def _sent_checked(case: OpenApiCase, base_url: str, session: requests.Session) -> None:
    """Call and validate; a failure is re-raised with its text redacted (the target may echo a token)."""
    try:
        _answered(case.operation.label, lambda: case.call_and_validate(base_url=base_url, session=session))
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
def test_operation_conforms_to_openapi(case: OpenApiCase, base_url: str, phone_numbers: NumberAllocator, scratch_number: PhoneNumber, schemathesis_session: requests.Session) -> None:
    if _operation_id(case) in SENDING_OPERATIONS:
        map_into_test_range(case.body, phone_numbers, scratch=scratch_number)
    _sent_checked(case, base_url, schemathesis_session)


@pytest.mark.chained_requests
@pytest.mark.parametrize("part", range(1, STATEFUL_PARTS + 1), ids=lambda part: f"part-{part}-of-{STATEFUL_PARTS}")
def test_linked_operations_conform_in_sequence(
    part: int, base_url: str, phone_numbers: NumberAllocator, scratch_number: PhoneNumber, inbox: OtpInbox, suite_config: SuiteConfig, schemathesis_session: requests.Session
) -> None:
    class OtpLinks(schema.as_state_machine()):  # type: ignore[misc]  # a class made at run time: mypy sees an Any base
        def before_call(self, case: OpenApiCase) -> None:
            if _operation_id(case) in SENDING_OPERATIONS:
                map_into_test_range(case.body, phone_numbers, scratch=scratch_number)
            elif _operation_id(case) == "verifyOtp":
                _use_delivered_otp(case, phone_numbers, inbox)

        def get_call_kwargs(self, case: OpenApiCase) -> dict[str, object]:
            return {"base_url": base_url, "session": schemathesis_session}

        def call(self, case: OpenApiCase, **kwargs: Any) -> schemathesis.Response:
            response: schemathesis.Response = _answered(unanswered_key, lambda: super(OtpLinks, self).call(case, **kwargs))
            return response

        def validate_response(self, response: schemathesis.Response, case: OpenApiCase, additional_checks: list[schemathesis.CheckFunction] | None = None, **kwargs: Any) -> None:
            try:
                super().validate_response(response, case, additional_checks=additional_checks, **kwargs)
            except (FailureGroup, Failure) as failure:
                raise _redacted(failure) from None

    # Each part its own seed, so the parts explore different scenarios; together at least the whole budget.
    machine = hypothesis.seed(suite_config.seed + part)(OtpLinks) if suite_config.seed is not None else OtpLinks
    scenarios = max(5, suite_config.max_examples // 3)
    unanswered_key = f"stateful part {part}"
    try:
        _run_machine(machine, scenarios)
    except Exception:
        # A call the target left unanswered ends the scenarios at once; Hypothesis then calls that
        # "inconsistent data generation". The network error is what happened: the test is not judged.
        if unanswered_key in _UNANSWERED:
            raise _UNANSWERED[unanswered_key] from None
        raise


def _run_machine(machine: Any, scenarios: int) -> None:
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


def _use_delivered_otp(case: OpenApiCase, phone_numbers: NumberAllocator, inbox: OtpInbox) -> None:
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
    except InboxUnavailable:  # nothing sent to it (e.g. the register was refused): keep the generated OTP
        return
