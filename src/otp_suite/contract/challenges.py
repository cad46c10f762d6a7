"""Arranging a pending challenge on the target: register (or resend), then read its OTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from otp_suite.contract.client import OWN_TOKEN, InboxUnavailable, OtpClient, OtpInbox
from otp_suite.contract.expectations import expect_challenge
from otp_suite.testdata.codes import wrong_auth_code, wrong_otp
from otp_suite.testdata.phone_numbers import PhoneNumber


@dataclass(frozen=True)
class Challenge:
    """A challenge the target started: the number, its authCode, its current OTP and isNewUser."""

    number: PhoneNumber
    auth_code: str
    otp: str
    is_new_user: bool

    def wrong_otp(self, offset: int = 1) -> str:
        """An OTP that is not this challenge's (6 digits, ``offset`` away)."""
        return wrong_otp(self.otp, offset)

    def wrong_auth_code(self) -> str:
        """An authCode that is not this challenge's."""
        return wrong_auth_code(self.auth_code)


def start_challenge(
    client: OtpClient,
    inbox: OtpInbox,
    number: PhoneNumber,
    *,
    operation: str = "register",
    token: Any = OWN_TOKEN,
    otp_missing: Callable[[InboxUnavailable], str] | None = None,
) -> Challenge:
    """Send ``operation`` (register or resend) for ``number``; fail unless it starts a challenge.

    ``otp_missing(error)``: called when the inbox gives no OTP after the 200; returns the OTP after
    all, or raises (by default the inbox's error is raised).
    """
    response = client.call(operation, number.body(), token=token)
    body = expect_challenge(response, f"{operation} of a fresh test number with a valid token starts a challenge")
    try:
        otp = inbox.latest(number)
    except InboxUnavailable as error:
        if otp_missing is None:
            raise
        otp = otp_missing(error)
    return Challenge(number=number, auth_code=body["authCode"], otp=otp, is_new_user=body["isNewUser"])
