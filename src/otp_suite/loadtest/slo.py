"""Service level objectives of a load run: thresholds per entry, judged against Locust's figures.

An SLO is ``<entry>.<metric>`` with a limit: ``verify.p95_ms=300``, ``flow.error_ratio=0.01``,
``flow.min_rps=0.2``. Latency and error limits are maxima, ``min_rps`` a minimum. Thresholds come
from :data:`DEFAULT_SLOS`, then the profile / ``OTP_SLO``, then ``--slo`` (``NAME=off`` drops one).

Latency can also be judged on the figures corrected for coordinated omission
(``verify.p95_corrected_ms=500``; see :mod:`otp_suite.loadtest.corrected`), and the share of
scheduled flows that could not start on time on ``flow.dropped_ratio``. In arrival-rate mode the
defaults (:func:`default_slos`) judge the corrected figures, with the same limits, and require the
schedule to be kept (``flow.dropped_ratio`` at most 1%).

Why the defaults catch what they must (see tests/load/test_load_runs.py):
- a verify 400 ms slower puts *every* verify above 400 ms, so ``verify.p50_ms`` (100) and
  ``verify.p95_ms`` (300) and ``flow.p50_ms`` (300) are breached, while a healthy local
  service answers in a few ms (a 2-core machine under other load stays well under 100 ms);
- 3% of requests failing fails about 1 flow in 10 (a flow makes 3 to 5 requests), far above
  ``flow.error_ratio`` (1%); a healthy service fails none, so the limit leaves no room for noise
  only where there is none.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ENTRIES = ("register", "resend", "inbox", "verify", "flow")

#: metric -> (key in a stats entry, True when the limit is a maximum)
METRICS: dict[str, tuple[str, bool]] = {
    "p50_ms": ("p50_ms", True),
    "p95_ms": ("p95_ms", True),
    "p99_ms": ("p99_ms", True),
    "max_ms": ("max_ms", True),
    "p50_corrected_ms": ("p50_corrected_ms", True),
    "p95_corrected_ms": ("p95_corrected_ms", True),
    "p99_corrected_ms": ("p99_corrected_ms", True),
    "max_corrected_ms": ("max_corrected_ms", True),
    "error_ratio": ("error_ratio", True),
    "dropped_ratio": ("dropped_ratio", True),
    "min_rps": ("rps", False),
}

#: Locust's own latency metric -> the same figure corrected for coordinated omission.
CORRECTED_METRIC = {"p50_ms": "p50_corrected_ms", "p95_ms": "p95_corrected_ms", "p99_ms": "p99_corrected_ms", "max_ms": "max_corrected_ms"}


#: An SLO's status in a run's verdict.
PASS, FAIL, NOT_JUDGED, NOT_APPLICABLE = "pass", "fail", "not judged", "not applicable"


class SloError(ValueError):
    """An SLO setting cannot be read; the message shows how to write it."""


@dataclass(frozen=True)
class SloThreshold:
    """One objective: ``entry``'s ``metric`` must stay at or below (or, for min_rps, at or above) ``limit``."""

    entry: str
    metric: str
    limit: float

    @property
    def name(self) -> str:
        return f"{self.entry}.{self.metric}"

    @property
    def comparison(self) -> str:
        return "<=" if METRICS[self.metric][1] else ">="

    def judge(self, stats: Mapping[str, object] | None, *, applicable: bool = True) -> SloResult:
        """The result against one entry's figures (None when the entry has no requests).

        ``applicable`` is False when the run chose not to request the entry (its flows left out):
        without requests the SLO is then "not applicable"; otherwise "not judged", never held.
        """
        key, is_maximum = METRICS[self.metric]
        requests = int(stats.get("requests", 0)) if stats else 0  # type: ignore[call-overload]
        dropped = int(stats.get("dropped", 0) or 0) if stats else 0  # type: ignore[call-overload]
        if requests == 0 and not (self.metric == "dropped_ratio" and dropped):
            if not applicable:
                return SloResult(self.name, self.limit, self.comparison, None, True, "not applicable (its flows are not played)", NOT_APPLICABLE)
            if is_maximum:
                # No sample is no evidence: an unmeasured SLO must not count as held (issue 12).
                return SloResult(self.name, self.limit, self.comparison, None, False, "not judged (no requests)", NOT_JUDGED)
        if stats is not None and key in CORRECTED_METRIC.values() and stats.get(key) is None:
            # Requests were made but no corrected figure came back: that must not pass silently.
            return SloResult(self.name, self.limit, self.comparison, None, False, "not judged (no corrected samples)", NOT_JUDGED)
        value = float(stats.get(key) or 0.0) if stats else 0.0  # type: ignore[arg-type]
        passed = value <= self.limit if is_maximum else value >= self.limit
        return SloResult(self.name, self.limit, self.comparison, value, passed, "", PASS if passed else FAIL)


