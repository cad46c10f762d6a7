"""Who a virtual user is: its own JWT, and the process's supply of test phone numbers.

Numbers come from the run's number allocator (:class:`otp_suite.testdata.phone_numbers.NumberAllocator`),
shared with the contract run through the ledger of test numbers, so no two workers ever use the same
number, and every number is checked against the test range before it is used.
"""

from __future__ import annotations

import atexit
import threading
import time
import uuid

from otp_suite.config import ConfigError, SuiteConfig
from otp_suite.testdata.phone_numbers import NumberAllocator, PhoneNumber, RangeExhausted
from otp_suite.testdata.tokens import mint_token

#: Numbers a load process claims at once (one ledger transaction each, not one per flow).
CLAIM_BATCH = 16
#: The most a load process claims at once: the batch doubles while the run keeps asking (a fast
#: load claims once every few seconds, not a hundred times a second, each reading the ledger).
MAX_CLAIM_BATCH = 256
#: Minted tokens live this long and are renewed at half-life, so even a soak run never sends an expired one.
TOKEN_LIFETIME_S = 6 * 3600


class UserToken:
    """One virtual user's JWT: minted for a user id of its own, or the configured ``OTP_JWT_TOKEN``."""

    def __init__(self, config: SuiteConfig, label: str) -> None:
        if not (config.jwt_secret or config.jwt_token):
            raise ConfigError("load runs need OTP_JWT_SECRET (a token is minted per virtual user) or OTP_JWT_TOKEN (one token for all)")
        self._secret = config.jwt_secret
        self._fixed = config.jwt_token
        self.user_id = f"load-{label}-{uuid.uuid4().hex[:12]}"
        self._token = ""
        self._renew_at = 0.0

    def current(self) -> str:
        """The token to send now (renewed before it could expire)."""
        if self._fixed:
            return self._fixed
        now = time.time()
        if now >= self._renew_at:
            assert self._secret is not None
            self._token = mint_token(self._secret, self.user_id, lifetime_s=TOKEN_LIFETIME_S)
            self._renew_at = now + TOKEN_LIFETIME_S / 2
        return self._token


class OutOfTestRange(RuntimeError):
    """A number about to be sent lies outside the configured test range (never expected)."""


class TestNumbers:
    """Fresh numbers in the first test range for one load-generator process; thread-safe.

    They come from the run's number allocator (:class:`otp_suite.testdata.phone_numbers.NumberAllocator`),
    claimed in the ledger of test numbers that contract runs use too, :data:`CLAIM_BATCH` at a time:
    so the gate's load smoke never takes a number its contract run (or an earlier run) left
    limited, and no two load processes share one. Every number handed out counts as sent to; the
    process hands its claims back when it exits.
    """

    __test__ = False  # not a pytest class, despite the name

    def __init__(self, config: SuiteConfig, lane: int) -> None:
        self.lane = lane
        self._range = config.number_ranges[0]
        self._allocator = NumberAllocator.for_config(config)
        self._lock = threading.Lock()
        self._claimed: list[PhoneNumber] = []
        self._batch = CLAIM_BATCH
        atexit.register(self._allocator.release)

    def _claim_batch(self) -> list[PhoneNumber]:
        """The next batch of numbers, twice the last one up to MAX_CLAIM_BATCH; a smaller one when the range has not that many free."""
        batch, self._batch = self._batch, min(self._batch * 2, MAX_CLAIM_BATCH)
        try:
            return self._allocator.fresh_many(batch)
        except RangeExhausted:
            if batch <= CLAIM_BATCH:
                raise
            self._batch = CLAIM_BATCH
            return self._allocator.fresh_many(CLAIM_BATCH)

    def next(self) -> PhoneNumber:
        """A number no other call (of any process of this or, within a send window, an earlier run) returned, inside the test range."""
        with self._lock:
            if not self._claimed:
                self._claimed = self._claim_batch()
            number = self._claimed.pop()
        self._allocator.mark_sent(number.country_code, number.phone_number)
        if not self._range.contains(number.country_code, number.phone_number):
            raise OutOfTestRange(f"{number} is outside the test range {self._range}; refusing to send")
        return number
