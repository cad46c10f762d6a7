"""Request bodies for the security tests: valid ones per operation, and the malformed variants the
contract refuses with 400. Every number in them is a test-range number, so even a target that
wrongly accepts a malformed body sends its SMS inside the range."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from otp_suite.contract.skip_causes import SkipCause, skip
from otp_suite.testdata.phone_numbers import PhoneNumber

OPERATIONS = ("register", "resend", "verify")
#: An authCode and OTP of the right form; no challenge matches them, so a verify carrying them is a 401.
SOME_AUTH_CODE, SOME_OTP = "4321", "654321"


def valid_body(operation: str, number: PhoneNumber) -> dict[str, Any]:
    """A body the contract accepts for ``operation``."""
    if operation == "verify":
        return number.body(authCode=SOME_AUTH_CODE, otp=SOME_OTP)
    return number.body()


def _replace(field: str, value: Any) -> Callable[[dict[str, Any], PhoneNumber], Any]:
    return lambda body, number: {**body, field: value}


def _without(field: str) -> Callable[[dict[str, Any], PhoneNumber], Any]:
    return lambda body, number: {k: v for k, v in body.items() if k != field}


def _numeric_phone(body: dict[str, Any], number: PhoneNumber) -> Any:
    if number.phone_number.startswith("0"):
        skip(SkipCause.SETUP, "the test prefix starts with 0, so the number as a JSON number would leave the test range")
    return {**body, "phone_number": int(number.phone_number)}


#: kind -> maker(valid body, number) of a JSON document the contract refuses with 400 (all operations).
MALFORMED_FOR_EVERY_OPERATION: dict[str, Callable[[dict[str, Any], PhoneNumber], Any]] = {
    "top_level_array": lambda body, number: [body],
    "top_level_null": lambda body, number: None,
    "top_level_string": lambda body, number: "phone_number",
    "top_level_number": lambda body, number: 42,
    "empty_object": lambda body, number: {},
    "missing_phone_number": _without("phone_number"),
    "missing_country_code": _without("countryCode"),
    "phone_number_as_number": _numeric_phone,
    "phone_number_as_boolean": _replace("phone_number", True),
    "phone_number_as_array": lambda body, number: {**body, "phone_number": [number.phone_number]},
    "phone_number_as_object": lambda body, number: {**body, "phone_number": {"value": number.phone_number}},
    "phone_number_null": _replace("phone_number", None),
    "phone_number_too_short": lambda body, number: {**body, "phone_number": number.phone_number[:5]},
    "phone_number_with_letters": lambda body, number: {**body, "phone_number": number.phone_number[:-1] + "x"},
    "country_code_without_plus": lambda body, number: {**body, "countryCode": number.country_code.lstrip("+")},
    "country_code_leading_zero": lambda body, number: {**body, "countryCode": "+0" + number.country_code.lstrip("+")},
    "country_code_as_number": lambda body, number: {**body, "countryCode": int(number.country_code.lstrip("+"))},
}

#: kind -> maker of a verify body with a malformed authCode or otp (400).
MALFORMED_FOR_VERIFY: dict[str, Callable[[dict[str, Any], PhoneNumber], Any]] = {
    "missing_auth_code": _without("authCode"),
    "missing_otp": _without("otp"),
    "auth_code_boolean": _replace("authCode", True),
    "auth_code_null": _replace("authCode", None),
    "auth_code_array": _replace("authCode", [4321]),
    "auth_code_negative": _replace("authCode", -1),
    "auth_code_fractional": _replace("authCode", 4321.5),
    "auth_code_out_of_range": _replace("authCode", 10000),
    "auth_code_three_digits": _replace("authCode", "432"),
    "otp_boolean": _replace("otp", False),
    "otp_null": _replace("otp", None),
    "otp_array": _replace("otp", [654321]),
    "otp_object": _replace("otp", {"otp": "654321"}),
    "otp_negative": _replace("otp", -654321),
    "otp_fractional": _replace("otp", 654321.5),
    "otp_out_of_range": _replace("otp", 1_000_000),
    "otp_five_digits": _replace("otp", "65432"),
    "otp_with_letters": _replace("otp", "65432a"),
    "otp_minus_one": _replace("otp", -1),
    "auth_code_object": _replace("authCode", {"authCode": "4321"}),
    "otp_nested_array": _replace("otp", [["654321"]]),
    "auth_code_of_5000_digits": _replace("authCode", "4321" * 1250),
    "otp_of_4800_digits": _replace("otp", "654321" * 800),
    "phone_number_of_5000_digits": _replace("phone_number", "5" * 5000),  # on verify only: it sends nothing
}
