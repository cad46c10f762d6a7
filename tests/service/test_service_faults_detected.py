"""The rule tests above can fail: run a few of them against services from the fault catalog.

Each case starts the reference service with one fault that breaks one rule, runs the very test
function that checks that rule, and expects it to fail. (The contract suite has its own, fuller
fault matrix.)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial

import pytest
import test_service_auth as auth
import test_service_challenges as challenges
import test_service_concurrency as concurrency
import test_service_errors_and_leaks as errors_and_leaks
import test_service_order_of_checks as order
import test_service_sending_limits as limits

from helpers.service import OtpApi
from otp_suite.testdata.phone_numbers import PhoneNumber, PhoneNumberSource

CASES: dict[str, Callable[..., None]] = {
    "otp_reusable": challenges.test_verified_challenge_cannot_be_verified_again,
    "no_lockout": challenges.test_wrong_guesses_lock_the_challenge_even_for_the_right_otp,
    "lockout_allows_right_otp": challenges.test_wrong_guesses_lock_the_challenge_even_for_the_right_otp,
    "race_verify": concurrency.test_concurrent_right_verifies_give_exactly_one_200,
    "race_wrong_guesses": concurrency.test_concurrent_wrong_guesses_are_evaluated_at_most_max_attempts_times,
    "resend_keeps_old_otp": challenges.test_resend_invalidates_previous_otp,
    "resend_new_authcode": challenges.test_resend_keeps_the_auth_code,
    "resend_resets_attempts": challenges.test_resend_keeps_the_failed_attempt_count,
    "wrong_error_code": challenges.test_verify_after_the_otp_lifetime_is_otp_expired,
    "unbound_user": challenges.test_challenge_belongs_to_the_user_of_the_token,
    "extra_response_key": challenges.test_register_answers_exactly_a_4_digit_auth_code_and_is_new_user,
    "no_cooldown": limits.test_cooldown_counts_per_number_whichever_user_asks,
    "no_retry_after": limits.test_429_carries_retry_after_in_whole_seconds,
    "accept_expired_token": partial(auth.test_token_expired_beyond_the_30_s_leeway_is_401, seconds_past=auth.LEEWAY_S + 1),
    "validate_before_auth": partial(order.test_missing_token_is_401_before_the_body_is_checked, content="not json"),
    "no_405": partial(errors_and_leaks.test_other_methods_are_405_with_allow_post, path="/fe/users/auth/otp/verify", method="GET"),
    "text_errors": partial(errors_and_leaks.test_every_error_body_is_exactly_code_and_message_strings, code="INVALID_OTP"),
    "leak_otp": errors_and_leaks.test_no_response_contains_an_otp_a_token_or_the_secret,
    "leak_token": errors_and_leaks.test_no_response_contains_an_otp_a_token_or_the_secret,
}


def _call(rule_test: Callable[..., None], api: OtpApi, number: PhoneNumber) -> None:
    """Run ``rule_test`` with the fixtures it asks for."""
    wanted = inspect.signature(rule_test).parameters
    rule_test(api, **({"number": number} if "number" in wanted else {}))


@pytest.mark.parametrize("fault", sorted(CASES))
def test_rule_test_fails_on_a_service_with_the_fault(start_service: Callable[..., OtpApi], number: PhoneNumber, fault: str) -> None:
    api = start_service(fault=fault)

    with pytest.raises(AssertionError):
        _call(CASES[fault], api, number)


def test_the_same_rule_tests_pass_on_the_fault_free_service(start_service: Callable[..., OtpApi], phone_numbers: PhoneNumberSource) -> None:
    api = start_service()

    for rule_test in CASES.values():
        _call(rule_test, api.as_another_user(), phone_numbers.next())
