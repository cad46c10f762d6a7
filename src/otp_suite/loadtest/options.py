"""How a load run is driven: users, spawn rate, run time, shape, tags, workers and SLOs.

Every value is a setting of :class:`SuiteConfig`, declared once there and resolved once by
:func:`otp_suite.config.load_config` (defaults < profile (OTP_ENV) < OTP_* variables < command
line); :func:`load_options` only validates them together and turns them into a run's options,
and :func:`gate_smoke_options` into the gate's smoke. :class:`LoadOptions`'s own defaults are the
settings' defaults, for code that builds a run directly (tests, benchmarks).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from otp_suite.config import PROJECT_ROOT, ConfigError, SuiteConfig
from otp_suite.loadtest.baseline import BaselineError, parse_max_regression, read_baseline
from otp_suite.loadtest.mix import FLOW_NAMES, FlowMixError, parse_flow_mix
from otp_suite.loadtest.shapes import ShapeError, parse_shape_params
from otp_suite.loadtest.slo import DEFAULT_SLOS, SloError, SloThreshold, run_slos

DEFAULT_LOCUSTFILE = PROJECT_ROOT / "load" / "locustfile.py"
#: The run time when OTP_LOAD_RUN_TIME is unset (lengthened when the SLOs need it: coverage.py).
DEFAULT_RUN_TIME_S = 30
DEFAULT_RUN_TIME = f"{DEFAULT_RUN_TIME_S}s"
_TIMESPAN = re.compile(r"(?P<bare>\d+)|(?:(?P<hours>\d+)h)?(?:(?P<minutes>\d+)m)?(?:(?P<seconds>\d+)s)?")
#: Locust rejects more; the phone-number lanes (worker index, 2 digits) allow 100.
MAX_WORKERS = 100
#: Containers and pods take longer to start than local processes.
REMOTE_WORKERS_WAIT_S = 180


def _default(name: str) -> Any:
    """The declared default of the setting ``name`` (a SuiteConfig field)."""
    return SuiteConfig.__dataclass_fields__[name].default


@dataclass(frozen=True)
class LoadOptions:
    """One load run's settings (the target and its policy live in :class:`SuiteConfig`)."""

    users: int = _default("load_users")
    spawn_rate: float = _default("load_spawn_rate")
    run_time_s: int = DEFAULT_RUN_TIME_S
    shape: str = _default("load_shape")
    shape_params: str = _default("load_shape_params")
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    workers: int = _default("load_workers")
    #: Workers started elsewhere (other machines, containers) that join this master on ``master_port``.
    remote_workers: int = _default("load_expect_workers")
    master_port: int = _default("load_master_bind_port")
    slos: tuple[SloThreshold, ...] = DEFAULT_SLOS
    #: Flows started per second on schedule (the open model); 0: Locust's closed model of ``users``.
    arrival_rate: float = _default("arrival_rate")
    #: Arrival-rate mode: running flows per process at most (0: the locustfile's default).
    max_flows: int = _default("arrival_max_flows")
    locustfile: Path = DEFAULT_LOCUSTFILE
    #: Time for Locust (and its workers) to start and to write its reports, on top of the run time.
    grace_s: float = 90.0
    #: Lengthen the run (up to OTP_MAX_WAIT_S) so every operation with an SLO is sampled
    #: (otp_suite.loadtest.coverage); False when the user named the run time, which is then kept.
    measure_every_slo: bool = True
    #: Also write every request to ``locust_samples.csv`` (memory grows with the run: short runs only).
    samples_csv: bool = _default("load_samples_csv")
    #: An earlier run's summary.json to compare with (otp_suite.loadtest.baseline), and the thresholds.
    baseline: Path | None = None
    max_regression: tuple[str, ...] = ()
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def hard_timeout_s(self) -> float:
        """After this long every Locust process of the run is killed, whatever it is doing."""
        return self.run_time_s + self.grace_s + (REMOTE_WORKERS_WAIT_S if self.remote_workers else 0)

    @property
    def workers_wait_s(self) -> int:
        """How long the master waits for all its workers to join before giving up (exit 2)."""
        return int(self.grace_s / 2) + (REMOTE_WORKERS_WAIT_S if self.remote_workers else 0)

    @property
    def is_distributed(self) -> bool:
        return bool(self.workers or self.remote_workers)

    @property
    def is_arrival_rate(self) -> bool:
        """True in the open model: flows start on schedule, not when a user is free."""
        return self.arrival_rate > 0


