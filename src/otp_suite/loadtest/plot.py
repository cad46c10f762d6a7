"""The latency-over-time picture of a run (PNG), from Locust's per-second history."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from otp_suite.loadtest.locust_stats import SUMMARY_ENTRIES, HistoryPoint


def plot_latency(points: list[HistoryPoint], path: Path, *, title: str) -> Path | None:
    """Write p50 (dashed) and p95 per entry over time, with the user count below; None without data."""
    if not points:
        return None
    import matplotlib

    matplotlib.use("Agg")  # no display on CI machines
    import matplotlib.pyplot as plt

    series: dict[str, list[HistoryPoint]] = defaultdict(list)
    for point in points:
        series[point.name].append(point)
    figure, (latency, users) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    for name in [n for n in SUMMARY_ENTRIES if n in series] + sorted(set(series) - set(SUMMARY_ENTRIES)):
        rows = series[name]
        line = latency.plot([p.elapsed_s for p in rows], [p.p95_ms for p in rows], label=f"{name} p95")[0]
        latency.plot([p.elapsed_s for p in rows], [p.p50_ms for p in rows], linestyle="--", color=line.get_color(), label=f"{name} p50")
    latency.set_ylabel("response time (ms)")
    latency.set_title(title)
    latency.legend(loc="upper left", fontsize="small", ncol=2)
    latency.grid(alpha=0.3)
    by_time = {p.elapsed_s: p.users for p in points}
    users.step(sorted(by_time), [by_time[t] for t in sorted(by_time)], where="post")
    users.set_ylabel("users")
    users.set_xlabel("seconds since start")
    users.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