@dataclass(frozen=True)
class SloResult:
    """An SLO's threshold, the measured value (None when not measured) and whether it held."""

    name: str
    threshold: float
    comparison: str
    value: float | None
    passed: bool
    note: str = ""
    #: PASS, FAIL, NOT_JUDGED (no samples although the run meant to take some) or NOT_APPLICABLE.
    status: str = ""

    def __post_init__(self) -> None:
        if not self.status:
            object.__setattr__(self, "status", PASS if self.passed else FAIL)

    @property
    def judged(self) -> bool:
        """False when the SLO could not be measured: it neither held nor was breached."""
        return self.status != NOT_JUDGED

    @property
    def breached(self) -> bool:
        """True only for an SLO that was measured and did not hold."""
        return self.status == FAIL

    def as_dict(self) -> dict[str, object]:
        """The summary.json form."""
        return {"name": self.name, "threshold": self.threshold, "comparison": self.comparison, "value": self.value, "passed": self.passed, "status": self.status, "note": self.note}


def _defaults() -> tuple[SloThreshold, ...]:
    per_operation = {"p50_ms": 100.0, "p95_ms": 300.0, "p99_ms": 1000.0, "error_ratio": 0.01}
    for_flow = {"p50_ms": 300.0, "p95_ms": 800.0, "p99_ms": 2000.0, "error_ratio": 0.01, "min_rps": 0.2}
    slos = [SloThreshold(entry, metric, limit) for entry in ("register", "resend", "verify") for metric, limit in per_operation.items()]
    slos += [SloThreshold("flow", metric, limit) for metric, limit in for_flow.items()]
    return tuple(slos)


#: The smoke defaults: pass on a healthy local service, fail on +400 ms verify or 3% failures.
DEFAULT_SLOS = _defaults()

#: At most this share of an arrival-rate run's flows may be dropped before the schedule counts as not kept.
MAX_DROPPED_RATIO = 0.01


def _arrival_defaults() -> tuple[SloThreshold, ...]:
    slos = [SloThreshold(slo.entry, CORRECTED_METRIC.get(slo.metric, slo.metric), slo.limit) for slo in DEFAULT_SLOS]
    return (*slos, SloThreshold("flow", "dropped_ratio", MAX_DROPPED_RATIO))


#: The defaults of an arrival-rate run: the same limits on the corrected figures, and the schedule kept.
ARRIVAL_DEFAULT_SLOS = _arrival_defaults()


def default_slos(arrival_rate: float = 0.0) -> tuple[SloThreshold, ...]:
    """The default SLOs of a run: on Locust's figures in the closed model, on the corrected ones in arrival-rate mode."""
    return ARRIVAL_DEFAULT_SLOS if arrival_rate > 0 else DEFAULT_SLOS


