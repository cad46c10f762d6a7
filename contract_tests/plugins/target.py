"""The target of the run, resolved once per session from the OTP_* variables.

Without OTP_BASE_URL the embedded reference service is started (fast test policy) for the session.
A target that cannot be reached ends the session at once: nothing could be judged.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.cookiejar import DefaultCookiePolicy

import pytest
import requests
from schemathesis.transport.requests import SameHostRedirectsSession

from otp_suite.config import ConfigError, SuiteConfig
from otp_suite.contract.session import run_config
from otp_suite.contract.waiting import PolicyWaiter
from otp_suite.policy import OtpPolicy
from otp_suite.preflight import TargetUnreachable, check_reachable
from otp_suite.target import resolved_target

#: pytest's exit status for "interrupted"; the runner reads a session ended this way as "cannot judge".
CANNOT_JUDGE_STATUS = 2


@pytest.fixture(scope="session")
def suite_config() -> Iterator[SuiteConfig]:
    """The resolved configuration: the configured target, or the embedded service started for the session."""
    try:
        config = run_config()
    except ConfigError as error:
        pytest.exit(f"cannot judge: {error}", returncode=CANNOT_JUDGE_STATUS)
    with resolved_target(config) as resolved:
        try:
            check_reachable(resolved)
        except TargetUnreachable as error:
            pytest.exit(f"cannot judge: {error}", returncode=CANNOT_JUDGE_STATUS)
        yield resolved


@pytest.fixture(scope="session")
def base_url(suite_config: SuiteConfig) -> str:
    """The target's base URL."""
    assert suite_config.base_url is not None, "no target: the runner sets OTP_BASE_URL before the tests start"
    return suite_config.base_url


@pytest.fixture(scope="session")
def schemathesis_session() -> Iterator[requests.Session]:
    """One keep-alive connection pool for the worker's Schemathesis calls.

    Without it Schemathesis opens a new session, so a new connection, for every call: across a
    link with a round trip of latency that is a handshake more per call. It is the session class
    Schemathesis uses itself, with no default headers (as Schemathesis sends its calls) and no
    cookies kept, so one call cannot change the next.
    """
    with SameHostRedirectsSession() as session:
        session.headers.clear()
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        yield session


@pytest.fixture(scope="session")
def policy(suite_config: SuiteConfig) -> OtpPolicy:
    """The target's lifetimes and limits, as configured."""
    return suite_config.policy


@pytest.fixture(scope="session")
def waiter(suite_config: SuiteConfig) -> PolicyWaiter:
    """Waits for the target's clock, skipping tests that would wait longer than OTP_MAX_WAIT_S (or at all, at the quick depth)."""
    return PolicyWaiter(suite_config.max_wait_s, quick=suite_config.contract_depth == "quick")
