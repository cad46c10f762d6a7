"""Abort on breach: stop a run once an SLO is breached beyond doubt (``--abort-on-breach``).

Like k6's ``abortOnFail`` with ``delayAbortEval``, but with the doubt measured rather than waited
out. Every :data:`CHECK_EVERY_S` the judging Locust process looks at each SLO on the figures so
far (:mod:`otp_suite.loadtest.live_figures`):

* a latency percentile is breached beyond doubt when the *lower* end of its 99 % confidence
  interval (:mod:`otp_suite.loadtest.percentile_interval`, from the run's HdrHistogram) is above
  the limit: with few samples the interval is wide, so a handful of slow requests never aborts;
* an error ratio when the lower end of its Wilson interval is above the limit;
* a maximum (``max_ms``) as soon as one sample is above it: the run's maximum can only grow.

A breach must last :data:`SUSTAIN_S` in a row, and none counts before :data:`FIRST_CHECK_S` (the
ramp-up and a cold target's first answers). ``min_rps`` and ``dropped_ratio`` are judged on the
whole run only: a run too slow early may catch up. A run that holds its SLOs is never stopped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from otp_suite.loadtest.latency_histograms import CORRECTED, LOCUST
from otp_suite.loadtest.live_figures import EntryNow
from otp_suite.loadtest.percentile_interval import percentile_interval, ratio_interval
from otp_suite.loadtest.slo import SloThreshold

#: Seconds between two looks.
CHECK_EVERY_S = 1.0
#: No breach counts before this many seconds of the run (k6's delayAbortEval).
FIRST_CHECK_S = 10.0
#: A breach must hold for this long, every look, before the run stops.
SUSTAIN_S = 10.0

#: An SLO's live state, as the metrics show it.
HOLDS, BREACHED, BEYOND_DOUBT, UNKNOWN = "holds", "breached", "breached beyond doubt", "not judged yet"


@dataclass(frozen=True)
class Breach:
    """Why a run stopped: the SLO, the value so far, its certain bound, and when."""

    slo: str
    limit: float
    value: float
    bound: float
    at_s: float

    def reason(self) -> str:
        """One line for the log and the verdict."""
        return f"{self.slo} breached beyond doubt: {self.value:.4g} (99% sure above {self.bound:.4g}; limit {self.limit:g}) for {SUSTAIN_S:g} s, stopped at {self.at_s:.0f} s"

    def as_dict(self) -> dict[str, object]:
        """The report's form."""
        return {"slo": self.slo, "limit": self.limit, "value": self.value, "bound": self.bound, "at_s": round(self.at_s, 1), "reason": self.reason()}


@dataclass
class BreachWatch:
    """Each SLO's live state, and the breach that stops the run (see the module docstring)."""

    slos: tuple[SloThreshold, ...]
    states: dict[str, str] = field(default_factory=dict)
    _since: dict[str, float] = field(default_factory=dict)

    def look(self, run_s: float, entries: Mapping[str, EntryNow]) -> Breach | None:
        """Judge every SLO on ``entries`` at ``run_s`` seconds into the run; the breach to stop on, if any."""
        stop: Breach | None = None
        for slo in self.slos:
            sure = _beyond_doubt(slo, entries.get(slo.entry))
            self.states[slo.name] = _state(slo, entries.get(slo.entry), sure)
            if sure is None or run_s < FIRST_CHECK_S:
                self._since.pop(slo.name, None)
                continue
            since = self._since.setdefault(slo.name, run_s)
            if stop is None and run_s - since >= SUSTAIN_S:
                stop = Breach(slo.name, slo.limit, sure[0], sure[1], run_s)
        return stop


def _histogram_kind(metric: str) -> str:
    return CORRECTED if "corrected" in metric else LOCUST


def _beyond_doubt(slo: SloThreshold, entry: EntryNow | None) -> tuple[float, float] | None:
    """(value so far, its certain bound) when ``slo`` is breached beyond doubt; else None."""
    if entry is None or not entry.requests:
        return None
    if slo.metric == "error_ratio":
        interval = ratio_interval(entry.failures, entry.requests)
        return (interval.point, interval.low) if interval is not None and interval.low > slo.limit else None
    histogram = entry.histograms.get(_histogram_kind(slo.metric))
    if histogram is None or not histogram.get_total_count():
        return None
    if slo.metric.startswith("max"):
        largest = histogram.get_max_value() / 1000
        return (largest, largest) if largest > slo.limit else None
    if slo.metric.startswith("p"):
        percent = float(slo.metric[1:].split("_", 1)[0])
        interval = percentile_interval(histogram, percent)
        return (interval.point, interval.low) if interval is not None and interval.low > slo.limit else None
    return None  # min_rps, dropped_ratio: judged on the whole run only


def _state(slo: SloThreshold, entry: EntryNow | None, sure: tuple[float, float] | None) -> str:
    if sure is not None:
        return BEYOND_DOUBT
    value = current_value(slo, entry)
    if value is None:
        return UNKNOWN
    breached = value > slo.limit if slo.comparison == "<=" else value < slo.limit
    return BREACHED if breached else HOLDS


def current_value(slo: SloThreshold, entry: EntryNow | None) -> float | None:
    """``slo``'s figure so far (None when it cannot be read live, or before a sample)."""
    if entry is None or not entry.requests:
        return None
    if slo.metric == "error_ratio":
        return entry.error_ratio
    histogram = entry.histograms.get(_histogram_kind(slo.metric))
    if histogram is None or not histogram.get_total_count():
        return None
    if slo.metric.startswith("max"):
        return float(histogram.get_max_value()) / 1000
    if slo.metric.startswith("p"):
        return float(histogram.get_value_at_percentile(float(slo.metric[1:].split("_", 1)[0]))) / 1000
    return None


def watched(slos: Iterable[SloThreshold]) -> tuple[SloThreshold, ...]:
    """The SLOs a run can be stopped on (every one but min_rps and dropped_ratio)."""
    return tuple(slo for slo in slos if slo.metric not in ("min_rps", "dropped_ratio"))
