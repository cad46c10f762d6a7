"""The OTP side of the target: a client with the session user's token, the inbox, fresh test
numbers, and a factory for started challenges."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from fixtures.phone_numbers import PhoneNumber, PhoneNumberSource
from otp_suite.config import SuiteConfig
from otp_suite.exit_codes import ExitCode
from otp_suite.contract.challenges import Challenge, start_challenge
from otp_suite.contract.client import OWN_TOKEN, InboxUnavailable, OtpClient, OtpInbox
from otp_suite.contract.skip_causes import SkipCause, skip
from otp_suite.tls import target_tls

FIXED_CODE_REASON = "OTP_FIXED_CODE makes every OTP the same, so an old OTP cannot be told from a new one; needs a test inbox"


@pytest.fixture(scope="session")
def phone_numbers(suite_config: SuiteConfig, worker_lane: int) -> PhoneNumberSource:
    """Fresh numbers in the configured test range; each test takes its own, so limits never carry over."""
    return PhoneNumberSource(suite_config.test_country_code, suite_config.test_phone_prefix, lane=worker_lane)


@pytest.fixture
def number(phone_numbers: PhoneNumberSource) -> PhoneNumber:
    """A test number no other test uses."""
    return phone_numbers.next()


@pytest.fixture
def other_number(phone_numbers: PhoneNumberSource) -> PhoneNumber:
    """A second test number no other test uses."""
    return phone_numbers.next()


@pytest.fixture(scope="session")
def client(suite_config: SuiteConfig, base_url: str, user_token: str) -> Iterator[OtpClient]:
    """Requests to the target as the session user."""
    otp_client = OtpClient(base_url, user_token, timeout_s=suite_config.request_timeout_s, tls=target_tls(suite_config))
    yield otp_client
    otp_client.close()


@pytest.fixture(scope="session")
def inbox(suite_config: SuiteConfig) -> Iterator[OtpInbox]:
    """Where OTPs are read: OTP_INBOX_URL (default <base>/__test__/otp) or OTP_FIXED_CODE."""
    with httpx.Client(timeout=suite_config.request_timeout_s, verify=target_tls(suite_config)) as http:
        yield OtpInbox(suite_config.resolved_inbox_url(), suite_config.fixed_code, http)


@pytest.fixture
def distinct_codes(inbox: OtpInbox) -> None:
    """Skip the test when every OTP is the same fixed code."""
    if not inbox.tells_codes_apart:
        skip(SkipCause.SETUP, FIXED_CODE_REASON)


@pytest.fixture
def started(client: OtpClient, inbox: OtpInbox, phone_numbers: PhoneNumberSource) -> Callable[..., Challenge]:
    """``started(number, operation="register", token=...)``: a challenge the target started, with its OTP.

    When the target answers 200 but the inbox has nothing for the number, one control register of
    a fresh number tells the causes apart: if the inbox has that one's OTP, it works, and the
    number's OTP is read once more (an inbox that lags has it by now); still none means the target
    claimed a send it never made (a failure). If the control's OTP is missing too, the setup cannot
    read OTPs (exit 2, cannot judge).
    """

    def start(number: PhoneNumber, *, operation: str = "register", token: Any = OWN_TOKEN) -> Challenge:
        def otp_missing(error: InboxUnavailable) -> str:
            if error.status == 404 and _inbox_delivers(client, inbox, phone_numbers.next()):
                try:
                    return inbox.latest(number)
                except InboxUnavailable:
                    raise AssertionError(
                        f"{operation} of {number} answered 200, so an OTP was sent, but the test inbox has none for it (404, read twice),"
                        " while it has the OTP of a fresh number registered in between: the target did not send what it said it sent"
                    ) from None
            # Without the OTP no lifecycle rule can be judged; that is the setup's fault, not the target's.
            pytest.exit(f"cannot judge: {error}", returncode=ExitCode.CANNOT_JUDGE)

        try:
            return start_challenge(client, inbox, number, operation=operation, token=token, otp_missing=otp_missing)
        except InboxUnavailable as error:
            pytest.exit(f"cannot judge: {error}", returncode=ExitCode.CANNOT_JUDGE)

    return start


def _inbox_delivers(client: OtpClient, inbox: OtpInbox, control: PhoneNumber) -> bool:
    """True when a register of ``control`` is answered 200 and the inbox then has its OTP."""
    if client.register(control).status_code != 200:
        return False
    try:
        inbox.latest(control)
    except InboxUnavailable:
        return False
    return True
