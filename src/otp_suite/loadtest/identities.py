"""Who a virtual user is: its own JWT, and the process's supply of test phone numbers.

Numbers come from :class:`fixtures.PhoneNumberSource` with the Locust worker index as the lane,
so no two workers ever use the same number, and every number is checked against the test range
before it is used.
"""

from __future__ import annotations

import threading
import time
import uuid

from fixtures import PhoneNumber, PhoneNumberSource, mint_token
from otp_suite.config import ConfigError, SuiteConfig

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
    """Fresh numbers in the test range for one load-generator process (its lane); thread-safe."""

    __test__ = False  # not a pytest class, despite the name

    def __init__(self, config: SuiteConfig, lane: int) -> None:
        self._range = config.number_ranges[0]
        self.lane = lane
        self._lock = threading.Lock()
        self._source = self._new_source()

    def _new_source(self) -> PhoneNumberSource:
        return PhoneNumberSource.for_range(self._range, lane=self.lane)

    def next(self) -> PhoneNumber:
        """A number no other call returned, inside the test range."""
        with self._lock:
            try:
                number = self._source.next()
            except RuntimeError:
                # A long soak used up this block of numbers: start a fresh random block in the same lane.
                self._source = self._new_source()
                number = self._source.next()
        if not self._source.contains(number.country_code, number.phone_number):
            raise OutOfTestRange(f"{number} is outside the test range {self._range}; refusing to send")
        return number
