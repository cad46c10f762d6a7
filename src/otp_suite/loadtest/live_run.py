"""The judging Locust process's watch over its run: the SLOs every second, abort on breach, /metrics.

Started by the locustfile when a test starts, in the master or the single process (never in a
worker), when ``--abort-on-breach`` or ``--metrics-port`` asks for it. Imported by the locustfile
only: it runs in a greenlet of Locust's gevent loop.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import gevent
from prometheus_client import CollectorRegistry, start_http_server

from otp_suite.config import SuiteConfig
from otp_suite.loadtest.breach_watch import CHECK_EVERY_S, Breach, BreachWatch, watched
from otp_suite.loadtest.latency_collector import LatencyCollector
from otp_suite.loadtest.live_figures import entries_now
from otp_suite.loadtest.metrics import LoadCollector, RunNow
from otp_suite.loadtest.slo import run_slos

log = logging.getLogger("otp-suite")


class LiveRun:
    """One run's live watch (see the module docstring)."""

    def __init__(self, environment: Any, config: SuiteConfig, latency: LatencyCollector) -> None:
        self._environment = environment
        self._config = config
        self._latency = latency
        self.watch = BreachWatch(watched(run_slos(config.arrival_rate, [config.slo or ""])))
        self.breach: Breach | None = None
        self._started = time.monotonic()
        self._greenlet: gevent.Greenlet | None = None
        self._server: Any = None

    def start(self) -> None:
        """Look every second; serve /metrics when a port is configured."""
        if self._config.metrics_port:
            registry = CollectorRegistry()
            registry.register(LoadCollector(self._run_now, self.watch))
            self._server, _ = start_http_server(self._config.metrics_port, addr=self._config.metrics_host, registry=registry)
            log.warning("otp-suite: live metrics at http://%s:%d/metrics", self._config.metrics_host, self._config.metrics_port)
        self._greenlet = gevent.spawn(self._keep_looking)

    def stop(self) -> None:
        """Stop looking and serving."""
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _run_now(self) -> RunNow:
        runner = self._environment.runner
        plan = self._latency.plan or {}
        return RunNow(entries_now(self._environment.stats, self._latency.latency), int(getattr(runner, "user_count", 0) or 0), float(plan.get("rate", 0.0)), self.breach is not None)

    def _keep_looking(self) -> None:
        while True:
            gevent.sleep(CHECK_EVERY_S)
            self.look()

    def look(self) -> None:
        """Judge the SLOs on the figures so far; stop the run on a breach beyond doubt when asked to."""
        breach = self.watch.look(time.monotonic() - self._started, entries_now(self._environment.stats, self._latency.latency))
        if breach is None or self.breach is not None or not self._config.abort_on_breach:
            return
        self.breach = breach
        self._latency.aborted = breach.as_dict()
        log.error("otp-suite: stopping the run (--abort-on-breach): %s", breach.reason())
        self._environment.runner.quit()
