"""The contract's sending limits: cooldown and window per number, whichever user, nothing sent on 429."""

from __future__ import annotations

import math

import httpx
import pytest

from helpers.service import OtpApi
from otp_suite.testdata.phone_numbers import PhoneNumber, PhoneNumberSource


def _assert_too_many_requests(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert response.json()["code"] == "TOO_MANY_REQUESTS"


@pytest.mark.parametrize("second", ["register", "resend"])
def test_second_send_within_the_cooldown_is_429(api: OtpApi, number: PhoneNumber, second: str) -> None:
    api.register(number)
    api.clock.advance(api.policy.resend_cooldown_s - 1)

    _assert_too_many_requests(getattr(api, second)(number))


def test_send_once_the_cooldown_has_passed_is_allowed(api: OtpApi, number: PhoneNumber) -> None:
    api.register(number)
    api.clock.advance(api.policy.resend_cooldown_s)

    assert api.resend(number).status_code == 200


def test_cooldown_counts_per_number_whichever_user_asks(api: OtpApi, number: PhoneNumber) -> None:
    api.register(number)

    _assert_too_many_requests(api.as_another_user().register(number))


def test_cooldown_of_one_number_does_not_hold_back_another(api: OtpApi, number: PhoneNumber, phone_numbers: PhoneNumberSource) -> None:
    api.register(number)

    assert api.register(phone_numbers.next()).status_code == 200


def test_sends_beyond_the_window_allowance_are_429_until_the_window_passes(api: OtpApi, number: PhoneNumber) -> None:
    policy = api.policy
    for _ in range(policy.max_sends_per_window):
        assert api.register(number).status_code == 200
        api.clock.advance(policy.resend_cooldown_s)

    refused = api.resend(number)
    api.clock.advance(policy.send_window_s - policy.resend_cooldown_s * policy.max_sends_per_window)
    allowed = api.resend(number)

    _assert_too_many_requests(refused)
    assert allowed.status_code == 200


def test_send_window_counts_register_and_resend_of_every_user_together(api: OtpApi, number: PhoneNumber) -> None:
    senders = [api.register, api.resend, api.as_another_user().register]
    for send in senders[: api.policy.max_sends_per_window]:
        assert send(number).status_code == 200
        api.clock.advance(api.policy.resend_cooldown_s)

    _assert_too_many_requests(api.as_another_user().resend(number))


def test_nothing_is_sent_on_429(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)

    refused_register = api.register(number)
    refused_resend = api.resend(number)

    _assert_too_many_requests(refused_register)
    _assert_too_many_requests(refused_resend)
    assert api.sent_otp(number) == challenge.otp
    assert api.verify(number, challenge.auth_code, challenge.otp).status_code == 200


def test_refused_send_does_not_extend_the_cooldown(api: OtpApi, number: PhoneNumber) -> None:
    api.register(number)
    api.clock.advance(api.policy.resend_cooldown_s - 1)
    api.register(number)  # refused: must not count as a send
    api.clock.advance(1)

    assert api.register(number).status_code == 200


def test_429_carries_retry_after_in_whole_seconds(api: OtpApi, number: PhoneNumber) -> None:
    api.register(number)
    api.clock.advance(0.25)

    response = api.register(number)

    assert response.status_code == 429
    retry_after = response.headers.get("retry-after", "")
    assert retry_after.isdigit() and int(retry_after) >= 1
    assert int(retry_after) == math.ceil(api.policy.resend_cooldown_s - 0.25)


def test_retry_after_is_at_least_1_second(api: OtpApi, number: PhoneNumber) -> None:
    api.register(number)
    api.clock.advance(api.policy.resend_cooldown_s - 0.1)

    response = api.register(number)

    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"


def test_too_many_attempts_429_carries_retry_after(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)
    api.lock(number, challenge)

    response = api.verify(number, challenge.auth_code, challenge.otp)

    assert response.status_code == 429
    assert response.headers.get("retry-after", "").isdigit() and int(response.headers["retry-after"]) >= 1
