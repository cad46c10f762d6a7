"""Codes that are certainly wrong: an OTP or an authCode of the right form that a challenge did not issue."""

from __future__ import annotations

_OTP_VALUES = 1_000_000
_AUTH_CODE_VALUES = 10_000


def wrong_otp(otp: str, offset: int = 1) -> str:
    """A 6-digit OTP ``offset`` away from ``otp`` (modulo 10**6), so never ``otp`` for 0 < offset < 10**6."""
    return f"{(int(otp) + offset) % _OTP_VALUES:06d}"


def wrong_auth_code(auth_code: str) -> str:
    """A 4-digit authCode different from ``auth_code``."""
    return f"{(int(auth_code) + 1) % _AUTH_CODE_VALUES:04d}"
