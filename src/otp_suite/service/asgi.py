"""The reference service built from the environment, for servers that import their app (granian).

``otp-suite serve`` checks the configuration first and then hands the same variables to the
server's worker process, which calls :func:`app_from_environment`.
"""

from __future__ import annotations

from starlette.types import ASGIApp

from otp_suite.config import load_config
from otp_suite.service.app import ServiceSettings, create_app
from otp_suite.service.faults import parse_faults


def settings_from_environment() -> ServiceSettings:
    """Service settings from ``OTP_*`` variables (already validated by ``otp-suite serve``)."""
    config = load_config()
    assert config.jwt_secret, "otp-suite serve checks OTP_JWT_SECRET before starting a worker"
    return ServiceSettings(
        jwt_secret=config.jwt_secret,
        policy=config.policy,
        inbox_enabled=config.serve_inbox,
        fixed_code=config.fixed_code,
        faults=parse_faults(config.fault),
    )


def app_from_environment() -> ASGIApp:
    """The ASGI app for a server worker process."""
    return create_app(settings_from_environment())
