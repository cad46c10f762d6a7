"""The suite's configuration: one typed object, built once from a profile file and
the ``OTP_*`` environment variables, then passed down.

Precedence: built-in defaults < the profile named by ``OTP_ENV`` (a table in
``environments.toml``) < environment variables < command-line options.

The settings model
------------------
Every ``OTP_*`` name is declared exactly once, as a field of :class:`SuiteConfig` (or of
:class:`otp_suite.policy.OtpPolicy` for the target's policy numbers) made with
:func:`otp_suite.setting.setting`: variable name, default, parser, help text. From that one line
the suite derives the profile key (the name without ``OTP_``, lower case), the parsing of profile
and variable values (:func:`load_config`), the CLI option's ``envvar=``, help and default
(:func:`otp_suite.cli.options.setting_option`), and the variables a child process gets
(:meth:`SuiteConfig.to_environment`).

How to add a setting, e.g. ``OTP_CONTRACT_DEPTH``:

1. add one field to :class:`SuiteConfig`::

       contract_depth: int = setting("OTP_CONTRACT_DEPTH", 2, whole, "How deep the stateful phase goes.")

   (parsers: :mod:`otp_suite.setting`; write a new one there if none fits, raising ConfigError);
2. read it as ``config.contract_depth`` where it is used (never ``os.environ``);
3. if a command takes it as an option: ``@setting_option("contract_depth", "--contract-depth")``;
4. add its row to the README's configuration table (a test checks the table and the model agree).

Profiles, variables, child processes and ``--help`` then know it without further edits.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from otp_suite.api import COUNTRY_CODE, INBOX_PATH
from otp_suite.number_ranges import NumberRange, parse_ranges
from otp_suite.policy import OtpPolicy
from otp_suite.setting import ConfigError, Setting, flag, http_url, number, one_of, path, port, setting, settings_of, text, whole, words

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PROFILE_FILE = PROJECT_ROOT / "environments.toml"
DEFAULT_SPEC_PATH = PROJECT_ROOT / "openapi.yaml"
DEFAULT_REPORTS_DIR = PROJECT_ROOT / "reports"

#: Test number range used when none is configured: +999 is not assigned to any
#: country by the ITU, so a misrouted SMS cannot reach a real phone.
DEFAULT_TEST_COUNTRY_CODE = "+999"
DEFAULT_TEST_PHONE_PREFIX = "5550"

__all__ = ["ConfigError", "SuiteConfig", "load_config", "read_profile", "SETTINGS", "KNOWN_VARIABLES", "is_loopback_url"]


def _country_code(name: str, value: object) -> str:
    stripped = str(value).strip()
    if not COUNTRY_CODE.fullmatch(stripped):
        raise ConfigError(f"{name}={value!r} is not a country code like +91")
    return stripped


def _phone_prefix(name: str, value: object) -> str:
    stripped = str(value).strip()
    if not stripped.isdigit() or len(stripped) > 10:
        raise ConfigError(f"{name}={value!r} must be 1 to 10 digits, the start of every test number")
    return stripped


def _ca_bundle(name: str, value: object) -> Path:
    """A PEM file holding at least one certificate, as an absolute path (children run elsewhere)."""
    bundle = path(name, value).expanduser().resolve()
    try:
        content = bundle.read_bytes()
    except OSError as error:
        raise ConfigError(f"{name}={value} cannot be read ({error.strerror}); set it to the PEM file of the CA that signed the target's certificate") from None
    if b"-----BEGIN CERTIFICATE-----" not in content:
        raise ConfigError(f"{name}={value} holds no PEM certificate (-----BEGIN CERTIFICATE-----); set it to the CA's certificate in PEM form")
    return bundle


def _fixed_code(name: str, value: object) -> str:
    stripped = str(value).strip()
    if not (stripped.isdigit() and len(stripped) == 6):
        raise ConfigError(f"{name}={value!r} must be a 6-digit OTP such as 123456")
    return stripped


@dataclass(frozen=True)
class SuiteConfig:
    """Everything a contract, load, gate or serve run needs to know; each field is one ``OTP_*`` setting."""

    # Which profile: read before the profile itself, so a profile cannot set them.
    env_name: str | None = setting("OTP_ENV", None, text, "Profile name: a table of environments.toml; variables and options override it.", in_profile=False)
    profile_file: Path = setting("OTP_PROFILE_FILE", DEFAULT_PROFILE_FILE, path, "The file of profiles.", default_text="environments.toml", in_profile=False)
    # The target.
    base_url: str | None = setting("OTP_BASE_URL", None, http_url, "Target base URL, e.g. https://stage.example.com; unset runs the embedded reference service.", default_text="embedded service")
    jwt_secret: str | None = setting("OTP_JWT_SECRET", None, text, "HS256 secret to mint tokens for any user (at least 32 bytes).", default_text="random, embedded service", secret=True)
    jwt_token: str | None = setting("OTP_JWT_TOKEN", None, text, "One ready-made token instead of a secret; tests that need minting are skipped.", secret=True)
    inbox_url: str | None = setting("OTP_INBOX_URL", None, http_url, "Test inbox URL.", default_text="<base>/__test__/otp")
    fixed_code: str | None = setting("OTP_FIXED_CODE", None, _fixed_code, "The environment's fixed test OTP, used instead of an inbox.")
    test_country_code: str = setting("OTP_TEST_COUNTRY_CODE", DEFAULT_TEST_COUNTRY_CODE, _country_code, "Country code of the test number range.")
    test_phone_prefix: str = setting("OTP_TEST_PHONE_PREFIX", DEFAULT_TEST_PHONE_PREFIX, _phone_prefix, "Start of every test phone number.")
    test_ranges: tuple[NumberRange, ...] = setting(
        "OTP_TEST_RANGES",
        (),
        parse_ranges,
        "Ranges of test numbers, countryCode:prefix[:length],... e.g. +91:99999,+44:77009 (length: digits of a number, 14 unless given); replaces OTP_TEST_COUNTRY_CODE and OTP_TEST_PHONE_PREFIX; the first is the default range, a second lets the countryCode rules be judged.",
        default_text="OTP_TEST_COUNTRY_CODE:OTP_TEST_PHONE_PREFIX",
    )
    policy: OtpPolicy = dataclasses.field(default_factory=OtpPolicy)
    max_wait_s: float = setting("OTP_MAX_WAIT_S", 60.0, number, "Longest wait for the target's clock (lifetime, cooldown) before a test is skipped, seconds.")
    allow_load: bool = setting("OTP_ALLOW_LOAD", False, flag, "Allow load against a target that is not on loopback.")
    ca_bundle: Path | None = setting(
        "OTP_CA_BUNDLE",
        None,
        _ca_bundle,
        "PEM file of the CA that signed the target's certificate (a company's internal CA); every client to the target trusts it besides the usual CAs (SSL_CERT_FILE, SSL_CERT_DIR and REQUESTS_CA_BUNDLE are read too).",
        default_text="none",
    )
    verify_tls: bool = setting("OTP_VERIFY_TLS", True, flag, "Check the target's TLS certificate; turn off only for a self-signed test target.")
    clock_margin_s: float = setting(
        "OTP_CLOCK_MARGIN_S", 0.1, number, "Slack the model test allows either side of each exchange for the target's clock, seconds; raise it to 1 for a target that keeps whole-second timestamps."
    )
    request_timeout_s: float = setting("OTP_REQUEST_TIMEOUT_S", 10.0, number, "Seconds to wait for each answer of the target.")
    # Contract runs.
    seed: int | None = setting("OTP_SEED", None, whole, "Seed of the generated cases; the run prints the one it used, so a failure can be replayed.", default_text="random")
    #: Bounded so a contract run stays fast.
    max_examples: int = setting("OTP_MAX_EXAMPLES", 30, whole, "Schemathesis fuzzing examples per operation.")
    contract_depth: str = setting("OTP_CONTRACT_DEPTH", "full", one_of("quick", "full"), "quick: every check that needs no wait for the target's clock (the rest reported as skipped with the reason); full: every check.")
    contract_workers: int = setting(
        "OTP_CONTRACT_WORKERS",
        0,
        whole,
        "Processes that run the contract tests side by side (1: one after another; 0: automatic: 4, 6 at the full depth against a policy with waits over a minute, 10 against a far target whose median answer takes 20 ms or more).",
        default_text="0 (automatic)",
    )
    spec_path: Path = setting("OTP_SPEC", DEFAULT_SPEC_PATH, path, "OpenAPI file.", default_text="openapi.yaml")
    reports_dir: Path = setting("OTP_REPORTS_DIR", DEFAULT_REPORTS_DIR, path, "Where results and reports go.", default_text="reports")
    contract_select: str | None = setting(
        "OTP_CONTRACT_SELECT", None, text, "Run only the contract tests matching this pytest -k expression, e.g. 'security' (contract, and the gate's contract step).", default_text="all"
    )
    # Load runs (otp-suite load, load/locustfile.py).
    load_users: int = setting("OTP_LOAD_USERS", 10, whole, "Peak number of concurrent virtual users (Locust's --users).")
    load_spawn_rate: float = setting("OTP_LOAD_SPAWN_RATE", 5.0, number, "Users started per second (Locust's --spawn-rate).")
    load_run_time: str | None = setting(
        "OTP_LOAD_RUN_TIME", None, text, "Stop after this long: 30s, 5m, 1h30m (Locust's --run-time); every run stops by itself.", default_text="30s, or one cooldown plus margin when the SLOs need it"
    )
    load_shape: str = setting("OTP_LOAD_SHAPE", "steady", text, "Load shape over the users and the run time.")
    load_shape_params: str = setting(
        "OTP_LOAD_SHAPE_PARAMS", "", text, "Shape parameters KEY=VALUE,...: ramp start_users,ramp_s; step steps,step_s; spike base_users,spike_at_s,spike_s; soak ramp_s.", default_text="none"
    )
    load_workers: int = setting("OTP_LOAD_WORKERS", 0, whole, "Run a Locust master and this many worker processes on this machine (0: one process).")
    load_expect_workers: int = setting(
        "OTP_LOAD_EXPECT_WORKERS", 0, whole, "Wait for this many workers started on other machines (locust -f load/locustfile.py --worker --master-host <this host>) (Locust's --expect-workers)."
    )
    load_master_bind_port: int = setting("OTP_LOAD_MASTER_BIND_PORT", 5557, port, "Port the master listens on for remote workers (on all interfaces) (Locust's --master-bind-port).")
    load_tags: tuple[str, ...] = setting("OTP_LOAD_TAGS", (), words, "Run only these flows (Locust's --tags): direct, resend, wrong_otp.", default_text="all")
    load_exclude_tags: tuple[str, ...] = setting("OTP_LOAD_EXCLUDE_TAGS", (), words, "Leave out these flows (Locust's --exclude-tags).", default_text="none")
    arrival_rate: float = setting(
        "OTP_ARRIVAL_RATE",
        0.0,
        number,
        "Open model: start this many flows per second on schedule, whatever the response times; latency SLOs then judge percentiles corrected for coordinated omission (0: Locust's closed model).",
    )
    arrival_max_flows: int = setting(
        "OTP_ARRIVAL_MAX_FLOWS", 0, whole, "Open model: at most this many flows running at once per load process; a flow due when all are busy is dropped (0: rate x (request timeout + 5 s))."
    )
    arrival_tolerance_ms: float = setting(
        "OTP_ARRIVAL_TOLERANCE_MS", 100.0, number, "Open model: how late past its due time a flow may still start; later, it is dropped and counted. Raise it for a load generator that shares its CPU."
    )
    slo: str | None = setting("OTP_SLO", None, text, "SLO overrides ENTRY.METRIC=LIMIT or =off, e.g. verify.p95_ms=250,flow.error_ratio=0.005.", default_text="built-in smoke SLOs")
    flow_mix: str | None = setting("OTP_FLOW_MIX", None, text, "Weights of the flows.", default_text="direct=2,resend=2,wrong_otp=1")
    think_time_s: float = setting("OTP_THINK_TIME_S", 1.0, number, "Mean human pause between steps and flows, seconds; the resend cooldown is always waited out.")
    load_samples_csv: bool = setting("OTP_LOAD_SAMPLES_CSV", False, flag, "Also write every request's sample to <reports>/load/*_samples.csv (for short runs: it grows with the run).")
    baseline: Path | None = setting("OTP_BASELINE", None, path, "An earlier run's summary.json to compare this run with (p50/p95/p99 and error ratio per operation and flow).", default_text="none")
    max_regression: str | None = setting(
        "OTP_MAX_REGRESSION",
        None,
        text,
        "Allowed relative change against the baseline, e.g. verify.p95=20%,flow.error_ratio=50%; a change counts only beyond the 99% confidence intervals of both runs.",
        default_text="p50/p95 10%, p99 20%, error ratio 100%",
    )
    abort_on_breach: bool = setting(
        "OTP_ABORT_ON_BREACH",
        False,
        flag,
        "Stop the load run once an SLO is breached beyond doubt (99% confidence, for 10 s in a row, not in its first 10 s); every report is still written and the run exits 1 naming the SLO.",
    )
    metrics_port: int = setting("OTP_METRICS_PORT", 0, port, "During a load run, serve live Prometheus metrics at http://<OTP_METRICS_HOST>:PORT/metrics from the judging Locust process (0: off).", default_text="off")
    metrics_host: str = setting("OTP_METRICS_HOST", "127.0.0.1", text, "Address the metrics are served on; 0.0.0.0 lets a Prometheus on another host scrape them.")
    allure_dir: Path | None = setting("OTP_ALLURE_DIR", None, path, "Allure results directory of a load run.", default_text="<reports-dir>/allure-results")
    fault: str = setting("OTP_FAULT", "", text, "Embedded/reference service only: break rules on purpose (comma-separated names from the fault catalog, e.g. slow_verify:400).", default_text="none")
    # The gate.
    number_ledger: Path | None = setting(
        "OTP_NUMBER_LEDGER",
        None,
        path,
        "File of the test numbers runs used and until when they are blocked by the send limits; keep it across runs (pipelines sharing a stage can share it).",
        default_text="<report history>/test-numbers.jsonl",
    )
    report_history: Path | None = setting("OTP_REPORT_HISTORY", None, path, "Report history kept across runs for trends; cache it in CI.", default_text="<reports-dir>/history")
    gate_load: bool = setting("OTP_GATE_LOAD", True, flag, "Run the load smoke and its SLOs after the contract suite.")
    gate_smoke_users: int = setting("OTP_GATE_SMOKE_USERS", 5, whole, "Concurrent users of the gate's load smoke.")
    gate_smoke_run_time: float = setting("OTP_GATE_SMOKE_RUN_TIME", 15.0, number, "Seconds the gate's load smoke runs.")
    gate_report: bool = setting("OTP_GATE_REPORT", True, flag, "Build the single-file HTML report (needs Node.js and `npm ci`).")
    # The reference service (otp-suite serve).
    serve_host: str = setting("OTP_SERVE_HOST", "127.0.0.1", text, "Address to bind; loopback unless you mean to expose it.")
    serve_port: int = setting("OTP_SERVE_PORT", 8000, port, "Port to bind; 0 picks an unused one.")
    serve_inbox: bool = setting("OTP_SERVE_INBOX", True, flag, "Expose the test inbox GET /__test__/otp.")
    serve_server: str = setting("OTP_SERVE_SERVER", "granian", one_of("granian", "uvicorn"), "HTTP server; granian measured ~1.5x uvicorn's throughput here (benchmarks/bench_server_stack.py).")
    # Tokens (otp-suite token).
    token_user_id: str | None = setting("OTP_TOKEN_USER_ID", None, text, "User id (the token's sub claim) of otp-suite token.", default_text="a new random id")
    token_client_id: str | None = setting("OTP_TOKEN_CLIENT_ID", None, text, "Client id (client_id claim) of the token otp-suite token prints.", default_text="the public examples' client id")
    token_lifetime_s: float = setting("OTP_TOKEN_LIFETIME_S", 3600.0, number, "Lifetime of the token otp-suite token prints, seconds.")

    @property
    def is_embedded(self) -> bool:
        """True when no target is configured and the suite runs its reference service."""
        return self.base_url is None

    @property
    def number_ranges(self) -> tuple[NumberRange, ...]:
        """The test number ranges: OTP_TEST_RANGES, or the one range of OTP_TEST_COUNTRY_CODE and OTP_TEST_PHONE_PREFIX."""
        return self.test_ranges or (NumberRange(self.test_country_code, self.test_phone_prefix),)

    def resolved_inbox_url(self) -> str | None:
        """The test inbox URL, defaulting to ``<base>/__test__/otp``; None with a fixed code."""
        if self.inbox_url:
            return self.inbox_url
        if self.fixed_code is not None or self.base_url is None:
            return None
        return self.base_url.rstrip("/") + INBOX_PATH

    def can_mint_tokens(self) -> bool:
        """True when a signing secret is known, so tokens for any user can be made."""
        return bool(self.jwt_secret)

    def target_is_loopback(self) -> bool:
        """True when the target host is a loopback address (or the embedded service)."""
        if self.base_url is None:
            return True
        return is_loopback_url(self.base_url)

    def with_target(self, base_url: str, **changes: Any) -> SuiteConfig:
        """A copy pointed at ``base_url`` (used when the embedded service starts)."""
        return dataclasses.replace(self, base_url=base_url, **changes)

    def public_summary(self) -> dict[str, object]:
        """Settings safe to print or put in a report: no secret, no token."""
        return {
            "target": self.base_url or "embedded reference service",
            "profile": self.env_name or "-",
            "auth": "minted (OTP_JWT_SECRET)" if self.jwt_secret else ("fixed token (OTP_JWT_TOKEN)" if self.jwt_token else "none"),
            "otp source": "fixed code" if self.fixed_code is not None else (self.resolved_inbox_url() or "embedded inbox"),
            "test range": ", ".join(str(described) for described in self.number_ranges),
            **{f"policy.{k}": v for k, v in dataclasses.asdict(self.policy).items()},
        }

    def to_environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """``base`` (default ``os.environ``) without its ``OTP_*`` variables, plus this config as ``OTP_*`` variables.

        The one way the resolved configuration reaches a child process (contract pytest, Locust,
        the reference service): the child's :func:`load_config` rebuilds the same object. The
        profile is already applied, so OTP_ENV is not passed on; secrets travel only this way,
        never on a command line, where ``ps`` shows them.
        """
        environment = {key: value for key, value in (os.environ if base is None else base).items() if not key.startswith("OTP_")}
        for name, described in SETTINGS.items():
            if not described.in_profile:
                continue
            value = described.to_text(getattr(self, name) if hasattr(self, name) else getattr(self.policy, name))
            if value is not None:
                environment[described.variable] = value
        return environment


def is_loopback_url(url: str) -> bool:
    """True when ``url``'s host is ``localhost`` or an address in 127.0.0.0/8 or ::1."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


