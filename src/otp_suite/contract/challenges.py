"""Arranging a pending challenge on the target: register (or resend), then read its OTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fixtures.phone_numbers import PhoneNumber
from otp_suite.contract.client import OWN_TOKEN, OtpClient, OtpInbox
from otp_suite.contract.expectations import expect_challenge


@dataclass(frozen=True)
class Challenge:
    """A challenge the target started: the number, its authCode, its current OTP and isNewUser."""

    number: PhoneNumber
    auth_code: str
    otp: str
    is_new_user: bool

    def wrong_otp(self, offset: int = 1) -> str:
        """An OTP that is not this challenge's (6 digits, ``offset`` away)."""
        return f"{(int(self.otp) + offset) % 1_000_000:06d}"

    def wrong_auth_code(self) -> str:
        """An authCode that is not this challenge's."""
        return f"{(int(self.auth_code) + 1) % 10_000:04d}"


def start_challenge(client: OtpClient, inbox: OtpInbox, number: PhoneNumber, *, operation: str = "register", token: Any = OWN_TOKEN) -> Challenge:
    """Send ``operation`` (register or resend) for ``number``; fail unless it starts a challenge."""
    response = client.call(operation, number.body(), token=token)
    body = expect_challenge(response, f"{operation} of a fresh test number with a valid token starts a challenge")
    return Challenge(number=number, auth_code=body["authCode"], otp=inbox.latest(number), is_new_user=body["isNewUser"])
