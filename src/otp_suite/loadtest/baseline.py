"""A baseline verdict: is this run slower (or failing more) than a stored earlier run?

``otp-suite load --baseline PATH`` (``OTP_BASELINE``) reads an earlier run's ``summary.json`` (the
last green one, for example) and compares, per operation and for the flow, p50/p95/p99 and the
error ratio. Latency is compared on the figures the run is judged on: corrected ones when both
runs are arrival-rate runs, Locust's otherwise.

A figure **regresses** when it grew by more than its threshold (``--max-regression
verify.p95=20%``, ``OTP_MAX_REGRESSION``; ``*.p95=30%`` for every entry; defaults in
:data:`DEFAULT_MAX_REGRESSION`) *and* beyond doubt (the noise guard):

* **latency, from the histograms** (both summaries carry each entry's HdrHistogram): each run's
  percentile has a distribution-free 99 % confidence interval from its order statistics
  (:mod:`otp_suite.loadtest.percentile_interval`); the figure regressed only when this run's
  interval lies wholly above the baseline's, and by at least :data:`MIN_SHIFT_MS`. Few samples
  give wide intervals, so they guard themselves; a percentile whose interval reaches past the
  slowest sample (a p99 of a few hundred requests) is "few requests".
* **error ratio**: the same with Wilson's interval of each run's failure ratio, and a change of at
  least :data:`MIN_CHANGE_ERROR_RATIO`.
* **an older summary without histograms**: the fixed guard of before: at least
  :data:`MIN_REQUESTS` requests (and :data:`MIN_TAIL_SAMPLES` above a percentile) in both runs,
  and a change of at least :data:`MIN_CHANGE_MS`.

``benchmarks/bench_baseline_verdict.py`` measures how often same-build runs flag each other and how
often an injected regression is named (README "Baseline: false alarms and detection").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otp_suite.loadtest.latency_histograms import CORRECTED, LOCUST, decode, release
from otp_suite.loadtest.percentile_interval import Interval, percentile_interval, ratio_interval
from otp_suite.loadtest.slo import ENTRIES
from otp_suite.report.paths import ReportPaths

FIGURES = ("p50", "p95", "p99", "error_ratio")
#: Relative growth allowed per figure when the user names none (tails are noisier than medians).
#: With the histograms' confidence intervals as the noise guard, a percentage need not absorb the
#: noise too: 10 % names a verify 12 ms slower on a stage 50 ms away (+23 %), which 25 % missed.
DEFAULT_MAX_REGRESSION: dict[str, float] = {"p50": 0.10, "p95": 0.10, "p99": 0.20, "error_ratio": 1.00}
#: Noise guard: fewer requests than this in either run, and the figure is not judged.
MIN_REQUESTS = 20
#: Noise guard: a percentile rests on the requests above it; with fewer than this many there (a
#: p95 of fewer than 200 requests, a p99 of fewer than 1,000) a handful of slow requests moves it
#: by multiples, and two runs of one build on a busy machine differed by +188 %: not judged.
MIN_TAIL_SAMPLES = 10
#: Noise guard of a summary without histograms: a latency change smaller than this is noise.
MIN_CHANGE_MS = 50.0
#: Noise guard with histograms: intervals apart by less than this are a difference no one would
#: act on (a loopback verify of 3 ms on a busy machine moves by a millisecond or two).
MIN_SHIFT_MS = 5.0
#: Noise guard: an error-ratio change smaller than this (one percentage point) is noise.
MIN_CHANGE_ERROR_RATIO = 0.01


class BaselineError(ValueError):
    """The baseline or a threshold cannot be read; the message names it and the fix."""


@dataclass(frozen=True)
class Comparison:
    """One figure of one entry: baseline, now, relative change, threshold and verdict."""

    entry: str
    figure: str
    baseline: float | None
    now: float | None
    threshold: float
    verdict: str  # "ok", "regressed", "improved", "noise", "few requests", "missing"

    @property
    def name(self) -> str:
        return f"{self.entry}.{self.figure}"

    @property
    def change(self) -> float | None:
        """Relative change (0.2 = 20% higher); None when either side is missing or the baseline is 0.

        Rounded to 4 decimals here, once, so summary.json and the closing table print the same
        percentage (the unrounded 39.86504 shows +3987%, its rounding 39.865 +3986%).
        """
        if self.baseline is None or self.now is None or self.baseline == 0:
            return None
        return round(self.now / self.baseline - 1, 4)

    @property
    def regressed(self) -> bool:
        return self.verdict == "regressed"

    def as_dict(self) -> dict[str, object]:
        """The summary.json form."""
        return {"name": self.name, "baseline": self.baseline, "now": self.now, "change": self.change, "threshold": self.threshold, "verdict": self.verdict}


@dataclass(frozen=True)
class BaselineVerdict:
    """Every comparison of a run with its baseline."""

    path: Path
    latency: str  # "corrected" or "locust"
    comparisons: tuple[Comparison, ...]

    @property
    def regressed(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if c.regressed)

    def as_dict(self) -> dict[str, object]:
        """The summary.json form (``baseline`` key)."""
        return {
            "path": str(self.path),
            "latency": self.latency,
            "noise_guard": {
                "latency": "99% confidence intervals of each percentile from its HdrHistogram (order statistics), apart by at least min_shift_ms",
                "min_shift_ms": MIN_SHIFT_MS,
                "error_ratio": "99% Wilson intervals apart",
                "min_change_error_ratio": MIN_CHANGE_ERROR_RATIO,
                "without_histograms": {"min_requests": MIN_REQUESTS, "min_change_ms": MIN_CHANGE_MS},
            },
            "regressed": [c.name for c in self.regressed],
            "comparisons": [c.as_dict() for c in self.comparisons],
        }

    def reason(self) -> str:
        """One line naming every regressed figure."""
        return "slower than the baseline: " + ", ".join(f"{c.name} {_fmt(c.baseline, c.figure)} -> {_fmt(c.now, c.figure)} ({_pct(c)}, limit +{c.threshold:.0%})" for c in self.regressed)


def parse_max_regression(texts: Iterable[str]) -> dict[tuple[str, str], float]:
    """``["verify.p95=20%", "*.p99=50%"]`` -> thresholds by (entry or "*", figure), over :data:`DEFAULT_MAX_REGRESSION`."""
    limits: dict[tuple[str, str], float] = {("*", figure): limit for figure, limit in DEFAULT_MAX_REGRESSION.items()}
    for text in texts:
        for item in (part.strip() for part in (text or "").split(",")):
            if not item:
                continue
            name, sep, value = item.partition("=")
            entry, dot, figure = name.strip().partition(".")
            if not sep or not dot or (entry != "*" and entry not in ENTRIES) or figure not in FIGURES:
                raise BaselineError(f"--max-regression / OTP_MAX_REGRESSION item {item!r} is not ENTRY.FIGURE=N% with ENTRY one of *, {', '.join(ENTRIES)} and FIGURE one of {', '.join(FIGURES)} (e.g. verify.p95=20%)")
            number = value.strip().rstrip("%")
            try:
                share = float(number) / 100
            except ValueError:
                raise BaselineError(f"--max-regression item {item!r}: {value!r} is not a percentage such as 20%") from None
            if share < 0:
                raise BaselineError(f"--max-regression item {item!r}: the threshold must be zero or positive")
            limits[(entry, figure)] = share
    return limits


def read_baseline(path: Path) -> dict[str, Any]:
    """The summary.json at ``path`` (or in ``path/load/`` or ``path/``), checked to be a load run's summary."""
    path = Path(path)
    summary = ReportPaths(path).load_summary  # with path a reports folder; or path is the load folder itself
    candidates = [path] if path.is_file() else [summary, path / summary.name]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise BaselineError(f"--baseline / OTP_BASELINE={path}: no summary.json there; point it at an earlier run's reports/load/summary.json")
    try:
        document = json.loads(found.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BaselineError(f"--baseline {found} is not readable JSON ({error}); point it at an earlier run's summary.json") from None
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
        raise BaselineError(f"--baseline {found} is not a load run's summary.json (no 'entries'); point it at reports/load/summary.json of an earlier run")
    if document.get("interrupted"):
        raise BaselineError(f"--baseline {found} is an interrupted run's summary: its figures are partial; choose a finished run")
    document["_path"] = str(found)
    return document


def compare(
    baseline: Mapping[str, Any],
    now_entries: Iterable[Mapping[str, Any]],
    limits: Mapping[tuple[str, str], float],
    *,
    arrival: bool,
    now_histograms: Mapping[str, Mapping[str, str]] | None = None,
) -> BaselineVerdict:
    """Compare this run's entries (summary.json form) and histograms (by entry and kind, encoded)
    with ``baseline`` (:func:`read_baseline`)."""
    before = {str(e["name"]): e for e in baseline["entries"]}
    now = {str(e["name"]): e for e in now_entries}
    baseline_arrival = str(baseline.get("run", {}).get("model", "")).startswith("arrival")
    corrected = arrival and baseline_arrival
    kind = CORRECTED if corrected else LOCUST
    histograms_before, histograms_now = baseline.get("histograms") or {}, now_histograms or {}
    comparisons = []
    for entry in ENTRIES:
        if entry not in before and entry not in now:
            continue
        pair = _Histograms.of(histograms_before.get(entry, {}).get(kind), histograms_now.get(entry, {}).get(kind))
        for figure in FIGURES:
            threshold = limits.get((entry, figure), limits[("*", figure)])
            if figure == "error_ratio":
                comparisons.append(_compare_errors(entry, before.get(entry), now.get(entry), threshold))
            elif pair is not None:
                comparisons.append(_compare_latency(entry, figure, pair, threshold))
            else:
                comparisons.append(_compare(entry, figure, before.get(entry), now.get(entry), threshold, corrected))
    return BaselineVerdict(Path(str(baseline.get("_path", ""))), "corrected" if corrected else "locust", tuple(comparisons))


@dataclass(frozen=True)
class _Histograms:
    """One entry's percentiles with their intervals, in the baseline and now."""

    before: dict[str, Interval | None]
    now: dict[str, Interval | None]

    @classmethod
    def of(cls, before: str | None, now: str | None) -> _Histograms | None:
        """The intervals of both encoded histograms; None unless both runs kept one."""
        if not before or not now:
            return None
        return cls(_intervals(before), _intervals(now))


def _intervals(encoded: str) -> dict[str, Interval | None]:
    histogram = decode(encoded)
    try:
        return {figure: percentile_interval(histogram, float(figure[1:])) for figure in FIGURES if figure.startswith("p")}
    finally:
        release(histogram)


def _compare_latency(entry: str, figure: str, pair: _Histograms, threshold: float) -> Comparison:
    """A percentile judged on both runs' confidence intervals (see the module docstring)."""
    old, new = pair.before[figure], pair.now[figure]
    if old is None or new is None:
        return Comparison(entry, figure, old.point if old else None, new.point if new else None, threshold, "few requests")
    grew = new.point - old.point
    if new.above(old) and new.low - old.high >= MIN_SHIFT_MS and grew > threshold * old.point:
        return Comparison(entry, figure, old.point, new.point, threshold, "regressed")
    if old.above(new) and old.low - new.high >= MIN_SHIFT_MS:
        return Comparison(entry, figure, old.point, new.point, threshold, "improved")
    return Comparison(entry, figure, old.point, new.point, threshold, "noise" if grew else "ok")


def _compare_errors(entry: str, before: Mapping[str, Any] | None, now: Mapping[str, Any] | None, threshold: float) -> Comparison:
    """The error ratio judged on Wilson's intervals of both runs' failure ratios."""
    old, new = _value(before, "error_ratio", False), _value(now, "error_ratio", False)
    if old is None or new is None or before is None or now is None:
        return Comparison(entry, "error_ratio", old, new, threshold, "missing")
    old_requests, new_requests = int(before.get("requests", 0)), int(now.get("requests", 0))
    old_interval, new_interval = ratio_interval(round(old * old_requests), old_requests), ratio_interval(round(new * new_requests), new_requests)
    if old_interval is None or new_interval is None:
        return Comparison(entry, "error_ratio", old, new, threshold, "few requests")
    grew = new - old
    if new_interval.above(old_interval) and grew >= MIN_CHANGE_ERROR_RATIO and (old == 0 or grew / old > threshold):
        return Comparison(entry, "error_ratio", old, new, threshold, "regressed")
    if old_interval.above(new_interval) and -grew >= MIN_CHANGE_ERROR_RATIO:
        return Comparison(entry, "error_ratio", old, new, threshold, "improved")
    return Comparison(entry, "error_ratio", old, new, threshold, "noise" if grew else "ok")


def _value(stats: Mapping[str, Any] | None, figure: str, corrected: bool) -> float | None:
    if not stats:
        return None
    key = "error_ratio" if figure == "error_ratio" else f"{figure}_corrected_ms" if corrected else f"{figure}_ms"
    value = stats.get(key)
    return None if value is None else float(value)


def _compare(entry: str, figure: str, before: Mapping[str, Any] | None, now: Mapping[str, Any] | None, threshold: float, corrected: bool) -> Comparison:
    """A percentile of summaries without histograms: the fixed guard (requests, MIN_CHANGE_MS)."""
    old, new = _value(before, figure, corrected), _value(now, figure, corrected)
    if old is None or new is None:
        return Comparison(entry, figure, old, new, threshold, "missing")
    requests = min(int((before or {}).get("requests", 0)), int((now or {}).get("requests", 0)))
    if requests < MIN_REQUESTS or (figure.startswith("p") and requests * (1 - int(figure[1:]) / 100) < MIN_TAIL_SAMPLES):
        return Comparison(entry, figure, old, new, threshold, "few requests")
    grew = new - old
    if abs(grew) < MIN_CHANGE_MS:
        return Comparison(entry, figure, old, new, threshold, "noise" if grew else "ok")
    if grew > 0 and (old == 0 or grew / old > threshold):
        return Comparison(entry, figure, old, new, threshold, "regressed")
    return Comparison(entry, figure, old, new, threshold, "improved" if grew < 0 else "ok")


def _fmt(value: float | None, figure: str) -> str:
    if value is None:
        return "-"
    return f"{value:.2%}" if figure == "error_ratio" else f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def _pct(comparison: Comparison) -> str:
    """The change as a percentage; from a baseline of 0 no ratio exists: 0 -> 0 is no change, 0 -> x is "from 0"."""
    if comparison.baseline is None or comparison.now is None:
        return "-"
    if comparison.change is None:
        return "+0%" if comparison.now == comparison.baseline else "from 0"
    return f"{comparison.change:+.0%}"


def baseline_table(verdict: BaselineVerdict) -> list[str]:
    """The closing table: figure, baseline, now, change, allowed, verdict (aligned text lines)."""
    rows = [(f"vs baseline ({verdict.latency} latency)", "baseline", "now", "change", "allowed", "verdict")]
    for c in verdict.comparisons:
        rows.append((c.name, _fmt(c.baseline, c.figure), _fmt(c.now, c.figure), _pct(c), f"+{c.threshold:.0%}", c.verdict.upper() if c.regressed else c.verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.rjust(w) if 0 < i < 5 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip() for row in rows]
