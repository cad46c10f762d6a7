"""Latency-over-time pictures of a run (PNG): Locust's per-second history, and Locust's figures
against the corrected ones (from the per-interval histograms)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from otp_suite.loadtest.latency_histograms import CORRECTED, INTERVAL_S, LOCUST, IntervalRow
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


@dataclass(frozen=True)
class Bucket:
    """Percentiles of one entry's requests in one time slice: Locust's by send time, corrected by intended start."""

    start_s: float
    sent: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    due: int
    p50_corrected_ms: float | None
    p95_corrected_ms: float | None
    p99_corrected_ms: float | None


def buckets_over_time(rows: Sequence[IntervalRow], entry: str) -> list[Bucket]:
    """``entry``'s percentiles per reporting interval, time 0 the run's first interval.

    Locust's figures group requests by when they were sent; the corrected ones by when they were
    due, so a stall shows where it happened instead of being smeared over the requests sent after it.
    Read from the per-interval histograms (otp_suite.loadtest.latency_histograms), so a run of any
    length is drawn from the same few numbers per second.
    """
    mine = [row for row in rows if row.entry == entry]
    if not mine:
        return []
    zero = min(row.start_s for row in mine)
    by_slot: dict[int, dict[str, IntervalRow]] = defaultdict(dict)
    for row in mine:
        by_slot[round((row.start_s - zero) / INTERVAL_S)][row.kind] = row
    buckets = []
    for index in range(max(by_slot) + 1):
        sent, due = by_slot.get(index, {}).get(LOCUST), by_slot.get(index, {}).get(CORRECTED)
        buckets.append(
            Bucket(index * INTERVAL_S, sent.count if sent else 0, sent.p50_ms if sent else None, sent.p95_ms if sent else None, sent.p99_ms if sent else None,
                   due.count if due else 0, due.p50_ms if due else None, due.p95_ms if due else None, due.p99_ms if due else None)
        )  # fmt: skip
    return buckets


def plot_corrected(rows: Sequence[IntervalRow], path: Path, *, title: str, entry: str = "flow", shade: tuple[float, float] | None = None) -> Path | None:
    """Write ``entry``'s p50/p95/p99 per interval, Locust's (by send time) against corrected (by intended start),
    with the requests per interval below; ``shade`` marks a span (seconds) such as a known stall. None without data."""
    bucket_s = INTERVAL_S
    buckets = buckets_over_time(rows, entry)
    if not buckets:
        return None
    import matplotlib

    matplotlib.use("Agg")  # no display on CI machines
    import matplotlib.pyplot as plt

    figure, (latency, counts) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    x = [b.start_s + bucket_s / 2 for b in buckets]
    for share, colour in (("p50", "tab:green"), ("p95", "tab:orange"), ("p99", "tab:red")):
        latency.plot(x, [getattr(b, f"{share}_ms") for b in buckets], linestyle="--", color=colour, label=f"{share} Locust (from send)")
        latency.plot(x, [getattr(b, f"{share}_corrected_ms") for b in buckets], color=colour, linewidth=2, label=f"{share} corrected (from intended start)")
    latency.set_yscale("log")
    latency.set_ylabel(f"{entry} latency (ms, log scale)")
    latency.set_title(title)
    latency.legend(loc="upper left", fontsize="small", ncol=2)
    latency.grid(alpha=0.3, which="both")
    counts.bar([b.start_s for b in buckets], [b.due for b in buckets], width=bucket_s, align="edge", alpha=0.4, label="due (schedule)")
    counts.step([b.start_s for b in buckets], [b.sent for b in buckets], where="post", color="black", label="sent")
    counts.set_ylabel(f"{entry} per {bucket_s:g} s")
    counts.set_xlabel("seconds since the first flow was due")
    counts.legend(loc="upper left", fontsize="small")
    counts.grid(alpha=0.3)
    if shade is not None:
        for axis in (latency, counts):
            axis.axvspan(shade[0], shade[1], color="grey", alpha=0.15)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
