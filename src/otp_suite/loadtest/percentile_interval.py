"""How sure a percentile is: a distribution-free confidence interval, read from its HdrHistogram.

Latency is skewed, multi-modal and heavy-tailed, so no mean-and-standard-deviation test suits it.
A percentile's confidence interval needs no assumption about the shape at all: of ``n``
independent samples, the number that fall below the true ``q``-quantile is Binomial(n, q), so the
interval between the order statistics of ranks ``n·q ∓ z·sqrt(n·q·(1-q))`` holds the true
quantile with the confidence of ``z`` (the normal approximation of that binomial, which is close
from a few tens of samples). The histogram keeps every sample's value to 3 significant digits, so
the order statistic of any rank is read from it exactly as from the sorted samples (within 0.1%).

A percentile whose interval reaches past the slowest (or the fastest) sample has too few samples
for its rank (a p99 of 300 requests): it is reported as not known rather than guessed.

The error ratio's interval is Wilson's score interval for a binomial proportion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hdrh.histogram import HdrHistogram

#: z of a two-sided 99 % interval: a baseline verdict compares 15 figures, and two such intervals
#: apart is far stronger evidence than one test at 1 %, so same-build runs rarely flag each other.
Z_99 = 2.576


@dataclass(frozen=True)
class Interval:
    """A figure's point estimate and its confidence interval, in the figure's unit."""

    low: float
    point: float
    high: float

    def above(self, other: Interval) -> bool:
        """True when this interval lies wholly above ``other``'s: the figure grew beyond doubt."""
        return self.low > other.high


def rank_bounds(count: int, share: float, z: float = Z_99) -> tuple[int, int] | None:
    """The 1-based ranks bounding the ``share`` quantile of ``count`` samples; None when either falls outside 1..count."""
    if count <= 0:
        return None
    centre, spread = count * share, z * math.sqrt(count * share * (1 - share))
    low, high = math.floor(centre - spread), math.ceil(centre + spread)
    if low < 1 or high > count:
        return None
    return low, high


def value_at_rank_ms(histogram: HdrHistogram, rank: int) -> float:
    """The ``rank``-th smallest recorded value (1-based), in ms (the histogram holds microseconds)."""
    total = histogram.get_total_count()
    # hdrh rounds percentile x total to the nearest count: rank / total x 100 names that rank exactly.
    return float(histogram.get_value_at_percentile(100.0 * rank / total)) / 1000


def percentile_interval(histogram: HdrHistogram, percent: float, z: float = Z_99) -> Interval | None:
    """The ``percent`` percentile (0-100) of ``histogram`` with its confidence interval, in ms; None with too few samples."""
    count = int(histogram.get_total_count())
    bounds = rank_bounds(count, percent / 100, z)
    if bounds is None:
        return None
    point = float(histogram.get_value_at_percentile(percent)) / 1000
    return Interval(value_at_rank_ms(histogram, bounds[0]), point, value_at_rank_ms(histogram, bounds[1]))


def ratio_interval(failures: int, total: int, z: float = Z_99) -> Interval | None:
    """Wilson's score interval of the failure ratio ``failures / total``; None without requests."""
    if total <= 0:
        return None
    share = failures / total
    denominator = 1 + z * z / total
    centre = (share + z * z / (2 * total)) / denominator
    spread = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total)) / denominator
    return Interval(max(0.0, centre - spread), share, min(1.0, centre + spread))
