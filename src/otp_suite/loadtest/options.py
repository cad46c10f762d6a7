"""How a load run is driven: users, spawn rate, run time, shape, tags, workers and SLOs.

Precedence, like the rest of the suite: defaults < profile (OTP_ENV) < OTP_* variables < command line.
The profile and variables arrive already merged in :class:`SuiteConfig`; :func:`load_options`
lays the command line over them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from otp_suite.config import PROJECT_ROOT, ConfigError, SuiteConfig
from otp_suite.loadtest.baseline import BaselineError, parse_max_regression, read_baseline
from otp_suite.loadtest.mix import FLOW_NAMES, FlowMixError, parse_flow_mix
from otp_suite.loadtest.shapes import ShapeError, parse_shape_params
from otp_suite.loadtest.slo import DEFAULT_SLOS, SloError, SloThreshold, run_slos

DEFAULT_LOCUSTFILE = PROJECT_ROOT / "load" / "locustfile.py"
DEFAULT_USERS = 10
DEFAULT_SPAWN_RATE = 5.0
DEFAULT_RUN_TIME = "30s"
_TIMESPAN = re.compile(r"(?P<bare>\d+)|(?:(?P<hours>\d+)h)?(?:(?P<minutes>\d+)m)?(?:(?P<seconds>\d+)s)?")
#: Locust rejects more; the phone-number lanes (worker index, 2 digits) allow 100.
MAX_WORKERS = 100
#: Containers and pods take longer to start than local processes.
REMOTE_WORKERS_WAIT_S = 180


@dataclass(frozen=True)
class LoadOptions:
    """One load run's settings (the target and its policy live in :class:`SuiteConfig`)."""

    users: int = DEFAULT_USERS
    spawn_rate: float = DEFAULT_SPAWN_RATE
    run_time_s: int = 30
    shape: str = "steady"
    shape_params: str = ""
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    workers: int = 0
    #: Workers started elsewhere (other machines, containers) that join this master on ``master_port``.
    remote_workers: int = 0
    master_port: int = 5557
    slos: tuple[SloThreshold, ...] = DEFAULT_SLOS
    #: Flows started per second on schedule (the open model); 0: Locust's closed model of ``users``.
    arrival_rate: float = 0.0
    #: Arrival-rate mode: running flows per process at most (0: the locustfile's default).
    max_flows: int = 0
    locustfile: Path = DEFAULT_LOCUSTFILE
    #: Time for Locust (and its workers) to start and to write its reports, on top of the run time.
    grace_s: float = 90.0
    #: Lengthen the run (up to OTP_MAX_WAIT_S) so every operation with an SLO is sampled
    #: (otp_suite.loadtest.coverage); False when the user named the run time, which is then kept.
    measure_every_slo: bool = True
    #: Also write every request to ``locust_samples.csv`` (memory grows with the run: short runs only).
    samples_csv: bool = False
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


def load_options(
    config: SuiteConfig,
    *,
    users: int | None = None,
    spawn_rate: float | None = None,
    run_time: str | None = None,
    shape: str | None = None,
    shape_params: str | None = None,
    tags: Sequence[str] = (),
    exclude_tags: Sequence[str] = (),
    workers: int | None = None,
    remote_workers: int = 0,
    master_port: int = 5557,
    slo: Sequence[str] = (),
    arrival_rate: float | None = None,
    max_flows: int | None = None,
    samples_csv: bool | None = None,
    baseline: Path | None = None,
    max_regression: Sequence[str] = (),
) -> LoadOptions:
    """Options from the command line over ``config``'s profile/variable values over the defaults.

    Raises :class:`ConfigError` naming the bad setting and how to write it.
    """
    users = users if users is not None else (config.load_users if config.load_users is not None else DEFAULT_USERS)
    spawn_rate = spawn_rate if spawn_rate is not None else (config.load_spawn_rate if config.load_spawn_rate is not None else DEFAULT_SPAWN_RATE)
    workers = workers if workers is not None else (config.load_workers or 0)
    if users < 1:
        raise ConfigError(f"--users / OTP_LOAD_USERS={users} must be at least 1")
    if spawn_rate <= 0:
        raise ConfigError(f"--spawn-rate / OTP_LOAD_SPAWN_RATE={spawn_rate:g} must be above 0 users per second")
    if not 0 <= workers <= MAX_WORKERS:
        raise ConfigError(f"--workers / OTP_LOAD_WORKERS={workers} must be between 0 (one process) and {MAX_WORKERS}")
    if not 0 <= workers + remote_workers <= MAX_WORKERS:
        raise ConfigError(f"--workers plus --expect-workers is {workers + remote_workers}; at most {MAX_WORKERS} workers can have their own phone-number lane")
    unknown = sorted((set(tags) | set(exclude_tags)) - set(FLOW_NAMES))
    if unknown:
        raise ConfigError(f"--tags / --exclude-tags name unknown flows {', '.join(unknown)}; the flows are {', '.join(FLOW_NAMES)}")
    arrival_rate = arrival_rate or 0.0
    max_flows = max_flows or 0
    if arrival_rate < 0:
        raise ConfigError(f"--arrival-rate / OTP_ARRIVAL_RATE={arrival_rate:g} must be above 0 flows per second (or 0 for Locust's closed model)")
    if max_flows < 0:
        raise ConfigError(f"--max-flows / OTP_ARRIVAL_MAX_FLOWS={max_flows} must be at least 1 (or 0 for the default)")
    shape = shape or config.load_shape or "steady"
    shape_params = shape_params if shape_params is not None else (config.load_shape_params or "")
    baseline = baseline if baseline is not None else config.baseline
    regression_limits = (config.max_regression or "", *max_regression)
    try:
        parse_shape_params(shape, shape_params)
        parse_flow_mix(config.flow_mix)
        slos = run_slos(arrival_rate, [config.slo or "", *slo])
        parse_max_regression(regression_limits)
        if baseline is not None:
            read_baseline(baseline)  # a missing or broken baseline is a setup error, found before the run
    except (ShapeError, FlowMixError, SloError, BaselineError) as error:
        raise ConfigError(str(error)) from None
    return LoadOptions(
        users=users,
        spawn_rate=spawn_rate,
        run_time_s=parse_run_time(run_time or config.load_run_time or DEFAULT_RUN_TIME),
        shape=shape,
        shape_params=shape_params,
        tags=tuple(tags),
        exclude_tags=tuple(exclude_tags),
        workers=workers,
        remote_workers=remote_workers,
        master_port=master_port,
        slos=slos,
        arrival_rate=arrival_rate,
        max_flows=max_flows,
        measure_every_slo=run_time is None and not config.load_run_time,
        samples_csv=config.load_samples_csv if samples_csv is None else samples_csv,
        baseline=baseline,
        max_regression=tuple(item for item in regression_limits if item),
    )
