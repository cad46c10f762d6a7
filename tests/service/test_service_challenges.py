"""The contract's challenge lifecycle: register, resend, and verify's five steps in their order."""

from __future__ import annotations

import httpx

from helpers.service import OtpApi
from otp_suite.api import AUTH_CODE
from otp_suite.testdata.codes import wrong_auth_code, wrong_otp
from otp_suite.testdata.phone_numbers import PhoneNumber, PhoneNumberSource


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.json()["code"] == code


# --- register ---------------------------------------------------------------------------------


def test_register_answers_exactly_a_4_digit_auth_code_and_is_new_user(api: OtpApi, number: PhoneNumber) -> None:
    response = api.register(number)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"authCode", "isNewUser"}
    assert isinstance(body["authCode"], str) and AUTH_CODE.fullmatch(body["authCode"])
    assert body["isNewUser"] is True


def test_register_sends_a_6_digit_otp(api: OtpApi, number: PhoneNumber) -> None:
    api.register(number)

    otp = api.sent_otp(number)

    assert len(otp) == 6 and otp.isdigit()


def test_register_drops_the_pending_challenge(api: OtpApi, number: PhoneNumber) -> None:
    first = api.start_challenge(number)
    api.clock.advance(api.policy.resend_cooldown_s)
    second = api.start_challenge(number)

    old = api.verify(number, first.auth_code, first.otp)
    new = api.verify(number, second.auth_code, second.otp)

    _assert_error(old, 401, "INVALID_OTP")
    assert new.status_code == 200


def test_register_after_lockout_starts_a_fresh_challenge(api: OtpApi, number: PhoneNumber) -> None:
    api.lock(number, api.start_challenge(number))
    api.clock.advance(api.policy.resend_cooldown_s)
    fresh = api.start_challenge(number)

    assert api.verify(number, fresh.auth_code, fresh.otp).status_code == 200


