"""``reports/load/summary.json``: the run's entries and SLO verdict, for machines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from otp_suite.loadtest.baseline import BaselineVerdict
from otp_suite.loadtest.locust_stats import EntryStats
from otp_suite.loadtest.slo import SloResult


def write_summary(
    path: Path,
    entries: Iterable[EntryStats],
    results: Iterable[SloResult],
    *,
    run: Mapping[str, object],
    interrupted_by: str | None = None,
    baseline: BaselineVerdict | None = None,
    histograms: Mapping[str, Mapping[str, str]] | None = None,
) -> Path:
    """Write ``{"passed", "interrupted", "entries", "slos", "run"}``; ``passed`` is True only when every SLO held.

    ``interrupted_by`` (``SIGINT``, ``SIGTERM``) marks a run cut short: its figures are partial,
    no SLO was judged and ``passed`` is False. ``histograms`` (encoded HdrHistograms by entry and
    kind) let a later run use this one as its baseline with confidence intervals.
    """
    results = list(results)
    document = {
        "passed": interrupted_by is None and all(r.passed for r in results) and not (baseline and baseline.regressed),
        "interrupted": interrupted_by is not None,
        **({"interrupted_by": interrupted_by} if interrupted_by else {}),
        "entries": [entry.as_dict() for entry in entries],
        "slos": [r.as_dict() for r in results],
        "run": dict(run),
        **({"baseline": baseline.as_dict()} if baseline is not None else {}),
        **({"histograms": {entry: dict(kinds) for entry, kinds in histograms.items()}} if histograms else {}),
        "notes": {
            "source": "Locust's own figures are read from its CSV (run.stats_csv); the *_corrected_ms figures and dropped counts from run.corrected_json",
            "flow": "flow time is the time a user waited on the service (sum of its requests), think time excluded",
            "corrected": "percentiles (HdrHistogram, 3 significant digits) measured from each request's intended start (coordinated-omission correction, otp_suite.loadtest.corrected); in Locust's closed model they equal its own samples",
            "dropped": "requests never sent because their flow could not start on schedule (arrival-rate mode)",
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path
