"""What one Locust process of a load run knows: built once in ``events.init``, reached from the environment.

The locustfile builds a :class:`LocustRun` in its init listener (configuration, flow mix, pacing,
the target) and keeps it on Locust's environment (:func:`attach`, :func:`run_of`), so nothing is
read at import (``locust -f load/locustfile.py --help`` works with a broken configuration) and
no class serves as a mutable global.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from otp_suite.config import SuiteConfig, load_config
from otp_suite.loadtest.identities import TestNumbers
from otp_suite.loadtest.mix import parse_flow_mix
from otp_suite.loadtest.pacing import DEFAULT_THINK_TIME_S, Pacing

_ATTRIBUTE = "otp_suite_run"

#: Seconds without a worker's heartbeat (one a second) before the master counts it missing. Locust's
#: default is 3, and with every worker missing it stops the test for good: a worker whose process
#: is starved while it spawns users (a loaded CI machine) missed that, and a 60 s run ended with no
#: request sent. A worker that is really gone is still found, 30 s later.
WORKER_MISSING_AFTER_S = 30


def tolerate_busy_workers() -> None:
    """Raise the master's heartbeat allowance to :data:`WORKER_MISSING_AFTER_S` (Locust reads the
    module constant each time it counts heartbeats; its maintainers point to it for this), and let
    the master's log (kept at WARNING otherwise) say when a worker joins or goes missing: the
    runner reads it to refuse a run Locust stopped early."""
    import logging

    import locust.runners

    locust.runners.HEARTBEAT_LIVENESS = WORKER_MISSING_AFTER_S
    logging.getLogger("locust.runners").setLevel(logging.INFO)


@dataclass
class LocustRun:
    """One Locust process's configuration and its few pieces of shared state."""

    config: SuiteConfig
    mix: dict[str, int]
    pacing: Pacing
    #: The embedded reference service this process started (no OTP_BASE_URL), stopped when Locust quits.
    embedded_service: Any = None
    #: The live watch of this test (abort on breach, /metrics: otp_suite.loadtest.live_run), judging process only.
    live: Any = None
    #: True while this process's arrival-rate scheduler runs (there is never a second one).
    scheduler_running: bool = False
    _numbers: TestNumbers | None = field(default=None, repr=False)

    def numbers(self, lane: int) -> TestNumbers:
        """This process's test numbers (one lane per worker, shared by its users)."""
        if self._numbers is None:
            self._numbers = TestNumbers(self.config, lane=max(0, lane))
        return self._numbers

    def inbox_url(self) -> str | None:
        """Where OTPs are read (None with a fixed code)."""
        return None if self.config.fixed_code else self.config.resolved_inbox_url()

    def with_config(self, config: SuiteConfig) -> None:
        """Point this run at ``config`` (the embedded service, or another --host), pacing following its policy."""
        self.config = config
        self.pacing = Pacing(config.policy, self.pacing.think_time_s)


def build_run() -> LocustRun:
    """The run of this process from the suite's configuration (OTP_* variables, OTP_ENV profile).

    Raises ConfigError or FlowMixError naming the bad setting.
    """
    config = load_config()
    mix = parse_flow_mix(config.flow_mix)
    think_s = config.think_time_s if config.think_time_s is not None else DEFAULT_THINK_TIME_S
    return LocustRun(config, mix, Pacing(config.policy, think_s))


def attach(environment: Any, run: LocustRun) -> None:
    """Keep ``run`` on Locust's ``environment``."""
    setattr(environment, _ATTRIBUTE, run)


def run_of(environment: Any) -> LocustRun:
    """The run :func:`attach` kept on ``environment``."""
    run: LocustRun | None = getattr(environment, _ATTRIBUTE, None)
    if run is None:
        raise RuntimeError("no otp-suite run on this Locust environment: the locustfile's init listener did not run")
    return run
