"""The one configuration and the session user's token of a contract test process.

Both are needed at collection time (Schemathesis builds its coverage cases, with credentials, when
pytest collects the tests), so they are made once per process here and the session fixtures hand
out the same objects. For an embedded target the signing secret is chosen here, before the
service starts, so tokens can be minted before it runs.
"""

from __future__ import annotations

import dataclasses
import functools
import secrets

from otp_suite.config import SuiteConfig, load_config
from otp_suite.redaction import REDACT
from otp_suite.testdata.tokens import mint_token, new_user_id


@functools.cache
def run_config() -> SuiteConfig:
    """The configuration from the OTP_* variables (raises ConfigError); an embedded target gets a fresh secret."""
    config = load_config()
    if config.is_embedded and not config.jwt_secret:
        config = dataclasses.replace(config, jwt_secret=secrets.token_urlsafe(32), jwt_token=None)
    REDACT.register(config.jwt_secret)
    REDACT.register(config.jwt_token)
    return config


@functools.cache
def session_token() -> str | None:
    """The session user's token: OTP_JWT_TOKEN as given, or one minted for a fresh user; None without either."""
    config = run_config()
    if config.jwt_token:
        return config.jwt_token
    if not config.jwt_secret:
        return None
    token = mint_token(config.jwt_secret, new_user_id())
    REDACT.register(token)
    return token
