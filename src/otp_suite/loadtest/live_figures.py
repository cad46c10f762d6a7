"""What the judging Locust process (master or single process) knows of the run while it runs.

Per entry (register, resend, inbox, verify, flow): requests and failures from Locust's own
statistics (merged from every worker by Locust), and the run-wide HdrHistograms of both kinds
(Locust's timing and the corrected one) merged so far by :class:`otp_suite.loadtest.latency_histograms.LatencyAggregate`.
Read by the abort-on-breach watch (:mod:`otp_suite.loadtest.breach_watch`) and the Prometheus
exporter (:mod:`otp_suite.loadtest.metrics`); it copies nothing, so reading it costs no memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hdrh.histogram import HdrHistogram

from otp_suite.loadtest.latency_histograms import CORRECTED, LOCUST, LatencyAggregate
from otp_suite.loadtest.slo import ENTRIES


@dataclass(frozen=True)
class EntryNow:
    """One entry's figures so far."""

    requests: int
    failures: int
    #: By kind (LOCUST, CORRECTED); None before its first merged sample.
    histograms: dict[str, HdrHistogram | None]

    @property
    def error_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


def entries_now(stats: Any, latency: LatencyAggregate) -> dict[str, EntryNow]:
    """Every entry of the run so far, from Locust's ``RequestStats`` and the merged histograms."""
    counts: dict[str, list[int]] = {}
    for (name, _method), entry in getattr(stats, "entries", {}).items():
        pair = counts.setdefault(str(name), [0, 0])
        pair[0] += int(entry.num_requests)
        pair[1] += int(entry.num_failures)
    return {
        name: EntryNow(counts.get(name, [0, 0])[0], counts.get(name, [0, 0])[1], {kind: latency.total(name, kind) for kind in (LOCUST, CORRECTED)})
        for name in ENTRIES
        if name in counts or latency.total(name, LOCUST) is not None
    }