def parse_run_time(text: str, source: str = "--run-time / OTP_LOAD_RUN_TIME") -> int:
    """``"30s"``, ``"5m"``, ``"1h30m"`` or ``"90"`` -> seconds (Locust's own format); at least 1 s."""
    # Locust's own format, parsed here: importing locust would monkey-patch this (non-gevent) process.
    match = _TIMESPAN.fullmatch(str(text).strip())
    if not match or not any(match.groups()):
        raise ConfigError(f"{source}={text!r} is not a time span; write it like 30s, 5m or 1h30m")
    if match.group("bare"):
        seconds = int(match.group("bare"))
    else:
        hours, minutes, secs = (int(match.group(g) or 0) for g in ("hours", "minutes", "seconds"))
        seconds = hours * 3600 + minutes * 60 + secs
    if seconds < 1:
        raise ConfigError(f"{source}={text!r} must be at least 1s; every load run needs a run time so it stops by itself")
    return seconds


def load_options(config: SuiteConfig, *, slo: Sequence[str] = (), max_regression: Sequence[str] = ()) -> LoadOptions:
    """The load run ``config`` describes: every value is its setting's, already resolved by
    :func:`otp_suite.config.load_config` (profile < variables < command-line options).

    ``slo`` and ``max_regression`` are entries laid over OTP_SLO / OTP_MAX_REGRESSION (a later
    entry for the same figure wins), so ``--slo`` can change one SLO and keep the profile's others.
    Raises :class:`ConfigError` naming the bad setting and how to write it.
    """
    workers, remote_workers = config.load_workers, config.load_expect_workers
    if config.load_users < 1:
        raise ConfigError(f"--users / OTP_LOAD_USERS={config.load_users} must be at least 1")
    if config.load_spawn_rate <= 0:
        raise ConfigError(f"--spawn-rate / OTP_LOAD_SPAWN_RATE={config.load_spawn_rate:g} must be above 0 users per second")
    if not 0 <= workers <= MAX_WORKERS:
        raise ConfigError(f"--workers / OTP_LOAD_WORKERS={workers} must be between 0 (one process) and {MAX_WORKERS}")
    if not 0 <= workers + remote_workers <= MAX_WORKERS:
        raise ConfigError(f"--workers plus --expect-workers is {workers + remote_workers}; at most {MAX_WORKERS} workers can have their own phone-number lane")
    unknown = sorted((set(config.load_tags) | set(config.load_exclude_tags)) - set(FLOW_NAMES))
    if unknown:
        raise ConfigError(f"--tags / --exclude-tags name unknown flows {', '.join(unknown)}; the flows are {', '.join(FLOW_NAMES)}")
    regression_limits = (config.max_regression or "", *max_regression)
    try:
        parse_shape_params(config.load_shape, config.load_shape_params)
        parse_flow_mix(config.flow_mix)
        slos = run_slos(config.arrival_rate, [config.slo or "", *slo])
        parse_max_regression(regression_limits)
        if config.baseline is not None:
            read_baseline(config.baseline)  # a missing or broken baseline is a setup error, found before the run
    except (ShapeError, FlowMixError, SloError, BaselineError) as error:
        raise ConfigError(str(error)) from None
    return LoadOptions(
        users=config.load_users,
        spawn_rate=config.load_spawn_rate,
        run_time_s=parse_run_time(config.load_run_time or DEFAULT_RUN_TIME),
        shape=config.load_shape,
        shape_params=config.load_shape_params,
        tags=config.load_tags,
        exclude_tags=config.load_exclude_tags,
        workers=workers,
        remote_workers=remote_workers,
        master_port=config.load_master_bind_port,
        slos=slos,
        arrival_rate=config.arrival_rate,
        max_flows=config.arrival_max_flows,
        measure_every_slo=not config.load_run_time,
        samples_csv=config.load_samples_csv,
        baseline=config.baseline,
        max_regression=tuple(item for item in regression_limits if item),
    )


def gate_smoke_options(config: SuiteConfig) -> LoadOptions:
    """The gate's load smoke: its size from the gate's settings (OTP_GATE_SMOKE_USERS,
    OTP_GATE_SMOKE_RUN_TIME, OTP_ARRIVAL_RATE), its SLOs from OTP_SLO; every other load setting
    at its default, so a profile tuned for long load runs does not change the gate.

    In arrival-rate mode the latency SLOs judge the corrected percentiles (issue 6).
    Raises :class:`ConfigError` for a bad OTP_SLO.
    """
    try:
        slos = run_slos(config.arrival_rate, [config.slo or ""])
    except SloError as error:
        raise ConfigError(str(error)) from None
    users = config.gate_smoke_users
    return LoadOptions(users=users, spawn_rate=float(users), run_time_s=max(1, round(config.gate_smoke_run_time)), slos=slos, arrival_rate=config.arrival_rate)
