"""The tests of the contract suite itself: a secret they know, and the reference service with a
chosen fault on a thread of the test's own process. Their fixtures are in contract/conftest.py."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from helpers.suite_children import SERIAL_CONTRACT
from otp_suite.config import SuiteConfig, load_config
from otp_suite.policy import FAST_TEST_POLICY
from otp_suite.service import ServiceSettings, create_app
from otp_suite.service.faults import parse_faults
from otp_suite.service.server import ServiceThread
from otp_suite.target import embedded_ranges

#: A signing secret the tests know, so they can search the reports for it.
KNOWN_SECRET = "contract-suite-known-secret-0123456789abcdef"


@contextlib.contextmanager
def service_in_this_process(fault: str = "") -> Iterator[SuiteConfig]:
    """The reference service with ``fault`` (fast test policy) on a thread of this process, and a
    config that points a serial contract run at it. It starts in milliseconds where a service
    process takes seconds, which the fault matrix pays a hundred times. Like the embedded target it
    gets two ranges of test numbers (the countryCode rules are judged) and a ledger of its own."""
    settings = ServiceSettings(jwt_secret=KNOWN_SECRET, policy=FAST_TEST_POLICY, faults=parse_faults(fault))
    with ServiceThread(create_app(settings)) as service, tempfile.TemporaryDirectory(prefix="otp-suite-numbers-") as numbers:
        config = load_config(SERIAL_CONTRACT, jwt_secret=KNOWN_SECRET)
        yield replace(config, base_url=service.url, policy=FAST_TEST_POLICY, test_ranges=embedded_ranges(config), number_ledger=Path(numbers) / "test-numbers.jsonl")
