"""Reading the figures of a run from the CSV files Locust wrote: one source of truth.

summary.json, the SLO verdict and the plot are all computed from ``<prefix>_stats.csv`` and
``<prefix>_stats_history.csv`` exactly as Locust wrote them, so they cannot disagree with it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from otp_suite.report.paths import LocustFiles

#: Entries of summary.json, in this order; other named entries Locust recorded follow them.
SUMMARY_ENTRIES = ("register", "resend", "inbox", "verify", "flow")


@dataclass(frozen=True)
class EntryStats:
    """One row of Locust's stats CSV."""

    name: str
    type: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    #: Exact percentiles measured from each request's intended start (otp_suite.loadtest.corrected);
    #: None when the run produced no corrected samples.
    p50_corrected_ms: float | None = None
    p95_corrected_ms: float | None = None
    p99_corrected_ms: float | None = None
    max_corrected_ms: float | None = None
    #: Requests of this entry never sent because their flow was dropped (arrival-rate mode).
    dropped: int = 0

    @property
    def error_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    @property
    def dropped_ratio(self) -> float:
        """The share of this entry's scheduled requests that were dropped."""
        due = self.requests + self.dropped
        return self.dropped / due if due else 0.0

    def with_corrected(self, figures: dict[str, Any] | None, dropped: int) -> EntryStats:
        """This entry with the corrected figures of the same name (see :func:`merge_corrected`)."""
        figures = figures or {}
        return replace(
            self,
            p50_corrected_ms=figures.get("p50_corrected_ms"),
            p95_corrected_ms=figures.get("p95_corrected_ms"),
            p99_corrected_ms=figures.get("p99_corrected_ms"),
            max_corrected_ms=figures.get("max_corrected_ms"),
            dropped=dropped,
        )

    def as_dict(self) -> dict[str, object]:
        """The summary.json form (and what SLOs are judged on)."""
        return {
            "name": self.name,
            "type": self.type,
            "requests": self.requests,
            "failures": self.failures,
            "error_ratio": round(self.error_ratio, 6),
            "rps": self.rps,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "p99_ms": self.p99_ms,
            "max_ms": self.max_ms,
            "p50_corrected_ms": self.p50_corrected_ms,
            "p95_corrected_ms": self.p95_corrected_ms,
            "p99_corrected_ms": self.p99_corrected_ms,
            "max_corrected_ms": self.max_corrected_ms,
            "dropped": self.dropped,
            "dropped_ratio": round(self.dropped_ratio, 6),
        }


def _number(text: str) -> float:
    """Locust writes N/A for percentiles of an entry without requests."""
    try:
        return float(text)
    except ValueError:
        return 0.0


def _whole_or_float(value: float) -> float:
    return int(value) if value.is_integer() else value


def read_entries(prefix: Path) -> dict[str, EntryStats]:
    """Named entries of the stats CSV (without Locust's Aggregated row), by name."""
    entries: dict[str, EntryStats] = {}
    with LocustFiles(prefix).stats_csv.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated" and not row["Type"]:
                continue
            entries[row["Name"]] = EntryStats(
                name=row["Name"],
                type=row["Type"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                rps=_number(row["Requests/s"]),
                p50_ms=_whole_or_float(_number(row["50%"])),
                p95_ms=_whole_or_float(_number(row["95%"])),
                p99_ms=_whole_or_float(_number(row["99%"])),
                max_ms=_whole_or_float(_number(row["Max Response Time"])),
            )
    return entries


def merge_corrected(entries: dict[str, EntryStats], corrected: dict[str, dict[str, Any]], dropped: dict[str, int]) -> dict[str, EntryStats]:
    """Locust's entries with the corrected figures and dropped counts beside them.

    An entry whose every request was dropped (none sent) appears with zero requests.
    """
    merged = {name: entry.with_corrected(corrected.get(name), dropped.get(name, 0)) for name, entry in entries.items()}
    for name, count in dropped.items():
        if name not in merged and count:
            empty = EntryStats(name, "FLOW" if name == "flow" else "", 0, 0, 0.0, 0, 0, 0, 0)
            merged[name] = empty.with_corrected(None, count)
    return merged


def ordered(entries: dict[str, EntryStats]) -> list[EntryStats]:
    """Entries in summary order: operations, then the flow, then anything else."""
    known = [entries[name] for name in SUMMARY_ENTRIES if name in entries]
    return known + [entry for name, entry in sorted(entries.items()) if name not in SUMMARY_ENTRIES]


@dataclass(frozen=True)
class HistoryPoint:
    """One per-second row of the history CSV for one entry."""

    elapsed_s: float
    users: int
    name: str
    p50_ms: float
    p95_ms: float
    rps: float


def read_history(prefix: Path) -> list[HistoryPoint]:
    """The per-second history of every named entry, time counted from the first row."""
    path = LocustFiles(prefix).stats_history_csv
    if not path.is_file():
        return []
    points: list[HistoryPoint] = []
    first: float | None = None
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated" and not row["Type"]:
                continue
            stamp = float(row["Timestamp"])
            first = stamp if first is None else first
            points.append(HistoryPoint(stamp - first, int(row["User Count"]), row["Name"], _number(row["50%"]), _number(row["95%"]), _number(row["Requests/s"])))
    return points


def most_frequent_failure(prefix: Path) -> tuple[str, int] | None:
    """The error Locust counted most often on a request (flows left out) and how often, from ``<prefix>_failures.csv``."""
    path = LocustFiles(prefix).failures_csv
    if not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row.get("Method") != "FLOW" and row.get("Occurrences", "").isdigit()]
    if not rows:
        return None
    top = max(rows, key=lambda row: int(row["Occurrences"]))
    error = top["Error"]
    # The locustfile's failures read StepFailed('register: expected HTTP 200, got 502'): keep the words.
    if error.endswith("')") and "('" in error:
        error = error.split("('", 1)[1][:-2]
    return error, int(top["Occurrences"])
