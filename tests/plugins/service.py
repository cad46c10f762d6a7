"""Fixtures of the reference service, shared by the service tests and the load tests of its faults
and arrival schedule: a live service on a loopback port, its clock, a client speaking as a fresh
user, and unique test phone numbers. The code behind them is :mod:`helpers.service`.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator

import httpx
import pytest

from helpers.service import OtpApi, RunningService, running_service
from otp_suite.config import DEFAULT_TEST_COUNTRY_CODE, DEFAULT_TEST_PHONE_PREFIX
from otp_suite.service.clock import ManualClock
from otp_suite.testdata.phone_numbers import PhoneNumber, PhoneNumberSource


@pytest.fixture(scope="session")
def jwt_secret() -> str:
    """The signing secret of the services these tests start (random per run)."""
    return secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def service(jwt_secret: str) -> Iterator[RunningService]:
    """The fault-free reference service, shared by the session: tests stay apart by user and number."""
    with running_service(jwt_secret) as running:
        yield running


@pytest.fixture(scope="session")
def http(service: RunningService) -> Iterator[httpx.Client]:
    """A keep-alive HTTP client of :func:`service`."""
    with httpx.Client(base_url=service.url, timeout=10.0) as client:
        yield client


@pytest.fixture
def api(service: RunningService, http: httpx.Client) -> OtpApi:
    """The shared service, spoken to as a fresh user."""
    return OtpApi(service, http)


@pytest.fixture
def clock(service: RunningService) -> ManualClock:
    """The shared service's clock; advance it instead of sleeping."""
    return service.clock


@pytest.fixture(scope="session")
def phone_numbers() -> PhoneNumberSource:
    """Unique numbers in the suite's default test range."""
    return PhoneNumberSource(DEFAULT_TEST_COUNTRY_CODE, DEFAULT_TEST_PHONE_PREFIX)


@pytest.fixture
def number(phone_numbers: PhoneNumberSource) -> PhoneNumber:
    """A number no other test uses."""
    return phone_numbers.next()


@pytest.fixture
def start_service(jwt_secret: str) -> Iterator[Callable[..., OtpApi]]:
    """Start a service with other settings (``fault=``, ``fixed_code=``, ``inbox=``, ``policy=``) for this test."""
    with contextlib.ExitStack() as stack:

        def start(**settings: object) -> OtpApi:
            running = stack.enter_context(running_service(jwt_secret, **settings))  # type: ignore[arg-type]
            client = stack.enter_context(httpx.Client(base_url=running.url, timeout=10.0))
            return OtpApi(running, client)

        yield start
