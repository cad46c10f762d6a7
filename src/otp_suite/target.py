"""The target of a run: the configured environment, or the embedded reference service.

:func:`resolved_target` is the one place that starts the embedded service: on a free loopback
port, with a fresh random signing secret that never leaves the process tree, and stops it when
the run ends.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

from otp_suite.config import DEFAULT_TEST_COUNTRY_CODE, SuiteConfig
from otp_suite.number_ranges import NumberRange
from otp_suite.policy import FAST_TEST_POLICY, OtpPolicy
from otp_suite.report.paths import ReportPaths

#: The second range's country code against the embedded service: like +999, assigned to no country (an ITU spare code).
EMBEDDED_SECOND_COUNTRY_CODE = "+990"


@contextlib.contextmanager
def resolved_target(config: SuiteConfig, *, policy: OtpPolicy | None = None, fault: str = "") -> Iterator[SuiteConfig]:
    """Yield ``config`` unchanged when it names a target; otherwise start the embedded service.

    The embedded service runs ``policy`` (default :data:`FAST_TEST_POLICY`) and, for the suite's
    own tests, ``fault`` from the fault catalog. The yielded config points at it.
    """
    if not config.is_embedded:
        yield config
        return
    embedded_policy = policy or FAST_TEST_POLICY
    secret = config.jwt_secret or secrets.token_urlsafe(32)
    env = {
        **embedded_policy.as_environment(),
        "OTP_JWT_SECRET": secret,
        "OTP_FAULT": fault,
        "OTP_ENV": "",
        "OTP_BASE_URL": "",
    }
    if config.fixed_code:
        env["OTP_FIXED_CODE"] = config.fixed_code
    # Imported here: the service's web stack (Starlette, uvicorn) costs every contract worker a
    # fifth of a CPU-second, and a worker only ever gets a target that is already running.
    from otp_suite.service.server import ServiceProcess

    # A new service has sent nothing: its run's ledger is its own (a history's would hold numbers other services limited).
    with ServiceProcess(env) as service, tempfile.TemporaryDirectory(prefix="otp-suite-numbers-") as numbers:
        ledger = ReportPaths(Path(numbers), history_dir=Path(numbers)).number_ledger
        yield dataclasses.replace(config, base_url=service.url, jwt_secret=secret, jwt_token=None, inbox_url=None, policy=embedded_policy, test_ranges=embedded_ranges(config), number_ledger=ledger)


def embedded_ranges(config: SuiteConfig) -> tuple[NumberRange, ...]:
    """The ranges a run against the embedded service uses: the configured ones, or, when only one is
    configured, it and the same numbers under :data:`EMBEDDED_SECOND_COUNTRY_CODE`, so that the
    countryCode rules are judged without configuration (the embedded service sends no SMS)."""
    if len(config.number_ranges) > 1:
        return config.number_ranges
    first = config.number_ranges[0]
    second_code = EMBEDDED_SECOND_COUNTRY_CODE if first.country_code != EMBEDDED_SECOND_COUNTRY_CODE else DEFAULT_TEST_COUNTRY_CODE
    return (first, dataclasses.replace(first, country_code=second_code))
