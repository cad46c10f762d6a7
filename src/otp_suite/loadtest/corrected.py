"""Latency measured from when a request was due, not from when it was sent (coordinated-omission correction).

Locust measures a request from the moment it was sent. When the service stalls, the requests that
*should* have been sent during the stall are sent late (or, in the closed model, not at all), and
their wait never shows. As in wrk2 and HdrHistogram, the corrected latency of a request is measured
from its **intended start**:

* a **flow** in arrival-rate mode is due at its slot of the schedule; its corrected time is its
  service time (the sum of its requests, as Locust's ``flow`` entry) plus how late it started;
* a **step** (register, resend, inbox, verify) of a scheduled flow was due when it would have been
  sent had the flow started on schedule and every earlier step taken its operation's median time
  (the planned pauses are the flow's own). Its corrected latency is therefore its own latency,
  plus the flow's late start, plus what each earlier step took beyond its operation's median: a
  verify that waits behind a stalled register is charged the stall, as a user would have seen it;
* in Locust's closed model nothing is scheduled, a request is due when it is sent, and the
  corrected figures are the exact percentiles of Locust's own samples.

Every sample is kept (a 10-minute run at 100 flows/s is a few hundred thousand), so the
percentiles are exact (nearest rank), not Locust's rounded buckets. They are computed once, by the
process that judges: the local runner, or the master, to which workers ship their samples.
"""

from __future__ import annotations

import csv
import json
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

FLOW_ENTRY = "flow"
PERCENTILES = (0.50, 0.95, 0.99)
CORRECTED_SUFFIX = "_corrected.json"
SAMPLES_SUFFIX = "_samples.csv"


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


def correct(samples: Iterable[Sample]) -> list[CorrectedSample]:
    """Every sample with its corrected latency (see the module docstring for the rule)."""
    samples = list(samples)
    by_name: dict[str, list[float]] = defaultdict(list)
    steps_by_flow: dict[int, list[Sample]] = defaultdict(list)
    for sample in samples:
        if sample.step >= 0:
            by_name[sample.name].append(sample.latency_ms)
            if sample.scheduled:
                steps_by_flow[sample.flow_id].append(sample)
    medians = {name: statistics.median(values) for name, values in by_name.items()}
    charge: dict[tuple[int, int], float] = {}
    for flow_id, steps in steps_by_flow.items():
        steps.sort(key=lambda s: s.step)
        carried = steps[0].late_s * 1000
        for step in steps:
            charge[(flow_id, step.step)] = carried
            carried += max(0.0, step.latency_ms - medians[step.name])
    corrected = []
    for sample in samples:
        if not sample.scheduled:
            extra = 0.0
        elif sample.step < 0:
            extra = sample.late_s * 1000
        else:
            extra = charge[(sample.flow_id, sample.step)]
        corrected.append(CorrectedSample(sample, sample.latency_ms + extra))
    return corrected


def percentile(ordered: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of already sorted values: the smallest value with ``share`` of all at or below it."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _key(share: float) -> str:
    return f"p{round(share * 100)}"


def entry_figures(corrected: Iterable[CorrectedSample]) -> dict[str, dict[str, float | int]]:
    """Per entry: requests, exact uncorrected and corrected p50/p95/p99 and max, in ms."""
    raw: dict[str, list[float]] = defaultdict(list)
    fixed: dict[str, list[float]] = defaultdict(list)
    for item in corrected:
        raw[item.sample.name].append(item.sample.latency_ms)
        fixed[item.sample.name].append(item.corrected_ms)
    figures: dict[str, dict[str, float | int]] = {}
    for name in raw:
        measured, due = sorted(raw[name]), sorted(fixed[name])
        entry: dict[str, float | int] = {"requests": len(measured)}
        for share in PERCENTILES:
            entry[f"{_key(share)}_exact_ms"] = round(percentile(measured, share), 3)
            entry[f"{_key(share)}_corrected_ms"] = round(percentile(due, share), 3)
        entry["max_corrected_ms"] = round(due[-1], 3)
        figures[name] = entry
    return figures


@dataclass(frozen=True)
class CorrectedReport:
    """What the judging Locust process writes next to its CSV: figures per entry, and the schedule."""

    mode: str  # "arrival" or "closed"
    entries: dict[str, dict[str, Any]]
    schedule: dict[str, Any] | None  # ScheduleCounters.as_dict() plus the plan, in arrival mode
    dropped: dict[str, int]


def write_report(prefix: str | Path, samples: Sequence[Sample], *, schedule: Mapping[str, Any] | None, dropped: Mapping[str, int]) -> Path:
    """Correct ``samples`` and write ``<prefix>_corrected.json`` and ``<prefix>_samples.csv``; returns the JSON path."""
    corrected = correct(samples)
    figures = entry_figures(corrected)
    for name in dropped:
        figures.setdefault(name, {"requests": 0})
    document = {
        "mode": "arrival" if schedule is not None else "closed",
        "entries": figures,
        "dropped": dict(dropped),
        "schedule": dict(schedule) if schedule is not None else None,
        "notes": {
            "corrected": "latency from the intended start: a scheduled flow's due time plus, for a step, the median times of the steps before it (otp_suite.loadtest.corrected)",
            "percentiles": "exact, nearest rank over every sample",
        },
    }
    json_path = Path(f"{prefix}{CORRECTED_SUFFIX}")
    json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    with Path(f"{prefix}{SAMPLES_SUFFIX}").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "sent", "latency_ms", "intended_start", "corrected_ms", "failed"])
        for item in sorted(corrected, key=lambda c: c.sample.started):
            s = item.sample
            writer.writerow([s.name, f"{s.started:.6f}", f"{s.latency_ms:.3f}", f"{item.intended_start:.6f}", f"{item.corrected_ms:.3f}", int(s.failed)])
    return json_path


def read_report(prefix: str | Path) -> CorrectedReport | None:
    """The report written by :func:`write_report`, or None when Locust wrote none."""
    path = Path(f"{prefix}{CORRECTED_SUFFIX}")
    if not path.is_file():
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    return CorrectedReport(document["mode"], document["entries"], document.get("schedule"), {k: int(v) for k, v in document.get("dropped", {}).items()})


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
    path = Path(f"{prefix}{SAMPLES_SUFFIX}")
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            SampleRow(row["name"], float(row["sent"]), float(row["latency_ms"]), float(row["intended_start"]), float(row["corrected_ms"]), row["failed"] == "1")
            for row in csv.DictReader(handle)
        ]
