"""The test inbox and OTP_FIXED_CODE of the reference service."""

from __future__ import annotations

from collections.abc import Callable

from helpers.service import INBOX, OtpApi
from otp_suite.testdata.phone_numbers import PhoneNumber, PhoneNumberSource


def test_inbox_answers_the_last_otp_sent_to_a_number(api: OtpApi, number: PhoneNumber) -> None:
    api.register(number)

    response = api.inbox(number)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"otp"} and len(body["otp"]) == 6 and body["otp"].isdigit()


def test_inbox_follows_a_resend(api: OtpApi, number: PhoneNumber) -> None:
    api.start_challenge(number)

    resent = api.resend_challenge(number)

    assert api.verify(number, resent.auth_code, api.sent_otp(number)).status_code == 200


def test_inbox_is_404_not_found_when_nothing_was_sent(api: OtpApi, number: PhoneNumber) -> None:
    response = api.inbox(number)

    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == "NOT_FOUND"


def test_inbox_needs_no_token(api: OtpApi, number: PhoneNumber) -> None:
    api.register(number)

    response = api.client.get(INBOX, params={"countryCode": number.country_code, "phone_number": number.phone_number}, headers={})

    assert "user-jwt-token" not in response.request.headers
    assert response.status_code == 200


def test_inbox_turned_off_is_404_even_after_a_send(start_service: Callable[..., OtpApi], number: PhoneNumber) -> None:
    api = start_service(inbox=False)
    assert api.register(number).status_code == 200

    assert api.inbox(number).status_code == 404


def test_fixed_code_makes_every_otp_that_code(start_service: Callable[..., OtpApi], number: PhoneNumber, phone_numbers: PhoneNumberSource) -> None:
    api = start_service(fixed_code="123456")
    other = phone_numbers.next()
    challenges = [api.start_challenge(number), api.start_challenge(other)]

    assert [challenge.otp for challenge in challenges] == ["123456", "123456"]
    assert api.verify(number, challenges[0].auth_code, "123456").status_code == 200
