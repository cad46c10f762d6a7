"""Latency measured from when a request was due, not from when it was sent (coordinated-omission correction).

Locust measures a request from the moment it was sent. When the service stalls, the requests that
*should* have been sent during the stall are sent late (or, in the closed model, not at all), and
their wait never shows. As in wrk2 and HdrHistogram, the corrected latency of a request is measured
from its **intended start**:

* a **flow** in arrival-rate mode is due at its slot of the schedule; its corrected time is its
  service time (the sum of its requests, as Locust's ``flow`` entry) plus how late it started;
* a **step** (register, resend, inbox, verify) of a scheduled flow was due when it would have been
  sent had the flow started on schedule and every earlier step taken its operation's usual time,
  the median *known so far* by the process that recorded it (the planned pauses are the flow's
  own). Its corrected latency is therefore its own latency, plus the flow's late start, plus what
  each earlier step took beyond its operation's median: a verify that waits behind a stalled
  register is charged the stall, as a user would have seen it;
* in Locust's closed model nothing is scheduled, a request is due when it is sent, and the
  corrected figures are Locust's own.

The correction is made online, where the request is recorded (each worker, or the single
process), as each request ends: it needs only the running flow's charge so far and a median per
operation, read from that process's own histogram of the operation (refreshed as it fills). Until
issue 15 the medians were the whole run's, known only at its end; see docs/latency-correction.md
for what changes. Figures are kept in HdrHistograms (otp_suite.loadtest.latency_histograms), not
as samples; the per-sample CSV is an opt-in for short runs (``--samples-csv``).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from hdrh.histogram import HdrHistogram

from otp_suite.loadtest.latency_histograms import INTERVAL_S, SIGNIFICANT_DIGITS, IntervalRow, LatencyAggregate, new_histogram, percentile_ms, record_ms, rows_from_lists
from otp_suite.report.paths import LocustFiles


class Sample(NamedTuple):
    """One request (or, with ``step`` -1, one flow) as recorded: all a correction needs."""

    name: str
    started: float  # epoch seconds it was sent (a flow: when it started)
    latency_ms: float  # Locust's response time (a flow: its service time)
    flow_id: int
    step: int  # place in its flow; -1 for the flow itself
    late_s: float  # how late its flow started against its schedule
    scheduled: bool
    failed: bool


class CorrectedSample(NamedTuple):
    """A sample with its corrected latency and the moment it was due."""

    sample: Sample
    corrected_ms: float

    @property
    def intended_start(self) -> float:
        return self.sample.started - (self.corrected_ms - self.sample.latency_ms) / 1000


def sample_from_event(name: str, response_time: float | None, start_time: float | None, context: Mapping[str, Any] | None, failed: bool) -> Sample | None:
    """A sample from Locust's request event, or None for a request that is not part of a flow."""
    if not context or "flow_id" not in context or start_time is None:
        return None
    return Sample(
        name,
        float(start_time),
        float(response_time or 0.0),
        int(context["flow_id"]),
        int(context.get("step", -1)),
        float(context.get("flow_late_s", 0.0)),
        bool(context.get("scheduled", False)),
        failed,
    )


class OnlineCorrector:
    """Corrects each sample as it ends, with what this process knows at that moment (module docstring)."""

    def __init__(self) -> None:
        self._histograms: dict[str, HdrHistogram] = {}
        self._medians: dict[str, float] = {}
        #: Running scheduled flows: what their next step is charged (ms), until the flow's own sample.
        self._carried: dict[int, float] = {}

    def median_ms(self, name: str) -> float:
        """The median of ``name``'s latencies recorded so far (0 before the first)."""
        return self._medians.get(name, 0.0)

    def _learn(self, name: str, latency_ms: float) -> None:
        histogram = self._histograms.get(name)
        if histogram is None:
            histogram = self._histograms[name] = new_histogram()
        record_ms(histogram, latency_ms)
        count = histogram.get_total_count()
        # Reading a median walks the histogram: at every doubling early on, then every 1024 requests.
        if count & (count - 1) == 0 or count % 1024 == 0:
            self._medians[name] = percentile_ms(histogram, 50.0)

    def correct(self, sample: Sample) -> float:
        """``sample``'s corrected latency in ms; call in the order the samples end."""
        if sample.step < 0:
            self._carried.pop(sample.flow_id, None)
            return sample.latency_ms + (sample.late_s * 1000 if sample.scheduled else 0.0)
        self._learn(sample.name, sample.latency_ms)
        if not sample.scheduled:
            return sample.latency_ms
        charged = self._carried.get(sample.flow_id, sample.late_s * 1000)
        self._carried[sample.flow_id] = charged + max(0.0, sample.latency_ms - self.median_ms(sample.name))
        return sample.latency_ms + charged


