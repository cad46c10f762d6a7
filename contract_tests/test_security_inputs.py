"""Near misses of each field's form (contract, 'Fields' and 'Order of checks'): strings that look
like digits but are not ASCII digits, trailing newline or junk, over-long values, signs, booleans,
fractions and out-of-range integers, and the extremes of JSON around the right value (beyond any
float, wrapping a fixed-width integer, thousands of digits, inside an array or an object). Each is sent carrying the *right* values where it can, so a
target that wrongly normalises it would answer 200: only exactly 400 INVALID_REQUEST holds.

Safety: a near miss of a phone number is the test number itself in another form, so a target that
wrongly normalises it still sends only inside the test range.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from otp_suite.contract.challenges import Challenge
from otp_suite.contract.client import OPERATION_PATHS, OtpClient
from otp_suite.contract.expectations import expect_challenge, expect_error
from otp_suite.contract.json_text import JsonLiteral, escaped_string
from otp_suite.testdata.phone_numbers import PhoneNumber

Start = Callable[..., Challenge]
MAX_BODY_BYTES = 16 * 1024
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

#: form -> maker(digits of the right value as a string) of a near miss the contract refuses.
CODE_NEAR_MISSES: dict[str, Callable[[str], object]] = {
    "arabic_indic_digits": lambda v: v.translate(ARABIC_INDIC),
    "fullwidth_digits": lambda v: v.translate(FULLWIDTH),
    "trailing_newline": lambda v: v + "\n",
    "trailing_space": lambda v: v + " ",
    "leading_space": lambda v: " " + v,
    "trailing_junk": lambda v: v + "x",
    "plus_sign": lambda v: "+" + v,
    "leading_zero_over_long": lambda v: "0" + v,
    "decimal_string": lambda v: v + ".0",
    "fraction_above": lambda v: int(v) + 0.5,
    "out_of_range_by_modulus": lambda v: int(v) + 10 ** len(v),
    "negative": lambda v: -int(v) if int(v) else -1,
    "boolean_true": lambda v: True,
    # The extremes of JSON (issue 22): numbers no double holds, integers that wrap onto the right
    # value in a fixed-width integer, the right value inside an array or an object.
    "beyond_any_float": lambda v: JsonLiteral(f"{int(v)}e400"),
    "beyond_any_float_negative": lambda v: JsonLiteral(f"-{int(v)}e400"),
    "plus_2_to_the_32": lambda v: int(v) + 2**32,
    "plus_2_to_the_64": lambda v: int(v) + 2**64,
    "minus_2_to_the_64": lambda v: int(v) - 2**64,
    "plus_10_to_the_400": lambda v: int(v) + 10**400,  # also the right value modulo 2**n for every n <= 400
    "five_thousand_digits": lambda v: JsonLiteral("9" * (5000 - len(v)) + v),
    "escaped_arabic_indic_digits": lambda v: escaped_string(v.translate(ARABIC_INDIC)),
    "one_element_array": lambda v: [v],
    "one_element_integer_array": lambda v: [int(v)],
    "object_holding_it": lambda v: {"value": v},
}


def _near_miss_verify(client: OtpClient, challenge: Challenge, field: str, form: str) -> object:
    right = {"authCode": challenge.auth_code, "otp": challenge.otp}
    right[field] = CODE_NEAR_MISSES[form](right[field])  # type: ignore[assignment]
    return client.call("verify", challenge.number.body(**right))


@pytest.mark.parametrize("form", list(CODE_NEAR_MISSES))
def test_auth_code_near_miss_refused_as_invalid_request(client: OtpClient, started: Start, number: PhoneNumber, form: str) -> None:
    challenge = started(number)

    response = _near_miss_verify(client, challenge, "authCode", form)

    expect_error(response, 400, "INVALID_REQUEST", f"authCode is a string of ^[0-9]{{4}}$ or an integer 0-9999: the right code as {form.replace('_', ' ')} is a 400")  # type: ignore[arg-type]


@pytest.mark.parametrize("form", list(CODE_NEAR_MISSES))
def test_otp_near_miss_refused_as_invalid_request(client: OtpClient, started: Start, number: PhoneNumber, form: str) -> None:
    challenge = started(number)

    response = _near_miss_verify(client, challenge, "otp", form)

    expect_error(response, 400, "INVALID_REQUEST", f"otp is a string of ^[0-9]{{6}}$ or an integer 0-999999: the right OTP as {form.replace('_', ' ')} is a 400")  # type: ignore[arg-type]


#: form -> maker(test number) of a phone_number the contract refuses (each normalises into the test range).
PHONE_NEAR_MISSES: dict[str, Callable[[PhoneNumber], object]] = {
    "arabic_indic_digits": lambda n: n.phone_number.translate(ARABIC_INDIC),
    "fullwidth_digits": lambda n: n.phone_number.translate(FULLWIDTH),
    "trailing_newline": lambda n: n.phone_number + "\n",
    "leading_space": lambda n: " " + n.phone_number,
    "fifteen_digits": lambda n: n.phone_number + "0",
}

#: form -> maker(test country code) of a countryCode the contract refuses (normalising to the test code).
COUNTRY_NEAR_MISSES: dict[str, Callable[[str], object]] = {
    "arabic_indic_digits": lambda c: c.translate(ARABIC_INDIC),
    "fullwidth_digits": lambda c: c.translate(FULLWIDTH),
    "trailing_newline": lambda c: c + "\n",
    "leading_space": lambda c: " " + c,
}


@pytest.mark.parametrize("form", list(PHONE_NEAR_MISSES))
def test_phone_number_near_miss_refused_as_invalid_request(client: OtpClient, number: PhoneNumber, form: str) -> None:
    body = {**number.body(), "phone_number": PHONE_NEAR_MISSES[form](number)}

    response = client.call("register", body)

    expect_error(response, 400, "INVALID_REQUEST", f"phone_number matches ^[0-9]{{6,14}}$ (ASCII digits, whole string): {form.replace('_', ' ')} is a 400")


@pytest.mark.parametrize("form", list(COUNTRY_NEAR_MISSES))
def test_country_code_near_miss_refused_as_invalid_request(client: OtpClient, number: PhoneNumber, form: str) -> None:
    body = {**number.body(), "countryCode": COUNTRY_NEAR_MISSES[form](number.country_code)}

    response = client.call("register", body)

    expect_error(response, 400, "INVALID_REQUEST", f"countryCode matches ^\\+[1-9][0-9]{{0,2}}$: {form.replace('_', ' ')} is a 400")


def test_unknown_extra_fields_ignored(client: OtpClient, number: PhoneNumber) -> None:
    response = client.call("register", number.body(referrer="campaign-7", debug=True))

    expect_challenge(response, "unknown extra fields are ignored")


def test_body_of_exactly_16_kib_not_too_large(client: OtpClient, number: PhoneNumber) -> None:
    base = json.dumps({**number.body(authCode="4321", otp="654321"), "padding": ""})
    content = json.dumps({**number.body(authCode="4321", otp="654321"), "padding": "x" * (MAX_BODY_BYTES - len(base))}).encode()
    assert len(content) == MAX_BODY_BYTES, f"the test built a body of {len(content)} bytes, not {MAX_BODY_BYTES}"

    response = client.send("POST", OPERATION_PATHS["verify"], content=content)

    expect_error(response, 401, "INVALID_OTP", "only a body *over* 16 KiB is too large: exactly 16 384 bytes is judged on its fields")


@pytest.mark.parametrize("operation", ["register", "verify"])
def test_content_type_checked_before_the_body(client: OtpClient, operation: str) -> None:
    response = client.send("POST", OPERATION_PATHS[operation], content=b"{not json", content_type="text/plain")

    expect_error(response, 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type (step 3) comes before the body (step 4): a wrong Content-Type with a broken body is 415")


@pytest.mark.parametrize("operation", ["register", "resend", "verify"])
def test_path_with_trailing_slash_not_found(client: OtpClient, number: PhoneNumber, operation: str) -> None:
    response = client.send("POST", OPERATION_PATHS[operation] + "/", json=number.body())

    assert response.status_code == 404, f"{OPERATION_PATHS[operation]}/ is not one of the contract's paths: unknown paths are 404, got {response.status_code}"
