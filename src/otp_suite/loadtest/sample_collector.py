"""Every request's sample, gathered where the run is judged, for the corrected latency figures.

Locust's own statistics keep rounded buckets; the corrected figures need each request with its
flow and due time. A single process records them from Locust's ``request`` event. In a distributed
run each worker ships the samples (and its schedule counters) recorded since its last report with
Locust's periodic worker report (``report_to_master``), the master gathers them
(``worker_report``), and only the master computes: when Locust quits (after the workers' final
reports) it writes ``<csv prefix>_corrected.json`` and ``<csv prefix>_samples.csv``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from otp_suite.loadtest.arrival import ScheduleCounters, dropped_per_entry
from otp_suite.loadtest.corrected import Sample, sample_from_event, write_report

log = logging.getLogger("otp-suite")

SAMPLES_KEY = "otp_samples"
SCHEDULE_KEY = "otp_schedule"


class SampleCollector:
    """Listens on one Locust process's events; see the module docstring for who does what."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.counters = ScheduleCounters()
        #: Set by the locustfile in arrival-rate mode: rate, max_in_flight, tolerance_s.
        self.plan: dict[str, Any] | None = None
        self._environment: Any = None
        self._recording = True

    def attach(self, events: Any) -> None:
        """Subscribe to ``events`` (a locust.event.Events)."""
        events.init.add_listener(self._on_init)
        events.test_start.add_listener(self._on_test_start)
        events.test_stop.add_listener(self._on_test_stop)
        events.request.add_listener(self._on_request)
        events.report_to_master.add_listener(self._on_report_to_master)
        events.worker_report.add_listener(self._on_worker_report)
        events.quit.add_listener(self._on_quit)

    @property
    def _options(self) -> Any:
        return getattr(self._environment, "parsed_options", None)

    def _on_init(self, environment: Any, **kwargs: Any) -> None:
        self._environment = environment

    def _on_test_start(self, environment: Any, **kwargs: Any) -> None:
        self.samples.clear()  # a new test from the web UI starts afresh, like Locust's own stats
        self.counters = ScheduleCounters()
        self._recording = True

    def _on_test_stop(self, environment: Any, **kwargs: Any) -> None:
        # Flows cut off by the stop may still finish; Locust's statistics are final by now, and so are these.
        self._recording = False

    def _on_request(self, name: str, response_time: float | None = None, context: Mapping[str, Any] | None = None, exception: BaseException | None = None, start_time: float | None = None, **kwargs: Any) -> None:
        sample = sample_from_event(name, response_time, start_time, context, exception is not None)
        if sample is not None and self._recording:
            self.samples.append(sample)

    def _on_report_to_master(self, client_id: str, data: dict[str, Any], **kwargs: Any) -> None:
        # msgpack carries lists, not named tuples; the master rebuilds them.
        data[SAMPLES_KEY] = [list(sample) for sample in self.samples]
        self.samples.clear()
        data[SCHEDULE_KEY] = self.counters.take()

    def _on_worker_report(self, client_id: str, data: dict[str, Any], **kwargs: Any) -> None:
        self.samples.extend(Sample(*row) for row in data.get(SAMPLES_KEY, ()))
        self.counters.add(data.get(SCHEDULE_KEY, {}))

    def _on_quit(self, exit_code: int = 0, **kwargs: Any) -> None:
        options = self._options
        if options is None or options.worker:
            return
        prefix = options.csv_prefix
        arrival = self.plan is not None
        schedule = {**self.plan, **self.counters.as_dict()} if arrival and self.plan is not None else None
        dropped = dropped_per_entry(self.counters.dropped_by_flow()) if arrival else {}
        if arrival:
            log.info("otp-suite arrival schedule: %d flows due, %d started, %d dropped", self.counters.scheduled, self.counters.started, self.counters.dropped)
        if prefix:
            write_report(prefix, self.samples, schedule=schedule, dropped=dropped)