def correct(samples: Iterable[Sample]) -> list[CorrectedSample]:
    """Every sample with its corrected latency, corrected online in the given order (see :class:`OnlineCorrector`)."""
    corrector = OnlineCorrector()
    return [CorrectedSample(sample, corrector.correct(sample)) for sample in samples]


def percentile(ordered: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of already sorted values: the smallest value with ``share`` of all at or below it."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class CorrectedReport:
    """What the judging Locust process writes next to its CSV: figures per entry, per interval, and the schedule."""

    mode: str  # "arrival" or "closed"
    entries: dict[str, dict[str, Any]]
    schedule: dict[str, Any] | None  # ScheduleCounters.as_dict() plus the plan, in arrival mode
    dropped: dict[str, int]
    intervals: list[IntervalRow]
    #: The run-wide HdrHistograms, encoded, by entry and kind ("locust", "corrected").
    histograms: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Why the run was stopped before its run time (--abort-on-breach), or None.
    aborted: dict[str, Any] | None = None


#: Stands for the rows in the JSON document until they are streamed into the file (see write_report).
_ROWS_PLACEHOLDER = "<interval rows>"


def write_report(
    prefix: str | Path, latency: LatencyAggregate, *, schedule: Mapping[str, Any] | None, dropped: Mapping[str, int], samples: Sequence[CorrectedSample] | None = None, aborted: Mapping[str, Any] | None = None
) -> Path:
    """Write ``<prefix>_corrected.json`` from the merged histograms (and ``<prefix>_samples.csv`` when samples were kept); returns the JSON path."""
    latency.close_all()
    figures = latency.entry_figures()
    for name in dropped:
        figures.setdefault(name, {"requests": 0})
    document = {
        "mode": "arrival" if schedule is not None else "closed",
        "entries": figures,
        "dropped": dict(dropped),
        "schedule": dict(schedule) if schedule is not None else None,
        "intervals": {"interval_s": INTERVAL_S, "columns": ["start_s", "entry", "kind", "count", "p50_ms", "p95_ms", "p99_ms"], "rows": _ROWS_PLACEHOLDER},
        "histograms": latency.encoded_totals(),
        "aborted": dict(aborted) if aborted is not None else None,
        "notes": {
            "corrected": "latency from the intended start: a scheduled flow's due time plus, for a step, what the steps before it took beyond their operation's median so far (otp_suite.loadtest.corrected)",
            "percentiles": f"HdrHistogram, {SIGNIFICANT_DIGITS} significant digits (within 0.1%); histograms encoded in HdrHistogram's compressed format, microseconds",
        },
    }
    json_path = LocustFiles(Path(prefix)).corrected_json
    head, tail = json.dumps(document, indent=1).split(json.dumps(_ROWS_PLACEHOLDER))
    with json_path.open("w", encoding="utf-8") as handle:
        # The rows are written one by one, a line each: built whole, the indented JSON of a long
        # soak's rows took tens of MB of the master's memory for a moment, at the very end.
        handle.write(head + "[")
        for number, row in enumerate(latency.rows):
            handle.write(("\n  " if number == 0 else ",\n  ") + json.dumps(row.as_list()))
        handle.write("\n ]" + tail + "\n")
    if samples is not None:
        with LocustFiles(Path(prefix)).samples_csv.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["name", "sent", "latency_ms", "intended_start", "corrected_ms", "failed"])
            for item in sorted(samples, key=lambda c: c.sample.started):
                s = item.sample
                writer.writerow([s.name, f"{s.started:.6f}", f"{s.latency_ms:.3f}", f"{item.intended_start:.6f}", f"{item.corrected_ms:.3f}", int(s.failed)])
    return json_path


def read_report(prefix: str | Path) -> CorrectedReport | None:
    """The report written by :func:`write_report`, or None when Locust wrote none."""
    path = LocustFiles(Path(prefix)).corrected_json
    if not path.is_file():
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    rows = rows_from_lists(document.get("intervals", {}).get("rows", ()))
    return CorrectedReport(document["mode"], document["entries"], document.get("schedule"), {k: int(v) for k, v in document.get("dropped", {}).items()}, rows, document.get("histograms") or {}, document.get("aborted"))


class SampleRow(NamedTuple):
    """One row of ``<prefix>_samples.csv``."""

    name: str
    sent: float
    latency_ms: float
    intended_start: float
    corrected_ms: float
    failed: bool


def read_samples(prefix: str | Path) -> list[SampleRow]:
    """Every corrected sample of a run (empty when there is none)."""
    path = LocustFiles(Path(prefix)).samples_csv
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [SampleRow(row["name"], float(row["sent"]), float(row["latency_ms"]), float(row["intended_start"]), float(row["corrected_ms"]), row["failed"] == "1") for row in csv.DictReader(handle)]
