"""Parsing and validation of request bodies (contract, 'Fields').

Each parser returns a typed request or raises ``400 INVALID_REQUEST``. Unknown extra fields are
ignored. "Integer" follows JSON Schema: ``5496.0`` counts, booleans do not.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from otp_suite.api import AUTH_CODE, COUNTRY_CODE, OTP, PHONE_NUMBER
from otp_suite.service.errors import ApiError, invalid_request
from otp_suite.service.faults import Faults

#: Near-miss patterns the faults use instead of the contract's (each accepts one form it must refuse).
_FAULTY_PATTERNS: dict[str, dict[str, re.Pattern[str]]] = {
    "unicode_digits": {"phone_number": re.compile(r"\d{6,14}"), "countryCode": re.compile(r"\+[1-9]\d{0,2}"), "authCode": re.compile(r"\d{4}"), "otp": re.compile(r"\d{6}")},
    "phone_number_15_digits": {"phone_number": re.compile(r"[0-9]{6,15}")},
    "country_code_leading_zero": {"countryCode": re.compile(r"\+0?[1-9][0-9]{0,2}")},
}


def _matches(name: str, value: str, pattern: re.Pattern[str], faults: Faults) -> bool:
    """Whether ``value`` has the form of field ``name`` (the contract's pattern, or a fault's near miss)."""
    for fault, patterns in _FAULTY_PATTERNS.items():
        if fault in faults and name in patterns:
            pattern = patterns[name]
    if "trailing_newline" in faults:
        # The classic slip: re.match with ^...$ lets one trailing newline through.
        return re.match(f"^{pattern.pattern}$", value) is not None
    return pattern.fullmatch(value) is not None


def _wrong_type(name: str, reason: str, faults: Faults) -> ApiError:
    if "unprocessable_entity" in faults:
        return ApiError(422, "INVALID_REQUEST", reason)
    return invalid_request(reason)


@dataclass(frozen=True)
class NumberRequest:
    """The body of register and resend."""

    country_code: str
    phone_number: str
    #: Only read under the user_from_body fault: the contract takes the user from the token alone.
    body_user_id: str | None = None

    @property
    def number(self) -> tuple[str, str]:
        return (self.country_code, self.phone_number)


@dataclass(frozen=True, kw_only=True)
class VerifyRequest(NumberRequest):
    """The body of verify; ``auth_code`` and ``otp`` as integers, compared by value."""

    auth_code: int
    otp: int


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


class _ExponentFloat(float):
    """A number written with an exponent (``5.496e3``): only the exponent_int_refused fault tells it apart."""


class _NegativeZeroInt(int):
    """``-0`` as written: only the negative_zero_refused fault tells it apart from ``0``."""


def _number_hooks(faults: Faults) -> dict[str, object]:
    """json.loads hooks for the faults that judge a number by how it is written, not by its value."""
    hooks: dict[str, object] = {}
    if "exponent_int_refused" in faults:
        hooks["parse_float"] = lambda text: _ExponentFloat(text) if "e" in text.lower() else float(text)
    if "negative_zero_refused" in faults:
        hooks["parse_int"] = lambda text: _NegativeZeroInt(0) if text == "-0" else int(text)
    return hooks


def parse_json_object(raw: bytes, faults: Faults = Faults()) -> dict[str, object]:
    """The body as a JSON object, or 400."""
    if "escaped_strings_refused" in faults and b"\\u" in raw:
        raise invalid_request("the body holds escaped characters")
    constants = {} if "non_json_constants" in faults else {"parse_constant": _reject_constant}
    try:
        document = json.loads(raw.decode("utf-8"), **constants, **_number_hooks(faults))  # type: ignore[arg-type]
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise invalid_request("the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise invalid_request("the body must be a JSON object")
    if "huge_number_500" in faults:
        # The slip of a service that takes every number as a double, then as an integer: 1e400 is
        # inf (int(inf) raises), a 400-digit integer overflows the double; either escapes as a 500.
        for value in document.values():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                int(float(value))
    if "extra_fields_refused" in faults and set(document) - KNOWN_FIELDS:
        raise invalid_request(f"unknown fields: {sorted(set(document) - KNOWN_FIELDS)}")
    return document


KNOWN_FIELDS = {"phone_number", "countryCode", "authCode", "otp"}


def _field(body: dict[str, object], name: str, faults: Faults) -> object:
    value = body.get(name)
    if "array_unwrapped" in faults and isinstance(value, list) and len(value) == 1:
        return value[0]  # the "unwrap single-value arrays" setting of some JSON binders
    return value


def _string_field(body: dict[str, object], name: str, pattern: re.Pattern[str], faults: Faults) -> str:
    value = _field(body, name, faults)
    if ("lenient_types" in faults or ("numeric_phone_number" in faults and name == "phone_number")) and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(int(value))
    if value is not None and not isinstance(value, str):
        raise _wrong_type(name, f"{name} must be a string of the form {pattern.pattern}", faults)
    if not isinstance(value, str) or not _matches(name, value, pattern, faults):
        raise invalid_request(f"{name} is missing or not in the form {pattern.pattern}")
    return value


def _code_field(body: dict[str, object], name: str, pattern: re.Pattern[str], maximum: int, faults: Faults) -> int:
    value = _field(body, name, faults)
    if "big_int_wraps" in faults and isinstance(value, int) and not isinstance(value, bool):
        value %= 2**64  # an int64 column or a C long: the right code plus 2**64 wraps onto it
    if ("exponent_int_refused" in faults and isinstance(value, _ExponentFloat)) or ("negative_zero_refused" in faults and _is_negative_zero(value)):
        raise invalid_request(f"{name} must be written as plain digits")
    if value is None and name == "otp" and "missing_otp_is_zero" in faults:
        return 0
    if isinstance(value, str) and _matches(name, value, pattern, faults):
        return int(value.strip())
    if ("lenient_types" in faults and isinstance(value, (bool, float))) or ("bool_as_integer" in faults and isinstance(value, bool)):
        return int(value)
    if "code_range_inclusive" in faults:
        maximum += 1
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "strict_types" not in faults and not ("integral_float_refused" in faults and isinstance(value, float)):
        if isinstance(value, float) and not value.is_integer():
            raise invalid_request(f"{name} must be a whole number")
        if 0 <= value <= maximum:
            if "compare_as_strings" in faults and len(str(int(value))) < len(str(maximum)):
                return -1  # "42" is not "0042": the slip of comparing str(value) with the stored code
            return int(value)
    if value is not None and not isinstance(value, str):
        raise _wrong_type(name, f"{name} must be a string of {pattern.pattern} or an integer 0-{maximum}", faults)
    raise invalid_request(f"{name} must be a string of {pattern.pattern} or an integer 0-{maximum}")


def _is_negative_zero(value: object) -> bool:
    return isinstance(value, _NegativeZeroInt) or (isinstance(value, float) and value == 0 and math.copysign(1.0, value) < 0)


def parse_number_request(raw: bytes, faults: Faults = Faults()) -> NumberRequest:
    """The register/resend body, or 400."""
    body = parse_json_object(raw, faults)
    return NumberRequest(
        country_code=_string_field(body, "countryCode", COUNTRY_CODE, faults),
        phone_number=_string_field(body, "phone_number", PHONE_NUMBER, faults),
        body_user_id=_body_user(body),
    )


def _body_user(body: dict[str, object]) -> str | None:
    value = body.get("user_id")
    return value if isinstance(value, str) and value else None


def parse_verify_request(raw: bytes, faults: Faults = Faults()) -> VerifyRequest:
    """The verify body, or 400."""
    body = parse_json_object(raw, faults)
    return VerifyRequest(
        country_code=_string_field(body, "countryCode", COUNTRY_CODE, faults),
        phone_number=_string_field(body, "phone_number", PHONE_NUMBER, faults),
        body_user_id=_body_user(body),
        auth_code=_code_field(body, "authCode", AUTH_CODE, 9999, faults),
        otp=_code_field(body, "otp", OTP, 999_999, faults),
    )
