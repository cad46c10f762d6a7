"""The OTP side of the target: a client with the session user's token, the inbox, fresh test
numbers, and a factory for started challenges.

Numbers, all from the run's :class:`otp_suite.testdata.phone_numbers.NumberAllocator` (``phone_numbers``):
``number`` / ``other_number`` (fresh, first range), ``new_number`` (fresh and never verified by any
run: isNewUser), ``number_in_second_range`` (fresh, second range; the check is skipped with the
reason when one range is configured), ``second_range`` (that index, same skip). For a pool, ask the
allocator: ``phone_numbers.fresh_many(k)``, ``phone_numbers.fresh(i)`` (range ``i``),
``phone_numbers.fresh_in_both(0, 1)`` (one phone_number under both country codes, or None).
Requests through ``client`` or the ``schemathesis_session`` report what they sent and verified; a
number sent to another way must be reported with ``phone_numbers.mark_sent(countryCode, number)``,
or it is handed back free at the session's end while its target still limits it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import requests

from otp_suite.config import SuiteConfig
from otp_suite.contract.challenges import Challenge, start_challenge
from otp_suite.contract.client import OWN_TOKEN, InboxUnavailable, OtpClient, OtpInbox, may_have_sent, numbers_named, verified
from otp_suite.contract.skip_causes import SkipCause, skip
from otp_suite.exit_codes import ExitCode
from otp_suite.testdata.phone_numbers import NumberAllocator, PhoneNumber, RangeExhausted
from otp_suite.tls import target_tls

FIXED_CODE_REASON = "OTP_FIXED_CODE makes every OTP the same, so an old OTP cannot be told from a new one; needs a test inbox"
SECOND_RANGE_REASON = "needs a second range of test numbers (another country code): OTP_TEST_RANGES names one ({ranges}); set e.g. OTP_TEST_RANGES=+91:99999,+44:99999 to judge the countryCode rules"


@pytest.fixture(scope="session")
def phone_numbers(suite_config: SuiteConfig) -> Iterator[NumberAllocator]:
    """The run's number allocator (otp_suite.testdata.phone_numbers.NumberAllocator): fresh numbers from the
    configured ranges, claimed in the ledger every worker of the run and later runs share; released
    at the session's end."""
    allocator = NumberAllocator.for_config(suite_config)
    yield allocator
    allocator.release()


@pytest.fixture
def number(phone_numbers: NumberAllocator) -> Iterator[PhoneNumber]:
    """A number of the first range no other check (of this run or, within a send window, an earlier
    one) uses; handed back free after the test when nothing was sent to it."""
    fresh = phone_numbers.fresh()
    yield fresh
    phone_numbers.hand_back(fresh)


@pytest.fixture
def other_number(phone_numbers: NumberAllocator) -> Iterator[PhoneNumber]:
    """A second fresh number of the first range (handed back like :func:`number`)."""
    fresh = phone_numbers.fresh()
    yield fresh
    phone_numbers.hand_back(fresh)


@pytest.fixture
def new_number(phone_numbers: NumberAllocator) -> Iterator[PhoneNumber]:
    """A fresh number of the first range that no run of the ledger ever verified (isNewUser is true
    for it); not judged, with the reason, when every free number of the range was verified by one."""
    fresh = phone_numbers.fresh_never_verified()
    if fresh is None:
        skip(
            SkipCause.SETUP,
            f"every free number of the test range {phone_numbers.ranges[0]} was verified by an earlier run (ledger {phone_numbers.ledger.path}) and stays linked; isNewUser=true needs one no user verified: configure a range with numbers no run has verified (OTP_TEST_RANGES)",
        )
    yield fresh
    phone_numbers.hand_back(fresh)


@pytest.fixture
def second_range(phone_numbers: NumberAllocator) -> int:
    """Index of the second configured range; skips the check (not judged, with the reason) when only one is configured."""
    if len(phone_numbers.ranges) < 2:
        skip(SkipCause.SETUP, SECOND_RANGE_REASON.format(ranges=", ".join(map(str, phone_numbers.ranges))))
    return 1


@pytest.fixture
def number_in_second_range(phone_numbers: NumberAllocator, second_range: int) -> Iterator[PhoneNumber]:
    """A fresh number of the second range (another country code); skips when only one range is configured."""
    fresh = phone_numbers.fresh(second_range)
    yield fresh
    phone_numbers.hand_back(fresh)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A range used up under the send limits stops the run as "cannot judge" (exit 2), with the time to wait.

    Nothing about the target is known then: its numbers are simply all sent to recently (by this
    or an earlier run), so no check may fail for it.
    """
    yield
    exhausted = _range_exhausted(call.excinfo.value if call.excinfo else None)
    if exhausted is not None:
        pytest.exit(f"cannot judge: {exhausted}", returncode=ExitCode.CANNOT_JUDGE)


def _range_exhausted(error: BaseException | None) -> RangeExhausted | None:
    """The RangeExhausted behind ``error`` (raised as is, chained, or in a group from Hypothesis)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, RangeExhausted):
            return error
        if isinstance(error, BaseExceptionGroup):
            found = next((e for e in map(_range_exhausted, error.exceptions) if e is not None), None)
            if found is not None:
                return found
        error = error.__cause__ or error.__context__
    return None


@pytest.fixture(scope="session", autouse=True)
def _schemathesis_calls_reported(schemathesis_session: requests.Session, phone_numbers: NumberAllocator) -> None:
    """Calls through the Schemathesis session (any test's) tell the allocator which numbers may have
    been sent to and which were verified, as the client's do: a number sent to is never handed back free."""

    def report(response: requests.Response, *args: object, **kwargs: object) -> None:
        path = urlsplit(response.request.url or "").path
        # Schemathesis sends its bodies whole (bytes or text); requests also types streamed ones, never sent here.
        body = response.request.body if isinstance(response.request.body, bytes | str) else None
        for mark, happened in ((phone_numbers.mark_sent, may_have_sent(path, response.status_code)), (phone_numbers.mark_verified, verified(path, response.status_code))):
            if happened:
                for country_code, phone_number in numbers_named(body):
                    mark(country_code, phone_number)

    schemathesis_session.hooks["response"].append(report)


@pytest.fixture(scope="session")
def client(suite_config: SuiteConfig, base_url: str, user_token: str, phone_numbers: NumberAllocator) -> Iterator[OtpClient]:
    """Requests to the target as the session user; each register, resend and verify tells the allocator what happened to its number."""
    otp_client = OtpClient(base_url, user_token, timeout_s=suite_config.request_timeout_s, tls=target_tls(suite_config), on_send=phone_numbers.mark_sent, on_verified=phone_numbers.mark_verified)
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
def started(client: OtpClient, inbox: OtpInbox, phone_numbers: NumberAllocator) -> Callable[..., Challenge]:
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
