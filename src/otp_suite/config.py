"""The suite's configuration: one typed object, built once from a profile file and
the ``OTP_*`` environment variables, then passed down.

Precedence: built-in defaults < the profile named by ``OTP_ENV`` (a table in
``environments.toml``) < environment variables.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from otp_suite.policy import OtpPolicy

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PROFILE_FILE = PROJECT_ROOT / "environments.toml"
DEFAULT_SPEC_PATH = PROJECT_ROOT / "openapi.yaml"
DEFAULT_REPORTS_DIR = PROJECT_ROOT / "reports"

#: Test number range used when none is configured: +999 is not assigned to any
#: country by the ITU, so a misrouted SMS cannot reach a real phone.
DEFAULT_TEST_COUNTRY_CODE = "+999"
DEFAULT_TEST_PHONE_PREFIX = "5550"


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names it and the fix."""


@dataclass(frozen=True)
class SuiteConfig:
    """Everything a contract, load or gate run needs to know about its target."""

    base_url: str | None = None
    jwt_secret: str | None = field(default=None, repr=False)
    jwt_token: str | None = field(default=None, repr=False)
    inbox_url: str | None = None
    fixed_code: str | None = None
    test_country_code: str = DEFAULT_TEST_COUNTRY_CODE
    test_phone_prefix: str = DEFAULT_TEST_PHONE_PREFIX
    policy: OtpPolicy = field(default_factory=OtpPolicy)
    max_wait_s: float = 60.0
    env_name: str | None = None
    allow_load: bool = False
    verify_tls: bool = True
    request_timeout_s: float = 10.0
    seed: int | None = None
    #: Schemathesis examples per operation in the fuzzing phase; bounded so a contract run stays fast.
    max_examples: int = 30
    spec_path: Path = DEFAULT_SPEC_PATH
    reports_dir: Path = DEFAULT_REPORTS_DIR
    # Load runs (otp-suite load, load/locustfile.py); None = the load defaults in otp_suite.loadtest.
    load_users: int | None = None
    load_spawn_rate: float | None = None
    load_run_time: str | None = None
    load_shape: str | None = None
    load_shape_params: str | None = None
    load_workers: int | None = None
    slo: str | None = None
    flow_mix: str | None = None
    think_time_s: float | None = None
    load_samples_csv: bool = False
    baseline: Path | None = None
    max_regression: str | None = None

    @property
    def is_embedded(self) -> bool:
        """True when no target is configured and the suite runs its reference service."""
        return self.base_url is None

    def resolved_inbox_url(self) -> str | None:
        """The test inbox URL, defaulting to ``<base>/__test__/otp``; None with a fixed code."""
        if self.inbox_url:
            return self.inbox_url
        if self.fixed_code is not None or self.base_url is None:
            return None
        return self.base_url.rstrip("/") + "/__test__/otp"

    def can_mint_tokens(self) -> bool:
        """True when a signing secret is known, so tokens for any user can be made."""
        return bool(self.jwt_secret)

    def target_is_loopback(self) -> bool:
        """True when the target host is a loopback address (or the embedded service)."""
        if self.base_url is None:
            return True
        return is_loopback_url(self.base_url)

    def with_target(self, base_url: str, **changes: object) -> SuiteConfig:
        """A copy pointed at ``base_url`` (used when the embedded service starts)."""
        return dataclasses.replace(self, base_url=base_url, **changes)

    def public_summary(self) -> dict[str, object]:
        """Settings safe to print or put in a report: no secret, no token."""
        return {
            "target": self.base_url or "embedded reference service",
            "profile": self.env_name or "-",
            "auth": "minted (OTP_JWT_SECRET)" if self.jwt_secret else ("fixed token (OTP_JWT_TOKEN)" if self.jwt_token else "none"),
            "otp source": "fixed code" if self.fixed_code is not None else (self.resolved_inbox_url() or "embedded inbox"),
            "test range": f"{self.test_country_code} {self.test_phone_prefix}…",
            **{f"policy.{k}": v for k, v in dataclasses.asdict(self.policy).items()},
        }


