"""The contract's field rules ('Fields'), on the reference service over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from helpers.service import REGISTER, VERIFY, OtpApi
from otp_suite.contract.json_text import escaped_string
from otp_suite.testdata.phone_numbers import PhoneNumber, PhoneNumberSource

NOT_INTEGERS: list[object] = [True, False, None, [], {}, [1234], {"value": 1234}]


def _assert_invalid_request(response: httpx.Response) -> None:
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"


@pytest.mark.parametrize("phone_number", ["12345", "123456789012345", "12345a", "+9876543219", " 9876543219", "98765 43219", "", "９８７６５４３２１９", "9876543219\n"])
def test_phone_number_must_be_6_to_14_ascii_digits(api: OtpApi, number: PhoneNumber, phone_number: str) -> None:
    _assert_invalid_request(api.post(REGISTER, {"phone_number": phone_number, "countryCode": number.country_code}))


@pytest.mark.parametrize("phone_number", [9876543219, 9876543219.0] + NOT_INTEGERS)
def test_phone_number_that_is_not_a_string_is_400(api: OtpApi, number: PhoneNumber, phone_number: object) -> None:
    _assert_invalid_request(api.post(REGISTER, {"phone_number": phone_number, "countryCode": number.country_code}))


@pytest.mark.parametrize("length", [6, 14])
def test_phone_number_of_6_and_14_digits_is_accepted(api: OtpApi, phone_numbers: PhoneNumberSource, length: int) -> None:
    number = phone_numbers.next()
    # The test prefix, then the number's own last digits: still unique in this run.
    digits = number.phone_number[: len(phone_numbers.prefix)] + number.phone_number[len(phone_numbers.prefix) - length :]

    response = api.post(REGISTER, {"phone_number": digits, "countryCode": number.country_code})

    assert response.status_code == 200


@pytest.mark.parametrize("country_code", ["91", "+0", "+01", "+1234", "+9a", "++91", "", " +91", 91, None, True])
def test_country_code_must_be_plus_and_1_to_3_digits_not_starting_with_0(api: OtpApi, number: PhoneNumber, country_code: object) -> None:
    _assert_invalid_request(api.post(REGISTER, {"phone_number": number.phone_number, "countryCode": country_code}))


@pytest.mark.parametrize("missing", ["phone_number", "countryCode"])
def test_register_without_a_required_field_is_400(api: OtpApi, number: PhoneNumber, missing: str) -> None:
    body = number.body()
    del body[missing]

    _assert_invalid_request(api.post(REGISTER, body))


@pytest.mark.parametrize("missing", ["phone_number", "countryCode", "authCode", "otp"])
def test_verify_without_a_required_field_is_400(api: OtpApi, number: PhoneNumber, missing: str) -> None:
    challenge = api.start_challenge(number)
    body = number.body(authCode=challenge.auth_code, otp=challenge.otp)
    del body[missing]

    _assert_invalid_request(api.post(VERIFY, body))


@pytest.mark.parametrize("auth_code", ["123", "12345", "12a4", "-123", " 123", "１２３４", "1234\n", -1, 10000, 12.5, 1e10] + NOT_INTEGERS)
def test_auth_code_must_be_4_digit_string_or_integer_0_to_9999(api: OtpApi, number: PhoneNumber, auth_code: object) -> None:
    challenge = api.start_challenge(number)

    _assert_invalid_request(api.verify(number, auth_code, challenge.otp))


@pytest.mark.parametrize("otp", ["12345", "1234567", "12345a", "-12345", "１２３４５６", -1, 1_000_000, 596097.5, 1e12] + NOT_INTEGERS)
def test_otp_must_be_6_digit_string_or_integer_0_to_999999(api: OtpApi, number: PhoneNumber, otp: object) -> None:
    challenge = api.start_challenge(number)

    _assert_invalid_request(api.verify(number, challenge.auth_code, otp))


def test_auth_code_and_otp_as_integers_are_accepted(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)

    response = api.verify(number, int(challenge.auth_code), int(challenge.otp))

    assert response.status_code == 200


def test_integral_float_otp_is_accepted(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)

    response = api.post(VERIFY, content=f'{{"phone_number": "{number.phone_number}", "countryCode": "{number.country_code}", "authCode": "{challenge.auth_code}", "otp": {int(challenge.otp)}.0}}')

    assert response.status_code == 200


def test_integral_float_auth_code_is_accepted(api: OtpApi, number: PhoneNumber) -> None:
    challenge = api.start_challenge(number)

    response = api.post(VERIFY, content=f'{{"phone_number": "{number.phone_number}", "countryCode": "{number.country_code}", "authCode": {int(challenge.auth_code)}.0, "otp": "{challenge.otp}"}}')

    assert response.status_code == 200


def test_authcode_compared_by_value_42_equals_0042(api: OtpApi, phone_numbers: PhoneNumberSource) -> None:
    # authCode is random: register fresh numbers until one starts with 0, so its integer form is shorter.
    for _ in range(300):
        number = phone_numbers.next()
        challenge = api.start_challenge(number)
        if challenge.auth_code.startswith("0"):
            break
    else:
        pytest.fail("no authCode with a leading zero in 300 registrations (expected about 1 in 10)")

    response = api.verify(number, int(challenge.auth_code), challenge.otp)

    assert response.status_code == 200


def test_otp_compared_by_value_42_equals_000042(start_service: Callable[..., OtpApi], number: PhoneNumber) -> None:
    api = start_service(fixed_code="000042")
    challenge = api.start_challenge(number)

    response = api.verify(number, challenge.auth_code, 42)

    assert response.status_code == 200


def test_unknown_extra_fields_are_ignored(api: OtpApi, number: PhoneNumber) -> None:
    response = api.post(REGISTER, number.body(extra="field", nested={"a": [1, 2]}, otp=None))

    assert response.status_code == 200
    assert set(response.json()) == {"authCode", "isNewUser"}


@pytest.mark.parametrize("content", ["", "{", "not json", '{"phone_number": "9876543219",}', "NaN", '{"countryCode": NaN}', "\xff\xfe"])
def test_body_that_is_not_json_is_400(api: OtpApi, content: str) -> None:
    _assert_invalid_request(api.post(REGISTER, content=content.encode("latin-1")))


@pytest.mark.parametrize("content", ["[]", '"text"', "1234", "null", "true", '[{"phone_number": "9876543219", "countryCode": "+91"}]'])
def test_body_that_is_not_an_object_is_400(api: OtpApi, content: str) -> None:
    _assert_invalid_request(api.post(REGISTER, content=content))


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "1" + "0" * 40, "9" * 400, "9" * 5000])
@pytest.mark.parametrize("field", ["authCode", "otp", "phone_number", "countryCode"])
def test_number_at_a_json_extreme_is_400_not_500(api: OtpApi, number: PhoneNumber, field: str, literal: str) -> None:
    text = json.dumps({**number.body(authCode="1234", otp="123456"), field: "EXTREME"}).replace('"EXTREME"', literal)

    _assert_invalid_request(api.post(VERIFY, content=text))


@pytest.mark.parametrize("literal", ["1e400", "9" * 400])
def test_extra_field_at_a_json_extreme_is_ignored(api: OtpApi, number: PhoneNumber, literal: str) -> None:
    text = json.dumps(number.body(note="EXTREME")).replace('"EXTREME"', literal)

    assert api.post(REGISTER, content=text).status_code == 200


#: form -> the authCode as JSON text: integer forms with an exponent or a zero fraction, and the string escaped.
AUTH_CODE_FORMS = {
    "negative_exponent": lambda code: f"{int(code)}0e-1",
    "zero_fraction": lambda code: f"{int(code)}.0",
    "exponent": lambda code: f"{int(code)}e0",
    "escaped_string": lambda code: str(escaped_string(code)),
}


@pytest.mark.parametrize("form", list(AUTH_CODE_FORMS))
def test_auth_code_in_any_integer_or_escaped_form_is_accepted(api: OtpApi, number: PhoneNumber, form: str) -> None:
    challenge = api.start_challenge(number)
    text = json.dumps(number.body(authCode="AUTH", otp=challenge.otp)).replace('"AUTH"', AUTH_CODE_FORMS[form](challenge.auth_code))

    assert api.post(VERIFY, content=text).status_code == 200


@pytest.mark.parametrize("zero", ["-0", "-0.0", "0.0", "0e5"])
def test_zero_in_any_integer_form_is_judged_by_value(api: OtpApi, number: PhoneNumber, zero: str) -> None:
    text = json.dumps(number.body(authCode="AUTH", otp="123456")).replace('"AUTH"', zero)

    response = api.post(VERIFY, content=text)

    assert (response.status_code, response.json()["code"]) == (401, "INVALID_OTP")


@pytest.mark.parametrize("wrapped", [2**32, 2**64, -(2**64)])
def test_auth_code_plus_a_power_of_two_is_400(api: OtpApi, number: PhoneNumber, wrapped: int) -> None:
    challenge = api.start_challenge(number)

    _assert_invalid_request(api.verify(number, int(challenge.auth_code) + wrapped, challenge.otp))
