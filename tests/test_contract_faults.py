"""Every check of the contract suite can fail: against the reference service with one fault from
the catalog, the test that holds the broken rule fails (and the run exits 1); against the service
without faults, the whole suite passes.

Each fault runs only the tests named for it (node ids), so the matrix stays affordable.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from otp_suite.contract.outcome import ContractOutcome
from otp_suite.service.faults import CATALOG

SCHEMA = "contract_tests/test_schema.py::test_operation_conforms_to_openapi"
LIFECYCLE = "contract_tests/test_lifecycle.py::"
LIMITS = "contract_tests/test_limits.py::"
SECURITY = "contract_tests/test_security.py::"

#: fault -> (node id to run, name of the test that must fail)
CAUGHT_BY: dict[str, tuple[str, str]] = {
    # lifecycle
    "otp_reusable": (LIFECYCLE + "test_consumed_challenge_refuses_replay", "test_consumed_challenge_refuses_replay"),
    "no_expiry": (LIFECYCLE + "test_otp_expires_after_its_lifetime", "test_otp_expires_after_its_lifetime"),
    "wrong_error_code": (LIFECYCLE + "test_otp_expires_after_its_lifetime", "test_otp_expires_after_its_lifetime"),
    "resend_keeps_old_otp": (LIFECYCLE + "test_previous_otp_refused_after_resend", "test_previous_otp_refused_after_resend"),
    "resend_new_authcode": (LIFECYCLE + "test_resend_keeps_auth_code_and_new_otp_verifies", "test_resend_keeps_auth_code_and_new_otp_verifies"),
    "unbound_number": (LIFECYCLE + "test_otp_is_bound_to_its_number", "test_otp_is_bound_to_its_number"),
    "unbound_user": (LIFECYCLE + "test_otp_is_bound_to_the_user_of_the_token", "test_otp_is_bound_to_the_user_of_the_token"),
    "ignore_authcode": (LIFECYCLE + "test_otp_is_bound_to_its_auth_code", "test_otp_is_bound_to_its_auth_code"),
    "always_new_user": (LIFECYCLE + "test_number_verified_once_is_no_longer_new", "test_number_verified_once_is_no_longer_new"),
    "never_new_user": (LIFECYCLE + "test_number_never_verified_is_new", "test_number_never_verified_is_new"),
    "strict_types": (LIFECYCLE + "test_auth_code_and_otp_accepted_in_every_form[integers]", "test_auth_code_and_otp_accepted_in_every_form[integers]"),
    # limits and races
    "no_lockout": (LIMITS + "test_lockout_after_max_wrong_guesses_refuses_even_the_right_otp", "test_lockout_after_max_wrong_guesses_refuses_even_the_right_otp"),
    "lockout_allows_right_otp": (LIMITS + "test_lockout_after_max_wrong_guesses_refuses_even_the_right_otp", "test_lockout_after_max_wrong_guesses_refuses_even_the_right_otp"),
    "resend_resets_attempts": (LIMITS + "test_resend_keeps_the_failed_attempt_count", "test_resend_keeps_the_failed_attempt_count"),
    "race_wrong_guesses": (LIMITS + "test_concurrent_wrong_guesses_never_pass_the_limit", "test_concurrent_wrong_guesses_never_pass_the_limit"),
    "race_verify": (LIMITS + "test_concurrent_right_verifies_succeed_exactly_once", "test_concurrent_right_verifies_succeed_exactly_once"),
    "no_cooldown": (LIMITS + "test_second_send_within_cooldown_refused_with_retry_after", "test_second_send_within_cooldown_refused_with_retry_after"),
    "no_send_window": (LIMITS + "test_send_window_limits_sends_with_retry_after", "test_send_window_limits_sends_with_retry_after"),
    "no_retry_after": (LIMITS + "test_lockout_answer_carries_retry_after", "test_lockout_answer_carries_retry_after"),
    # authentication
    "ignore_auth": (SECURITY + "test_missing_token_refused", "test_missing_token_refused"),
    "accept_expired_token": (SECURITY + "test_bad_token_refused[expired-register]", "test_bad_token_refused[expired-register]"),
    "accept_future_nbf": (SECURITY + "test_bad_token_refused[not_yet_valid-verify]", "test_bad_token_refused[not_yet_valid-verify]"),
    "accept_alg_none": (SECURITY + "test_bad_token_refused[alg_none-resend]", "test_bad_token_refused[alg_none-resend]"),
    "accept_any_hmac": (SECURITY + "test_bad_token_refused[hs512-register]", "test_bad_token_refused[hs512-register]"),
    "no_claims_check": (SECURITY + "test_bad_token_refused[missing_client_id-verify]", "test_bad_token_refused[missing_client_id-verify]"),
    "validate_before_auth": (SECURITY + "test_authentication_precedes_body_checks", "test_authentication_precedes_body_checks[not_json-register]"),
    # request handling
    "no_size_limit": (SECURITY + "test_oversized_body_refused", "test_oversized_body_refused[register]"),
    "any_content_type": (SECURITY + "test_content_type_other_than_json_refused", "test_content_type_other_than_json_refused[text/plain-verify]"),
    "lenient_types": (SECURITY + "test_malformed_verify_body_refused", "test_malformed_verify_body_refused[otp_fractional]"),
    "no_405": (SECURITY + "test_other_methods_refused_with_allow_post", "test_other_methods_refused_with_allow_post[GET-verify]"),
    # responses, errors and leaks (Schemathesis checks these shapes on every operation)
    "server_error_on_plus_one": (SCHEMA, "test_operation_conforms_to_openapi"),
    "extra_response_key": (SCHEMA, "test_operation_conforms_to_openapi"),
    "register_extra_key": (SCHEMA, "test_operation_conforms_to_openapi[POST /fe/users/auth/otp/register]"),
    "authcode_as_int": (SCHEMA, "test_operation_conforms_to_openapi"),
    "text_errors": (SCHEMA, "test_operation_conforms_to_openapi"),
    "leak_otp": (SECURITY + "test_no_response_carries_otp_token_or_secret", "test_no_response_carries_otp_token_or_secret"),
    "leak_token": (SECURITY + "test_no_response_carries_otp_token_or_secret", "test_no_response_carries_otp_token_or_secret"),
    # nothing like the API: the run stops before the tests (otp_suite.api_probe)
    "html_502": (LIFECYCLE + "test_registered_otp_verifies", "the target answers like the OTP API"),
    "all_500": (LIFECYCLE + "test_registered_otp_verifies", "the target answers like the OTP API"),
}

#: Faults about speed and availability under load; the load tests judge them, not the contract.
LOAD_ONLY = {"slow_verify", "fail_ratio", "stall"}


def test_every_contract_fault_of_the_catalog_has_a_catching_test() -> None:
    assert set(CATALOG) - LOAD_ONLY - set(CAUGHT_BY) == set()


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(CAUGHT_BY))
def test_fault_is_caught(contract_run: Callable[..., ContractOutcome], fault: str) -> None:
    node_id, failing_test = CAUGHT_BY[fault]

    outcome = contract_run(fault=fault, pytest_args=[node_id])

    assert outcome.exit_code == 1, f"{fault}: expected exit 1, got {outcome.exit_code} ({outcome.reason})"
    assert any(failure.endswith("::" + failing_test) or failing_test in failure for failure in outcome.failures), f"{fault}: {failing_test} did not fail; failures: {outcome.failures}"


@pytest.mark.slow
def test_whole_suite_passes_against_the_fault_free_service(contract_run: Callable[..., ContractOutcome]) -> None:
    outcome = contract_run()

    assert outcome.exit_code == 0, f"false failures: {outcome.failures} {outcome.reason or ''}"
    assert outcome.failed == 0 and outcome.skipped == 0, outcome.skip_reasons
    assert {name for name, counts in outcome.areas.items() if counts.passed} == {"schema", "lifecycle", "limits", "security"}
