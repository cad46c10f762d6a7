"""Two ways of doing the same work, timed side by side: the shape every "does this machinery pay
for itself" benchmark shares (the developers' rule: both sides in one process tree, alternating,
medians and the ratio, since this machine is noisy)."""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

#: A piece of speed machinery stays while it cuts at least 20 % of the wall time it exists to cut.
KEEP_RATIO = 0.80

#: One side: given a fresh scratch folder, do the work once; its wall time and a one-line summary.
Side = Callable[[Path], tuple[float, str]]


def alternate(rounds: int, sides: dict[str, Side]) -> dict[str, list[float]]:
    """Run each side once per round, in turn (the first side first in odd rounds, last in even ones); the wall times."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    with tempfile.TemporaryDirectory(prefix="side-by-side-") as scratch:
        for round_number in range(1, rounds + 1):
            for name in names if round_number % 2 else reversed(names):
                elapsed, summary = sides[name](Path(scratch) / f"round{round_number}-{names.index(name)}")
                times[name].append(elapsed)
                print(f"  round {round_number} {name:>34}: {elapsed:6.1f} s  {summary}", flush=True)
    return times


def report(times: dict[str, list[float]], machinery: str, stock: str) -> float:
    """Print both sides' runs, medians and the ratio machinery / stock, with the verdict; the ratio."""
    for name in (machinery, stock):
        runs = ", ".join(f"{t:.1f}" for t in times[name])
        print(f"median {name}: {statistics.median(times[name]):.1f} s ({runs})")
    ratio = statistics.median(times[machinery]) / statistics.median(times[stock])
    verdict = "pays for itself" if ratio <= KEEP_RATIO else "does not pay for itself"
    print(f"ratio {machinery} / {stock}: {ratio:.3f}, saves {100 * (1 - ratio):.1f} % (keep at <= {KEEP_RATIO:.2f}: {verdict})", flush=True)
    return ratio