def run_slos(arrival_rate: float, overrides: Iterable[str]) -> tuple[SloThreshold, ...]:
    """The SLOs of a run: :func:`default_slos` changed by the overrides (profile / OTP_SLO, then --slo).

    In arrival-rate mode latency limits are judged on the corrected figures (see :func:`apply_overrides`).
    """
    return apply_overrides(default_slos(arrival_rate), overrides, corrected=arrival_rate > 0)


def as_overrides(slos: Iterable[SloThreshold], arrival_rate: float = 0.0) -> str:
    """``slos`` as OTP_SLO text that :func:`run_slos` reads back to the same thresholds (how a Locust
    process learns the SLOs of its run: those left out of the defaults are turned off)."""
    chosen = tuple(slos)
    names = {slo.name for slo in chosen}
    offs = [f"{slo.name}=off" for slo in default_slos(arrival_rate) if slo.name not in names]
    return ",".join([*offs, *(f"{slo.name}={slo.limit!r}" for slo in chosen)])


def apply_overrides(base: Iterable[SloThreshold], overrides: Iterable[str], *, corrected: bool = False) -> tuple[SloThreshold, ...]:
    """``base`` changed by ``NAME=LIMIT`` / ``NAME=off`` items (each item may hold several, comma-separated).

    With ``corrected`` (arrival-rate mode) a limit on Locust's latency figure (``verify.p95_ms``)
    is a limit on the corrected one (``verify.p95_corrected_ms``): there, Locust's figures for the
    steps after the first are sampled only once a stall is over, and would pass it.
    """
    slos = {slo.name: slo for slo in base}
    for text in overrides:
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            name, sep, limit = item.partition("=")
            entry, dot, metric = name.strip().partition(".")
            entry, metric = entry.strip(), metric.strip()
            if not sep or not dot or entry not in ENTRIES or metric not in METRICS:
                raise SloError(f"SLO {item!r} is not ENTRY.METRIC=LIMIT with ENTRY one of {', '.join(ENTRIES)} and METRIC one of {', '.join(METRICS)} (e.g. verify.p95_ms=300, or verify.p95_ms=off)")
            if corrected:
                metric = CORRECTED_METRIC.get(metric, metric)
            if limit.strip().lower() == "off":
                slos.pop(f"{entry}.{metric}", None)
                continue
            try:
                number = float(limit)
            except ValueError:
                raise SloError(f"SLO {item!r}: the limit {limit!r} is not a number (or 'off')") from None
            if number < 0 or math.isnan(number):
                raise SloError(f"SLO {item!r}: the limit must be zero or positive")
            slos[f"{entry}.{metric}"] = SloThreshold(entry, metric, number)
    return tuple(slos.values())


def judge(slos: Iterable[SloThreshold], entries: Mapping[str, Mapping[str, object]], exercised: Iterable[str] | None = None) -> tuple[SloResult, ...]:
    """Every SLO judged against the entries (by name) of a run; ``exercised``: the entries its flows request (None: all)."""
    meant = None if exercised is None else frozenset(exercised)
    return tuple(slo.judge(entries.get(slo.entry), applicable=meant is None or slo.entry in meant) for slo in slos)


def _fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "-"
    if metric in ("error_ratio", "dropped_ratio"):
        return f"{value:.2%}"
    if metric == "min_rps":
        return f"{value:.2f}/s"
    return f"{value:.0f} ms"


def slo_table(results: Iterable[SloResult]) -> list[str]:
    """The verdict as aligned text lines: SLO, threshold, measured value, PASS/FAIL."""
    rows = [("SLO", "threshold", "measured", "result")]
    for result in results:
        metric = result.name.split(".", 1)[1]
        verdict = {PASS: "PASS", FAIL: "FAIL", NOT_JUDGED: "NOT JUDGED", NOT_APPLICABLE: "n/a"}[result.status]
        measured = result.note or _fmt(result.value, metric)
        rows.append((result.name, f"{result.comparison} {_fmt(result.threshold, metric)}", measured, verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