def is_loopback_url(url: str) -> bool:
    """True when ``url``'s host is ``localhost`` or an address in 127.0.0.0/8 or ::1."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# (environment variable, profile key, SuiteConfig field, parser)
def _text(name: str, value: object) -> str:
    return str(value)


def _number(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{name}={value!r} is not a number; set it to seconds or a count, e.g. {name}=30") from None
    if number < 0 or number != number:
        raise ConfigError(f"{name}={value!r} must be zero or positive")
    return number


def _whole(name: str, value: object) -> int:
    number = _number(name, value)
    if number != int(number):
        raise ConfigError(f"{name}={value!r} must be a whole number")
    return int(number)


def _flag(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name}={value!r} is not a yes/no value; use 1 or 0")


def _base_url(name: str, value: object) -> str:
    text = str(value).strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"{name}={value!r} is not an http(s) URL; use e.g. {name}=https://stage.example.com")
    return text


def _country_code(name: str, value: object) -> str:
    import re

    text = str(value).strip()
    if not re.fullmatch(r"\+[1-9][0-9]{0,2}", text):
        raise ConfigError(f"{name}={value!r} is not a country code like +91")
    return text


def _phone_prefix(name: str, value: object) -> str:
    text = str(value).strip()
    if not text.isdigit() or len(text) > 10:
        raise ConfigError(f"{name}={value!r} must be 1 to 10 digits, the start of every test number")
    return text


def _fixed_code(name: str, value: object) -> str:
    text = str(value).strip()
    if not (text.isdigit() and len(text) == 6):
        raise ConfigError(f"{name}={value!r} must be a 6-digit OTP such as 123456")
    return text


_SETTINGS: tuple[tuple[str, str, object], ...] = (
    ("OTP_BASE_URL", "base_url", _base_url),
    ("OTP_JWT_SECRET", "jwt_secret", _text),
    ("OTP_JWT_TOKEN", "jwt_token", _text),
    ("OTP_INBOX_URL", "inbox_url", _base_url),
    ("OTP_FIXED_CODE", "fixed_code", _fixed_code),
    ("OTP_TEST_COUNTRY_CODE", "test_country_code", _country_code),
    ("OTP_TEST_PHONE_PREFIX", "test_phone_prefix", _phone_prefix),
    ("OTP_MAX_WAIT_S", "max_wait_s", _number),
    ("OTP_ALLOW_LOAD", "allow_load", _flag),
    ("OTP_VERIFY_TLS", "verify_tls", _flag),
    ("OTP_REQUEST_TIMEOUT_S", "request_timeout_s", _number),
    ("OTP_SEED", "seed", _whole),
    ("OTP_MAX_EXAMPLES", "max_examples", _whole),
    ("OTP_SPEC", "spec_path", lambda n, v: Path(str(v))),
    ("OTP_REPORTS_DIR", "reports_dir", lambda n, v: Path(str(v))),
    ("OTP_LOAD_USERS", "load_users", _whole),
    ("OTP_LOAD_SPAWN_RATE", "load_spawn_rate", _number),
    ("OTP_LOAD_RUN_TIME", "load_run_time", _text),
    ("OTP_LOAD_SHAPE", "load_shape", _text),
    ("OTP_LOAD_SHAPE_PARAMS", "load_shape_params", _text),
    ("OTP_LOAD_WORKERS", "load_workers", _whole),
    ("OTP_SLO", "slo", _text),
    ("OTP_FLOW_MIX", "flow_mix", _text),
    ("OTP_THINK_TIME_S", "think_time_s", _number),
    ("OTP_LOAD_SAMPLES_CSV", "load_samples_csv", _flag),
    ("OTP_BASELINE", "baseline", lambda n, v: Path(str(v))),
    ("OTP_MAX_REGRESSION", "max_regression", _text),
)

_POLICY_SETTINGS: tuple[tuple[str, str, object], ...] = (
    ("OTP_TTL_S", "ttl_s", _number),
    ("OTP_MAX_VERIFY_ATTEMPTS", "max_verify_attempts", _whole),
    ("OTP_RESEND_COOLDOWN_S", "resend_cooldown_s", _number),
    ("OTP_MAX_SENDS_PER_WINDOW", "max_sends_per_window", _whole),
    ("OTP_SEND_WINDOW_S", "send_window_s", _number),
)

#: Every variable the suite reads, for help texts and docs.
KNOWN_VARIABLES = tuple(v for v, _, _ in _SETTINGS + _POLICY_SETTINGS) + ("OTP_ENV", "OTP_PROFILE_FILE")


def read_profile(path: Path, name: str) -> dict[str, object]:
    """The table ``[name]`` of the TOML profile file at ``path``, keys as ``OTP_*`` names."""
    if not path.is_file():
        raise ConfigError(f"OTP_ENV={name!r} names a profile, but the profile file {path} does not exist; create it or set OTP_PROFILE_FILE")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"profile file {path} is not valid TOML ({error}); fix the file") from None
    if name not in document or not isinstance(document[name], dict):
        known = ", ".join(sorted(k for k, v in document.items() if isinstance(v, dict))) or "none"
        raise ConfigError(f"OTP_ENV={name!r} is not a profile in {path} (known: {known})")
    profile: dict[str, object] = {}
    for key, value in document[name].items():
        variable = key.upper() if key.upper().startswith("OTP_") else "OTP_" + key.upper()
        profile[variable] = value
    return profile


def load_config(environ: Mapping[str, str] | None = None, **overrides: object) -> SuiteConfig:
    """Build the :class:`SuiteConfig` from a profile and ``environ`` (default: ``os.environ``).

    ``overrides`` are field values given on the command line; they win over both.
    Raises :class:`ConfigError` with a one-line, fixable message.
    """
    env = dict(os.environ if environ is None else environ)
    values: dict[str, object] = {}
    profile_name = env.get("OTP_ENV") or None
    if profile_name:
        profile_file = Path(env.get("OTP_PROFILE_FILE") or DEFAULT_PROFILE_FILE)
        merged = read_profile(profile_file, profile_name)
        merged.update({k: v for k, v in env.items() if k.startswith("OTP_")})
        env = merged  # type: ignore[assignment]
    unknown = sorted(k for k in env if k.startswith("OTP_") and k not in KNOWN_VARIABLES and k not in _EXTRA_KNOWN)
    if profile_name and unknown:
        raise ConfigError(f"profile {profile_name!r} sets unknown keys {', '.join(unknown)}; see README 'Configuration'")
    for variable, attribute, parse in _SETTINGS:
        raw = env.get(variable)
        if raw is not None and str(raw) != "":
            values[attribute] = parse(variable, raw)  # type: ignore[operator]
    policy_values = {}
    for variable, attribute, parse in _POLICY_SETTINGS:
        raw = env.get(variable)
        if raw is not None and str(raw) != "":
            policy_values[attribute] = parse(variable, raw)  # type: ignore[operator]
    values["policy"] = OtpPolicy(**policy_values)
    values["env_name"] = profile_name
    values.update({k: v for k, v in overrides.items() if v is not None})
    config = SuiteConfig(**values)  # type: ignore[arg-type]
    if config.jwt_secret and config.jwt_token:
        raise ConfigError("OTP_JWT_SECRET and OTP_JWT_TOKEN are both set; set only one (the secret lets the suite mint tokens)")
    return config


#: Variables read by other parts (the reference service's faults, load options) that a profile may hold.
_EXTRA_KNOWN = {"OTP_FAULT", "OTP_CONTRACT_SELECT", "OTP_ALLOW_NON_LOOPBACK", "OTP_LOAD_USERS", "OTP_LOAD_SPAWN_RATE", "OTP_LOAD_RUN_TIME", "OTP_LOAD_SHAPE", "OTP_SLO", "OTP_FLOW_MIX"}

#: Set by otp-suite load (Allure results directory, load tags); allowed in a profile too.
_EXTRA_KNOWN |= {"OTP_ALLURE_DIR", "OTP_LOAD_TAGS", "OTP_LOAD_EXCLUDE_TAGS", "OTP_LOAD_EXPECT_WORKERS", "OTP_LOAD_MASTER_BIND_PORT"}

#: Read by otp-suite gate and the report builder; allowed in a profile too.
_EXTRA_KNOWN |= {"OTP_REPORT_HISTORY", "OTP_GATE_LOAD", "OTP_GATE_SMOKE_USERS", "OTP_GATE_SMOKE_RUN_TIME", "OTP_GATE_REPORT", "OTP_SERVE_HOST", "OTP_SERVE_PORT", "OTP_SERVE_INBOX", "OTP_SERVE_SERVER"}