def test_is_new_user_is_false_once_any_user_verified_the_number(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    assert api.verify(number, challenge.auth_code, challenge.otp).status_code == 200
    api.clock.advance(api.policy.resend_cooldown_s)

    again = api.register(number)
    other_user = api.as_another_user()
    api.clock.advance(api.policy.resend_cooldown_s)
    by_other_user = other_user.register(number)

    assert again.json()["isNewUser"] is False
    assert by_other_user.json()["isNewUser"] is False


def test_is_new_user_stays_true_while_the_number_is_not_verified(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    api.verify(number, challenge.auth_code, wrong_otp(challenge.otp))
    api.clock.advance(api.policy.resend_cooldown_s)

    assert api.register(number).json()["isNewUser"] is True


# --- resend -----------------------------------------------------------------------------------


def test_resend_keeps_the_auth_code(api: OtpApi, number: PhoneNumber) -> None:
    first = api.start_challenge(number)

    resent = api.resend_challenge(number)

    assert resent.auth_code == first.auth_code


def test_resend_invalidates_previous_otp(api: OtpApi, number: PhoneNumber) -> None:
    first = api.start_challenge(number)
    resent = api.resend_challenge(number)
    if resent.otp == first.otp:  # a 1-in-a-million draw would leave nothing to tell apart
        resent = api.resend_challenge(number)
    assert resent.otp != first.otp

    response = api.verify(number, first.auth_code, first.otp)

    _assert_error(response, 401, "INVALID_OTP")


def test_resend_new_otp_verifies(api: OtpApi, number: PhoneNumber) -> None:
    api.start_challenge(number)
    resent = api.resend_challenge(number)

    assert api.verify(number, resent.auth_code, resent.otp).status_code == 200


def test_resend_keeps_the_failed_attempt_count(api: OtpApi, number: PhoneNumber) -> None:
    first = api.start_challenge(number)
    for _ in range(api.policy.max_verify_attempts - 1):
        api.verify(number, first.auth_code, wrong_otp(first.otp))
    resent = api.resend_challenge(number)
    api.verify(number, resent.auth_code, wrong_otp(resent.otp))  # the last allowed failure

    response = api.verify(number, resent.auth_code, resent.otp)

    _assert_error(response, 429, "TOO_MANY_ATTEMPTS")


def test_resend_restarts_the_otp_lifetime(api: OtpApi, number: PhoneNumber) -> None:
    api.start_challenge(number)
    api.clock.advance(api.policy.ttl_s - api.policy.resend_cooldown_s)
    resent = api.resend_challenge(number)  # at exactly the lifetime of the first send
    api.clock.advance(api.policy.resend_cooldown_s)  # past the first send's lifetime

    assert api.verify(number, resent.auth_code, resent.otp).status_code == 200


def test_resend_with_no_pending_challenge_acts_as_register(api: OtpApi, number: PhoneNumber) -> None:
    response = api.resend(number)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"authCode", "isNewUser"} and body["isNewUser"] is True
    assert api.verify(number, body["authCode"], api.sent_otp(number)).status_code == 200


def test_resend_after_lockout_starts_a_new_challenge(api: OtpApi, number: PhoneNumber) -> None:
    api.lock(number, api.start_challenge(number))

    fresh = api.resend_challenge(number)

    assert api.verify(number, fresh.auth_code, fresh.otp).status_code == 200


def test_resend_after_expiry_starts_a_new_challenge(api: OtpApi, number: PhoneNumber) -> None:
    api.start_challenge(number)
    api.clock.advance(api.policy.ttl_s + 1)

    fresh = api.resend_challenge(number)

    assert api.verify(number, fresh.auth_code, fresh.otp).status_code == 200


def test_resend_after_verification_starts_a_new_challenge(api: OtpApi, number: PhoneNumber) -> None:
    first = api.start_challenge(number)
    api.verify(number, first.auth_code, first.otp)

    fresh = api.resend_challenge(number)

    assert api.verify(number, fresh.auth_code, fresh.otp).status_code == 200


def test_resend_answers_is_new_user_false_for_a_verified_number(api: OtpApi, number: PhoneNumber) -> None:
    first = api.start_challenge(number)
    api.verify(number, first.auth_code, first.otp)
    api.clock.advance(api.policy.resend_cooldown_s)

    assert api.resend(number).json()["isNewUser"] is False


# --- verify, step by step ---------------------------------------------------------------------


def test_verify_without_a_challenge_is_invalid_otp(api: OtpApi, number: PhoneNumber) -> None:
    _assert_error(api.verify(number, "1234", "123456"), 401, "INVALID_OTP")


def test_verified_challenge_cannot_be_verified_again(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    assert api.verify(number, challenge.auth_code, challenge.otp).status_code == 200

    replay = api.verify(number, challenge.auth_code, challenge.otp)

    _assert_error(replay, 401, "INVALID_OTP")


def test_consumed_is_reported_before_expired(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    api.verify(number, challenge.auth_code, challenge.otp)
    api.clock.advance(api.policy.ttl_s + 1)

    _assert_error(api.verify(number, challenge.auth_code, challenge.otp), 401, "INVALID_OTP")


def test_verify_after_the_otp_lifetime_is_otp_expired(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    api.clock.advance(api.policy.ttl_s + 1)

    _assert_error(api.verify(number, challenge.auth_code, challenge.otp), 401, "OTP_EXPIRED")


def test_verify_at_exactly_the_otp_lifetime_succeeds(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    api.clock.advance(api.policy.ttl_s)  # not yet "older than" the lifetime

    assert api.verify(number, challenge.auth_code, challenge.otp).status_code == 200


def test_expired_is_reported_before_locked(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    api.lock(number, challenge)
    api.clock.advance(api.policy.ttl_s + 1)

    _assert_error(api.verify(number, challenge.auth_code, challenge.otp), 401, "OTP_EXPIRED")


def test_wrong_guesses_lock_the_challenge_even_for_the_right_otp(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    api.lock(number, challenge)

    _assert_error(api.verify(number, challenge.auth_code, challenge.otp), 429, "TOO_MANY_ATTEMPTS")


def test_wrong_auth_code_is_invalid_otp_and_counts_as_a_failed_attempt(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    for _ in range(api.policy.max_verify_attempts):
        _assert_error(api.verify(number, wrong_auth_code(challenge.auth_code), challenge.otp), 401, "INVALID_OTP")

    _assert_error(api.verify(number, challenge.auth_code, challenge.otp), 429, "TOO_MANY_ATTEMPTS")


def test_wrong_otp_is_invalid_otp(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)

    _assert_error(api.verify(number, challenge.auth_code, wrong_otp(challenge.otp)), 401, "INVALID_OTP")


def test_fewer_failed_attempts_than_the_maximum_do_not_lock(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    for _ in range(api.policy.max_verify_attempts - 1):
        api.verify(number, challenge.auth_code, wrong_otp(challenge.otp))

    assert api.verify(number, challenge.auth_code, challenge.otp).status_code == 200


def test_right_otp_answers_users_linked_successfully(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)

    response = api.verify(number, challenge.auth_code, challenge.otp)

    assert response.status_code == 200
    assert response.json() == {"message": "Users linked successfully"}


def test_challenge_belongs_to_the_user_of_the_token(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)

    response = api.as_another_user().verify(number, challenge.auth_code, challenge.otp)

    _assert_error(response, 401, "INVALID_OTP")


def test_challenge_belongs_to_its_phone_number(api: OtpApi, number: PhoneNumber, phone_numbers: PhoneNumberSource) -> None:
    challenge = api.start_challenge(number)
    other = phone_numbers.next()

    _assert_error(api.verify(other, challenge.auth_code, challenge.otp), 401, "INVALID_OTP")


def test_challenge_belongs_to_its_country_code(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    same_digits_other_country = type(number)("+1" if number.country_code != "+1" else "+44", number.phone_number)

    _assert_error(api.verify(same_digits_other_country, challenge.auth_code, challenge.otp), 401, "INVALID_OTP")