#: Every setting by field name (policy fields by their own name), in declaration order.
SETTINGS: dict[str, Setting] = {**dict(settings_of(SuiteConfig)), **dict(settings_of(OtpPolicy))}
_POLICY_FIELDS = frozenset(name for name, _ in settings_of(OtpPolicy))
_BY_VARIABLE: dict[str, tuple[str, Setting]] = {described.variable: (name, described) for name, described in SETTINGS.items()}

#: Every variable the suite reads, for help texts, docs and tests.
KNOWN_VARIABLES = tuple(_BY_VARIABLE)


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
    unknown = sorted(variable for variable in profile if variable not in _BY_VARIABLE or not _BY_VARIABLE[variable][1].in_profile)
    if unknown:
        raise ConfigError(f"profile {name!r} in {path} sets unknown keys {', '.join(unknown)}; see README 'Configuration' for the names")
    return profile


def load_config(environ: Mapping[str, str] | None = None, /, **overrides: object) -> SuiteConfig:
    """Build the :class:`SuiteConfig` from a profile and ``environ`` (default: ``os.environ``).

    ``overrides`` are field values given on the command line (None: not given); they win over
    both and go through the same parsers. Variables that are not settings are ignored; a profile
    key that is not one is refused (a typo there would otherwise silently do nothing).
    Raises :class:`ConfigError` with a one-line, fixable message.
    """
    env = dict(os.environ if environ is None else environ)
    profile_name = overrides.pop("env_name", None) or env.get("OTP_ENV") or None
    raw: dict[str, object] = {}
    profile_file = Path(str(overrides.pop("profile_file", None) or env.get("OTP_PROFILE_FILE") or DEFAULT_PROFILE_FILE))
    if profile_name:
        raw.update(read_profile(profile_file, str(profile_name)))
    raw.update({key: value for key, value in env.items() if key in _BY_VARIABLE and _BY_VARIABLE[key][1].in_profile and value != ""})
    values: dict[str, object] = {}
    policy_values: dict[str, object] = {}
    for variable, value in raw.items():
        name, described = _BY_VARIABLE[variable]
        (policy_values if name in _POLICY_FIELDS else values)[name] = described.parse(variable, value)
    for name, value in overrides.items():
        if name not in SETTINGS:
            raise TypeError(f"load_config() got an unknown setting {name!r}")
        if value is None or value == ():
            continue
        described = SETTINGS[name]
        (policy_values if name in _POLICY_FIELDS else values)[name] = value if isinstance(value, Path) else described.parse(described.variable, value)
    config = SuiteConfig(env_name=str(profile_name) if profile_name else None, profile_file=profile_file, policy=OtpPolicy(**policy_values), **values)  # type: ignore[arg-type]
    if config.jwt_secret and config.jwt_token:
        raise ConfigError("OTP_JWT_SECRET and OTP_JWT_TOKEN are both set; set only one (the secret lets the suite mint tokens)")
    return config
