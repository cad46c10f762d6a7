"""The resolved configuration as the OTP_* variables of the child pytest process.

Secrets travel to the child only this way (never on its command line, where ``ps`` shows them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from otp_suite.config import SuiteConfig


def child_environment(config: SuiteConfig, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default ``os.environ``) without OTP_* variables, plus ``config`` as OTP_* variables.

    The profile is already applied in ``config``, so OTP_ENV is not passed on.
    """
    env = {k: v for k, v in (os.environ if base is None else base).items() if not k.startswith("OTP_")}
    values: dict[str, object | None] = {
        "OTP_BASE_URL": config.base_url,
        "OTP_JWT_SECRET": config.jwt_secret,
        "OTP_JWT_TOKEN": config.jwt_token,
        "OTP_INBOX_URL": config.inbox_url,
        "OTP_FIXED_CODE": config.fixed_code,
        "OTP_TEST_COUNTRY_CODE": config.test_country_code,
        "OTP_TEST_PHONE_PREFIX": config.test_phone_prefix,
        "OTP_MAX_WAIT_S": config.max_wait_s,
        "OTP_VERIFY_TLS": "1" if config.verify_tls else "0",
        "OTP_REQUEST_TIMEOUT_S": config.request_timeout_s,
        "OTP_SEED": config.seed,
        "OTP_MAX_EXAMPLES": config.max_examples,
        "OTP_CONTRACT_DEPTH": config.contract_depth,
        "OTP_SPEC": str(config.spec_path),
        "OTP_REPORTS_DIR": str(config.reports_dir),
        **config.policy.as_environment(),
    }
    env.update({name: str(value) for name, value in values.items() if value is not None})
    return env
