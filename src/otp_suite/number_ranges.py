"""Ranges of test phone numbers: what ``OTP_TEST_RANGES`` (or the two older variables) describe.

A range is ``countryCode:prefix`` (numbers of the contract's longest form, 14 digits, starting
with the prefix) or ``countryCode:prefix:length`` (numbers of ``length`` digits), e.g.
``+91:9999900:10`` is the thousand numbers +91 9999900000 to 9999900999. Several ranges are a
comma-separated list; the first is the default range of every check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from otp_suite.api import COUNTRY_CODE
from otp_suite.setting import ConfigError

#: The contract's longest phone_number, and the length a range without one uses (most room after the prefix).
LONGEST_NUMBER = 14
SHORTEST_NUMBER = 6
_RANGE = re.compile(r"(?P<country>[^:]*):(?P<prefix>[0-9]*)(?::(?P<length>[0-9]+))?")


@dataclass(frozen=True)
class NumberRange:
    """The test numbers ``country_code`` + ``prefix`` followed by free digits, ``length`` digits in all."""

    country_code: str
    prefix: str
    length: int = LONGEST_NUMBER

    @property
    def free_digits(self) -> int:
        """Digits after the prefix, chosen by the suite."""
        return self.length - len(self.prefix)

    @property
    def size(self) -> int:
        """How many numbers the range holds."""
        return int(10**self.free_digits)  # int ** int is typed Any (a negative power is a float)

    def number_at(self, index: int) -> str:
        """The ``index``-th phone_number of the range (0 <= index < size)."""
        return f"{self.prefix}{index:0{self.free_digits}d}" if self.free_digits else self.prefix

    def contains(self, country_code: str, phone_number: str) -> bool:
        """True when ``country_code`` + ``phone_number`` is one of the range's numbers."""
        return country_code == self.country_code and len(phone_number) == self.length and phone_number.startswith(self.prefix) and phone_number.isdigit()

    def __str__(self) -> str:
        return f"{self.country_code}:{self.prefix}" + (f":{self.length}" if self.length != LONGEST_NUMBER else "")


def number_range(name: str, country_code: str, prefix: str, length: int = LONGEST_NUMBER) -> NumberRange:
    """A checked :class:`NumberRange`; ``name`` (the setting) is named in the ConfigError."""
    if not COUNTRY_CODE.fullmatch(country_code):
        raise ConfigError(f"{name}: country code {country_code!r} is not like +91")
    if not SHORTEST_NUMBER <= length <= LONGEST_NUMBER:
        raise ConfigError(f"{name}: number length {length} is outside {SHORTEST_NUMBER}..{LONGEST_NUMBER} digits (the contract's phone_number)")
    if not prefix.isdigit() or len(prefix) > length - 1:
        raise ConfigError(f"{name}: prefix {prefix!r} must be 1 to {length - 1} digits, leaving at least one free digit in a {length}-digit number")
    return NumberRange(country_code, prefix, length)


def parse_ranges(name: str, value: object) -> tuple[NumberRange, ...]:
    """``+91:99999,+44:77009:11`` -> the ranges, in order; a setting parser (raises ConfigError)."""
    text = str(value).strip()
    ranges: list[NumberRange] = []
    for part in (item.strip() for item in text.split(",")):
        match = _RANGE.fullmatch(part)
        if match is None:
            raise ConfigError(f"{name}={value!r}: {part!r} is not countryCode:prefix[:length], e.g. {name}=+91:99999,+44:77009")
        length = int(match["length"]) if match["length"] else LONGEST_NUMBER
        ranges.append(number_range(name, match["country"], match["prefix"], length))
    if len({(r.country_code, r.prefix, r.length) for r in ranges}) != len(ranges):
        raise ConfigError(f"{name}={value!r} names a range twice; give each range once")
    return tuple(ranges)
