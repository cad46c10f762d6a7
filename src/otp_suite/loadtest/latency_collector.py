"""Each request's latency, recorded where it ends and merged where the run is judged.

A load process (the single local one, or each worker) listens to Locust's ``request`` event,
corrects each request of a flow online (:class:`otp_suite.loadtest.corrected.OnlineCorrector`) and
records Locust's and the corrected latency in per-interval HdrHistograms
(:class:`otp_suite.loadtest.latency_histograms.IntervalRecorder`). A worker ships what it recorded
with Locust's periodic worker report (``report_to_master``, every 3 s) together with its schedule
counters; the master merges (``worker_report``). A single process merges its own recordings as
each interval passes. When Locust quits (after the workers' final reports) the judging process
writes ``<csv prefix>_corrected.json``, and, only when asked (``--samples-csv``, for short runs),
``<csv prefix>_samples.csv`` with every request: the samples then travel to the master as well.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from otp_suite.loadtest.arrival import ScheduleCounters, dropped_per_entry
from otp_suite.loadtest.corrected import CorrectedSample, OnlineCorrector, Sample, sample_from_event, write_report
from otp_suite.loadtest.latency_histograms import CORRECTED, LOCUST, IntervalRecorder, LatencyAggregate, interval_of

log = logging.getLogger("otp-suite")

HISTOGRAMS_KEY = "otp_latency"
SAMPLES_KEY = "otp_samples"
SCHEDULE_KEY = "otp_schedule"


class LatencyCollector:
    """Listens on one Locust process's events; see the module docstring for who does what."""

    def __init__(self) -> None:
        self.corrector = OnlineCorrector()
        self.recorder = IntervalRecorder()
        self.latency = LatencyAggregate()
        self.counters = ScheduleCounters()
        #: Every corrected sample, only with --samples-csv (None otherwise: constant memory).
        self.samples: list[CorrectedSample] | None = None
        #: Set by the locustfile in arrival-rate mode: rate, max_in_flight, tolerance_s.
        self.plan: dict[str, Any] | None = None
        #: Set when the run was stopped on a breach (otp_suite.loadtest.breach_watch.Breach.as_dict()).
        self.aborted: dict[str, Any] | None = None
        #: Bytes of encoded histograms shipped (a worker) or received (the master): what the benchmark prints.
        self.bytes_shipped = 0
        self._environment: Any = None
        self._recording = True
        self._merged_interval = interval_of(time.time())

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

    @property
    def _is_worker(self) -> bool:
        return bool(getattr(self._options, "worker", False))

    def _on_init(self, environment: Any, **kwargs: Any) -> None:
        self._environment = environment
        if getattr(self._options, "samples_csv", False):
            self.samples = []

    def _on_test_start(self, environment: Any, **kwargs: Any) -> None:
        # A new test from the web UI starts afresh, like Locust's own statistics.
        self.corrector, self.recorder, self.latency, self.counters = OnlineCorrector(), IntervalRecorder(), LatencyAggregate(), ScheduleCounters()
        self.samples = [] if self.samples is not None else None
        self._recording = True

    def _on_test_stop(self, environment: Any, **kwargs: Any) -> None:
        # Flows cut off by the stop may still finish; Locust's statistics are final by now, and so are these.
        self._recording = False

    def _on_request(self, name: str, response_time: float | None = None, context: Mapping[str, Any] | None = None, exception: BaseException | None = None, start_time: float | None = None, **kwargs: Any) -> None:
        sample = sample_from_event(name, response_time, start_time, context, exception is not None)
        if sample is None or not self._recording:
            return
        self.record(sample)
        if not self._is_worker:
            self._merge_own(time.time())

    def record(self, sample: Sample) -> CorrectedSample:
        """Correct and record one sample (what the request listener does; the benchmark calls it directly)."""
        corrected = CorrectedSample(sample, self.corrector.correct(sample))
        self.recorder.record(sample.name, LOCUST, sample.started, sample.latency_ms)
        self.recorder.record(sample.name, CORRECTED, corrected.intended_start, corrected.corrected_ms)
        if self.samples is not None:
            self.samples.append(corrected)
        return corrected

    def _merge_own(self, now: float) -> None:
        # A single process is its own master: it merges once per interval, as a worker would ship.
        interval = interval_of(now)
        if interval != self._merged_interval:
            self._merged_interval = interval
            self.latency.add_counts(self.recorder.take_counts())  # no encoding within one process

    def report(self) -> dict[str, Any]:
        """What a worker adds to its report to the master: the histograms since the last report, the counters, (opt-in) the samples."""
        shipped = self.recorder.take()
        self.bytes_shipped += sum(len(item[3]) for item in shipped)
        data: dict[str, Any] = {HISTOGRAMS_KEY: shipped, SCHEDULE_KEY: self.counters.take()}
        if self.samples is not None:
            # msgpack carries lists, not named tuples; the master rebuilds them.
            data[SAMPLES_KEY] = [[*item.sample, item.corrected_ms] for item in self.samples]
            self.samples.clear()
        return data

    def merge(self, data: Mapping[str, Any]) -> None:
        """Merge one worker's report (see :meth:`report`)."""
        self.latency.add(data.get(HISTOGRAMS_KEY, ()))
        self.counters.add(data.get(SCHEDULE_KEY, {}))
        if self.samples is not None:
            self.samples.extend(CorrectedSample(Sample(*row[:-1]), float(row[-1])) for row in data.get(SAMPLES_KEY, ()))

    def _on_report_to_master(self, client_id: str, data: dict[str, Any], **kwargs: Any) -> None:
        data.update(self.report())

    def _on_worker_report(self, client_id: str, data: dict[str, Any], **kwargs: Any) -> None:
        self.merge(data)

    def _on_quit(self, exit_code: int = 0, **kwargs: Any) -> None:
        options = self._options
        if options is None or options.worker:
            return
        self.latency.add_counts(self.recorder.take_counts())  # a single process's last interval (a master records nothing)
        prefix = options.csv_prefix
        arrival = self.plan is not None
        schedule = {**self.plan, **self.counters.as_dict()} if arrival and self.plan is not None else None
        dropped = dropped_per_entry(self.counters.dropped_by_flow()) if arrival else {}
        if arrival:
            log.info("otp-suite arrival schedule: %d flows due, %d started, %d dropped", self.counters.scheduled, self.counters.started, self.counters.dropped)
        if prefix:
            write_report(prefix, self.latency, schedule=schedule, dropped=dropped, samples=self.samples, aborted=self.aborted)
