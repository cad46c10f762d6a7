"""Keeping generated requests inside the test number range.

Schemathesis generates bodies for register and resend, and a target that accepts one sends an
SMS. Every number in such a body that a target could read as a phone number is swapped for a fresh
one from the test range, without changing whether the body is valid: a valid field stays valid
(with the test range's value), an invalid one stays invalid (only a phone-number-like part inside
it is swapped, so even a lenient target that strips or coerces it lands in the range).
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from otp_suite.api import COUNTRY_CODE, PHONE_NUMBER
from otp_suite.testdata.phone_numbers import PhoneNumber


class NumberSupply(Protocol):
    """Where fresh test numbers come from: otp_suite.testdata.phone_numbers.NumberAllocator or PhoneNumberSource."""

    def next(self) -> PhoneNumber:
        """A fresh number of the default range."""
        ...

    def contains(self, country_code: str, phone_number: str) -> bool:
        """True when the number lies in a configured range."""
        ...


_PHONE_RUN = re.compile(r"(?<![0-9])[0-9]{6,14}(?![0-9])")
_BARE_COUNTRY_DIGITS = re.compile(r"[1-9][0-9]{0,2}")


def map_into_test_range(body: Any, source: NumberSupply, *, scratch: PhoneNumber | None = None) -> Any:
    """``body`` with its ``phone_number`` and ``countryCode`` moved into ``source``'s range (in place for dicts).

    ``scratch``: the number for bodies that name no valid number (a correct target refuses them
    and sends nothing), so only a body that can send takes a fresh number from ``source``.
    """
    if not isinstance(body, dict):
        return body
    number = source.next() if scratch is None or _names_a_valid_number(body) else scratch
    if "phone_number" in body:
        body["phone_number"] = _mapped_phone(body["phone_number"], number.phone_number)
    if "countryCode" in body:
        body["countryCode"] = _mapped_country(body["countryCode"], number.country_code)
    return body


def _names_a_valid_number(body: dict[str, Any]) -> bool:
    phone, country = body.get("phone_number"), body.get("countryCode")
    return isinstance(phone, str) and PHONE_NUMBER.fullmatch(phone) is not None and isinstance(country, str) and COUNTRY_CODE.fullmatch(country) is not None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _mapped_phone(value: Any, in_range: str) -> Any:
    if isinstance(value, str):
        # Valid: replaced whole. Invalid: only maximal 6-14 digit runs, so the rest keeps it invalid.
        return _PHONE_RUN.sub(in_range, value)
    if _is_number(value) and float(value).is_integer() and PHONE_NUMBER.fullmatch(str(int(value))) and not in_range.startswith("0"):
        # A JSON number is a 400, but a lenient target could coerce it: keep the type, move the value.
        return type(value)(int(in_range))
    return value


def _mapped_country(value: Any, test_country_code: str) -> Any:
    digits = test_country_code.lstrip("+")
    if isinstance(value, str):
        if COUNTRY_CODE.fullmatch(value):
            return test_country_code
        if _BARE_COUNTRY_DIGITS.fullmatch(value):
            return digits  # still invalid (no "+"), but a target that adds the "+" lands in the range
        return value
    if _is_number(value) and float(value).is_integer() and _BARE_COUNTRY_DIGITS.fullmatch(str(int(value))):
        return type(value)(int(digits))
    return value


def is_in_test_range(body: Any, source: NumberSupply) -> bool:
    """True unless ``body`` names a valid number outside the range (used to assert the mapping held)."""
    if not isinstance(body, dict):
        return True
    phone, country = body.get("phone_number"), body.get("countryCode")
    if isinstance(phone, str) and PHONE_NUMBER.fullmatch(phone) and isinstance(country, str) and COUNTRY_CODE.fullmatch(country):
        return source.contains(country, phone)
    return True
