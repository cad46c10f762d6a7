"""Parsing and validation of request bodies (contract, 'Fields').

Each parser returns a typed request or raises ``400 INVALID_REQUEST``. Unknown extra fields are
ignored. "Integer" follows JSON Schema: ``5496.0`` counts, booleans do not.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from otp_suite.api import COUNTRY_CODE, OTP, PHONE_NUMBER
from otp_suite.service.errors import invalid_request
from otp_suite.service.faults import Faults

AUTH_CODE = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class NumberRequest:
    """The body of register and resend."""

    country_code: str
    phone_number: str

    @property
    def number(self) -> tuple[str, str]:
        return (self.country_code, self.phone_number)


@dataclass(frozen=True)
class VerifyRequest(NumberRequest):
    """The body of verify; ``auth_code`` and ``otp`` as integers, compared by value."""

    auth_code: int
    otp: int


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def parse_json_object(raw: bytes) -> dict[str, object]:
    """The body as a JSON object, or 400."""
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise invalid_request("the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise invalid_request("the body must be a JSON object")
    return document


def _string_field(body: dict[str, object], name: str, pattern: re.Pattern[str], faults: Faults) -> str:
    value = body.get(name)
    if "lenient_types" in faults and isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise invalid_request(f"{name} is missing or not in the form {pattern.pattern}")
    return value


def _code_field(body: dict[str, object], name: str, pattern: re.Pattern[str], maximum: int, faults: Faults) -> int:
    value = body.get(name)
    if isinstance(value, str) and pattern.fullmatch(value):
        return int(value)
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if "lenient_types" in faults and isinstance(value, (bool, float)):
        return int(value)
    if numeric and "strict_types" not in faults:
        if isinstance(value, float) and not value.is_integer():
            raise invalid_request(f"{name} must be a whole number")
        if 0 <= value <= maximum:
            return int(value)
    raise invalid_request(f"{name} must be a string of {pattern.pattern} or an integer 0-{maximum}")


def parse_number_request(raw: bytes, faults: Faults = Faults()) -> NumberRequest:
    """The register/resend body, or 400."""
    body = parse_json_object(raw)
    return NumberRequest(
        country_code=_string_field(body, "countryCode", COUNTRY_CODE, faults),
        phone_number=_string_field(body, "phone_number", PHONE_NUMBER, faults),
    )


def parse_verify_request(raw: bytes, faults: Faults = Faults()) -> VerifyRequest:
    """The verify body, or 400."""
    body = parse_json_object(raw)
    return VerifyRequest(
        country_code=_string_field(body, "countryCode", COUNTRY_CODE, faults),
        phone_number=_string_field(body, "phone_number", PHONE_NUMBER, faults),
        auth_code=_code_field(body, "authCode", AUTH_CODE, 9999, faults),
        otp=_code_field(body, "otp", OTP, 999_999, faults),
    )
