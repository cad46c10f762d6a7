"""The extremes of JSON (contract, 'Fields' and 'Order of checks'): numbers beyond any float, huge
and long integers, ``-0`` and ``0.0``, in each field and in an ignored extra field. Whatever a body
holds, the answer is one the contract names, never a server error: a field the contract does not
accept is 400 INVALID_REQUEST (before any lifecycle answer); a form it accepts is judged by value.

The choices, where the contract leaves room (a careful API owner's reading of RFC 8259 and JSON
Schema's "integer"):
- ``-0``, ``-0.0``, ``0.0`` and ``0e5`` are the integer 0 (a zero fraction counts; zero is not
  negative), so they are accepted for authCode and otp and judged by value.
- A number beyond what a double holds (``1e400``, a 400-digit integer) in an *ignored extra* field
  may be ignored (the request goes on) or refused as 400: RFC 8259 lets a parser limit its range.
  Never a 500.
- Not checked, as the contract does not decide them: duplicate keys (RFC 8259 leaves which one
  wins to the parser), and decimals finer than a double (``5496.00000000000000001`` and ``1e-400``
  read as ``5496.0`` and ``0.0`` by any double-based parser).

The extremes around the *right* value (a near miss that a wrong reading turns into the right code)
are in test_security_inputs.py; the integer forms that must verify, in test_lifecycle.py.

Safety: extremes of phone_number and countryCode go only to verify, which sends nothing; register
and resend get them only in an extra field, beside a test number.
"""

from __future__ import annotations

import pytest

from contract_tests.plugins.bodies import OPERATIONS, SOME_AUTH_CODE, SOME_OTP, valid_body
from otp_suite.contract.client import OtpClient
from otp_suite.contract.expectations import expect_challenge, expect_error, explain
from otp_suite.contract.json_text import JsonLiteral
from otp_suite.testdata.phone_numbers import PhoneNumber

#: form -> a JSON number at an extreme, as written.
EXTREME_NUMBERS: dict[str, JsonLiteral] = {
    "beyond_any_float": JsonLiteral("1e400"),
    "beyond_any_float_negative": JsonLiteral("-1e400"),
    "largest_double": JsonLiteral("1.7976931348623157e308"),
    "integer_of_41_digits": JsonLiteral("1" + "0" * 40),
    "negative_integer_of_41_digits": JsonLiteral("-1" + "0" * 40),
    "integer_of_400_digits": JsonLiteral("9" * 400),
}


@pytest.mark.parametrize("field", ["phone_number", "countryCode"])
@pytest.mark.parametrize("form", list(EXTREME_NUMBERS))
def test_number_field_at_a_json_extreme_refused(client: OtpClient, number: PhoneNumber, field: str, form: str) -> None:
    body = {**valid_body("verify", number), field: EXTREME_NUMBERS[form]}

    response = client.call("verify", body)

    expect_error(response, 400, "INVALID_REQUEST", f"{field} is a string: a JSON number at an extreme ({form.replace('_', ' ')}) is a 400, not a server error")


@pytest.mark.parametrize("field", ["authCode", "otp"])
@pytest.mark.parametrize("form", list(EXTREME_NUMBERS))
def test_code_at_a_json_extreme_refused(client: OtpClient, number: PhoneNumber, field: str, form: str) -> None:
    body = {**valid_body("verify", number), field: EXTREME_NUMBERS[form]}

    response = client.call("verify", body)

    expect_error(response, 400, "INVALID_REQUEST", f"{field} is out of range as {form.replace('_', ' ')}: a 400 before any lifecycle answer, not a server error")


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("form", ["beyond_any_float", "integer_of_400_digits"])
def test_extra_field_at_a_json_extreme_never_a_server_error(client: OtpClient, number: PhoneNumber, operation: str, form: str) -> None:
    body = {**valid_body(operation, number), "note": EXTREME_NUMBERS[form]}

    response = client.call(operation, body)

    # Ignored (the request goes on) or refused as beyond the parser's range: both answers the contract names.
    if response.status_code == 400:
        expect_error(response, 400, "INVALID_REQUEST", f"an extra field {form.replace('_', ' ')} refused as beyond the parser's range")
    elif operation == "verify":
        expect_error(response, 401, "INVALID_OTP", f"an extra field {form.replace('_', ' ')} is ignored (or a 400), never a server error; no challenge: INVALID_OTP")
    else:
        assert response.status_code == 200, explain(response, f"an extra field {form.replace('_', ' ')} is ignored (or a 400), never a server error: expected 200 or 400, got {response.status_code}")
        expect_challenge(response, f"an extra field {form.replace('_', ' ')} is ignored")


#: form -> how zero is written; each is the integer 0 (JSON Schema: a zero fraction counts; -0 is not negative).
ZERO_FORMS = {"minus_zero": "-0", "minus_zero_point_zero": "-0.0", "zero_point_zero": "0.0", "zero_with_exponent": "0e5"}


@pytest.mark.parametrize("form", list(ZERO_FORMS))
def test_zero_in_any_integer_form_judged_by_value(client: OtpClient, number: PhoneNumber, form: str) -> None:
    zero = JsonLiteral(ZERO_FORMS[form])

    auth_code_zero = client.verify(number, zero, SOME_OTP)
    otp_zero = client.verify(number, SOME_AUTH_CODE, zero)

    for field, response in (("authCode", auth_code_zero), ("otp", otp_zero)):
        expect_error(response, 401, "INVALID_OTP", f"{field} {ZERO_FORMS[form]} is the integer 0, in range: judged by value (no challenge: INVALID_OTP), not a 400")
