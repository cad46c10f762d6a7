"""Latency in mergeable HdrHistograms: constant memory whatever the run's length or number of workers.

Every request is recorded twice, as Locust measured it (from when it was sent) and corrected for
coordinated omission (from when it was due, :class:`otp_suite.loadtest.corrected.OnlineCorrector`),
in HdrHistograms of microseconds with 3 significant digits (a value is kept to within 0.1%).

* **Each load process** (a worker, or the single local process) records into one histogram per
  reporting interval (:data:`INTERVAL_S`), entry and kind (:class:`IntervalRecorder`). Locust's
  figures go to the interval the request was *sent* in, the corrected ones to the interval it was
  *due* in, so a stall shows where it happened. With each periodic report to the master it ships
  what it recorded since the last one, encoded (compressed, a few hundred bytes per histogram),
  and starts afresh: a worker holds only the last few seconds.
* **The master** (or the local process) merges them (:class:`LatencyAggregate`): one run-wide
  histogram per entry and kind, for the final percentiles, and the recent intervals, kept encoded
  until no more samples can arrive for them (:data:`CLOSE_AFTER_S`), then reduced to a row of
  p50/p95/p99 for the latency-over-time plot. Memory therefore does not grow with the number of
  requests; only the rows grow with the run time, by about a hundred bytes per entry and second.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from hdrh.histogram import HdrHistogram

#: Precision of every latency figure: 3 significant digits (at most 0.1% off).
SIGNIFICANT_DIGITS = 3
#: Sub-bucket bits of HdrHistogram at that precision (2048 sub-buckets), and of the per-interval
#: rows (2 significant digits: 256 sub-buckets, at most 1% off). An open interval is kept as bucket
#: counts until it closes, 90 of them at a time per entry and kind: at 3 digits a wide spread of
#: latencies keeps up to eight times as many buckets in the master's memory, for no use in a plot.
SUB_BUCKET_BITS, INTERVAL_SUB_BUCKET_BITS = 11, 8
#: Range recorded, in microseconds: 1 µs to 1 h (a longer value is counted as 1 h).
LOWEST_US, HIGHEST_US = 1, 3_600_000_000
#: Length of one reporting interval of the latency-over-time figures.
INTERVAL_S = 1.0
#: An interval is closed (reduced to its percentiles) once the newest interval seen is this much later:
#: longer than any request may take (the request timeout) plus a worker's report period.
CLOSE_AFTER_S = 90.0
#: The two kinds of every entry: Locust's own figure and the corrected one.
LOCUST, CORRECTED = "locust", "corrected"
KINDS = (LOCUST, CORRECTED)
PERCENTILES = (50.0, 95.0, 99.0)


def new_histogram() -> HdrHistogram:
    """An empty histogram of microseconds, 1 µs to 1 h, 3 significant digits."""
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


def record_ms(histogram: HdrHistogram, latency_ms: float) -> None:
    """Record ``latency_ms`` (clamped to the histogram's range)."""
    histogram.record_value(min(HIGHEST_US, max(LOWEST_US, round(latency_ms * 1000))))


def percentile_ms(histogram: HdrHistogram, percent: float) -> float:
    """The value at ``percent`` (0-100) in ms, within 0.1%; 0 for an empty histogram."""
    return histogram.get_value_at_percentile(percent) / 1000 if histogram.get_total_count() else 0.0


def encode(histogram: HdrHistogram) -> str:
    """The histogram in HdrHistogram's compressed transport format (base64 text, fit for msgpack and JSON)."""
    encoded = histogram.encode()
    return encoded.decode("ascii") if isinstance(encoded, bytes) else str(encoded)


def decode(text: str) -> HdrHistogram:
    """The histogram :func:`encode` wrote."""
    return HdrHistogram.decode(text.encode("ascii"))


def release(histogram: HdrHistogram) -> None:
    """Let ``histogram``'s counts array (hundreds of kB) be freed as soon as it is dropped.

    hdrh's histogram and its encoder refer to each other, so a dropped histogram waits for Python's
    cyclic garbage collector, and one that lived through a young collection waits for a full one,
    which comes ever more rarely as a long run piles up long-lived objects: a master decoding every
    worker report grew by about 100 MB over 10 million requests. Breaking the cycle frees it at once.
    """
    histogram.encoder.histogram = None


def counts_of_encoded(text: str) -> dict[int, int]:
    """The non-empty buckets of an encoded histogram (see :func:`counts_of`); the decoded histogram is released."""
    histogram = decode(text)
    try:
        return counts_of(histogram)
    finally:
        release(histogram)


def interval_of(epoch_s: float) -> int:
    """The index of the reporting interval ``epoch_s`` falls in."""
    return int(epoch_s // INTERVAL_S)


#: One shipped histogram: [interval index, entry, kind, encoded histogram].
Shipped = list[Any]
#: The same before encoding: [interval index, entry, kind, {bucket value in µs: count}].
Counted = list[Any]


def counts_of(histogram: HdrHistogram) -> dict[int, int]:
    """A histogram's non-empty buckets as {lowest value in µs: count}.

    Read straight from the counts array up to the highest recorded value: hdrh's recorded-value
    iterator makes several Python calls per bucket, every bucket below that value included, which
    took a master seconds per worker report and starved it (a two-worker run never ended).
    """
    if histogram.get_total_count() == 0:
        return {}
    last = histogram.get_counts_array_index(histogram.get_max_value())
    counts, value_of = histogram.counts, histogram.get_value_from_index
    return {int(value_of(index)): int(counts[index]) for index in range(last + 1) if counts[index]}


def _coarse_bucket_us(value_us: int) -> int:
    """The lowest value of ``value_us``'s bucket at the per-interval precision (2 significant digits)."""
    shift = max(0, value_us.bit_length() - INTERVAL_SUB_BUCKET_BITS)
    return (value_us >> shift) << shift


def _percentiles_ms(counts: dict[int, int]) -> tuple[int, list[float]]:
    """Total and p50/p95/p99 (ms) of per-interval bucket counts, as HdrHistogram's get_value_at_percentile computes them."""
    total = sum(counts.values())
    keys = sorted(counts)
    figures = []
    for percent in PERCENTILES:
        wanted = max(1, int(percent / 100 * total + 0.5))
        seen = 0
        for key in keys:
            seen += counts[key]
            if seen >= wanted:
                shift = max(0, key.bit_length() - INTERVAL_SUB_BUCKET_BITS)
                figures.append((key + (1 << shift) - 1) / 1000)  # the bucket's highest equivalent value
                break
    return total, figures


def _bucket_us(latency_ms: float) -> int:
    """``latency_ms`` in µs, rounded down to the lowest value of its HdrHistogram bucket (3 digits: 2048 sub-buckets).

    Counting these in a dict costs a fraction of HdrHistogram's own record_value, and recording
    each with its count when shipping gives exactly the histogram that recording every value would.
    """
    value = min(HIGHEST_US, max(LOWEST_US, round(latency_ms * 1000)))
    shift = max(0, value.bit_length() - SUB_BUCKET_BITS)
    return (value >> shift) << shift


class IntervalRecorder:
    """One load process's latencies since its last report, by (interval, entry, kind), shipped as encoded HdrHistograms."""

    def __init__(self) -> None:
        self._open: dict[tuple[int, str, str], dict[int, int]] = {}

    def record(self, entry: str, kind: str, at_epoch_s: float, latency_ms: float) -> None:
        """Record one latency of ``entry`` (Locust's or corrected) in the interval of ``at_epoch_s``."""
        key = (interval_of(at_epoch_s), entry, kind)
        counts = self._open.get(key)
        if counts is None:
            counts = self._open[key] = {}
        bucket = _bucket_us(latency_ms)
        counts[bucket] = counts.get(bucket, 0) + 1

    def take_counts(self) -> list[Counted]:
        """Everything recorded since the last call, as bucket counts (a single process merges these directly)."""
        counted = [[interval, entry, kind, counts] for (interval, entry, kind), counts in self._open.items()]
        self._open = {}
        return counted

    def take(self) -> list[Shipped]:
        """Everything recorded since the last call, as encoded histograms (what a worker ships); the recorder starts afresh."""
        shipped = []
        for interval, entry, kind, counts in self.take_counts():
            histogram = new_histogram()
            for value, count in counts.items():
                histogram.record_value(value, count)
            shipped.append([interval, entry, kind, encode(histogram)])
            release(histogram)
        return shipped


@dataclass(frozen=True)
class IntervalRow:
    """One closed interval of one entry and kind: start (epoch s), requests, p50/p95/p99 in ms (2 significant digits)."""

    start_s: float
    entry: str
    kind: str
    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    def as_list(self) -> list[Any]:
        return [self.start_s, self.entry, self.kind, self.count, self.p50_ms, self.p95_ms, self.p99_ms]


class IntervalRows:
    """The closed intervals' rows, kept in typed columns (a few dozen bytes a row), read as :class:`IntervalRow`.

    A soak closes one row per entry, kind and second: ten million requests at a thousand a second
    are 64,000 rows, about 18 MB as Python objects in the master's memory, under 3 MB as columns.
    """

    def __init__(self) -> None:
        self._names: list[str] = []
        self._name_index: dict[str, int] = {}
        self._labels = array("H")  # entry index, kind index, alternately
        self._numbers = array("d")  # start, count, p50, p95, p99 of each row

    def _index(self, name: str) -> int:
        index = self._name_index.get(name)
        if index is None:
            index = self._name_index[name] = len(self._names)
            self._names.append(name)
        return index

    def append(self, row: IntervalRow) -> None:
        """Keep one more closed interval."""
        self._labels.extend((self._index(row.entry), self._index(row.kind)))
        self._numbers.extend((row.start_s, row.count, row.p50_ms, row.p95_ms, row.p99_ms))

    def __len__(self) -> int:
        return len(self._labels) // 2

    def __iter__(self) -> Iterator[IntervalRow]:
        names, labels, numbers = self._names, self._labels, self._numbers
        for i in range(len(self)):
            start, count, p50, p95, p99 = numbers[5 * i : 5 * i + 5]
            yield IntervalRow(start, names[labels[2 * i]], names[labels[2 * i + 1]], int(count), p50, p95, p99)


class LatencyAggregate:
    """Where the run is judged: merges the shipped histograms (see the module docstring)."""

    def __init__(self) -> None:
        self._totals: dict[tuple[str, str], HdrHistogram] = {}
        self._open: dict[int, dict[tuple[str, str], dict[int, int]]] = {}
        self._closed_before = -(2**62)
        self._newest = -(2**62)
        self.rows = IntervalRows()
        #: Histograms that arrived after their interval was closed (counted in the totals only).
        self.late = 0

    def add(self, shipped: Iterable[Shipped]) -> None:
        """Merge one worker's report (encoded histograms)."""
        self.add_counts([interval, entry, kind, counts_of_encoded(text)] for interval, entry, kind, text in shipped)

    def add_counts(self, counted: Iterable[Counted]) -> None:
        """Merge bucket counts (a single process's own, or a decoded report)."""
        for interval, entry, kind, counts in counted:
            total = self._totals.get((entry, kind))
            if total is None:
                total = self._totals[(entry, kind)] = new_histogram()
            for value, count in counts.items():
                total.record_value(int(value), int(count))
            interval = int(interval)
            if interval < self._closed_before:
                self.late += 1
                continue
            bucket = self._open.setdefault(interval, {}).setdefault((entry, kind), {})
            for value, count in counts.items():
                key = _coarse_bucket_us(int(value))
                bucket[key] = bucket.get(key, 0) + int(count)
            self._newest = max(self._newest, interval)
        self._close(self._newest - int(CLOSE_AFTER_S / INTERVAL_S))

    def close_all(self) -> None:
        """Close every open interval (the run is over)."""
        self._close(self._newest + 1)

    def _close(self, before: int) -> None:
        for interval in sorted(i for i in self._open if i < before):
            for (entry, kind), counts in sorted(self._open.pop(interval).items()):
                count, (p50, p95, p99) = _percentiles_ms(counts)
                self.rows.append(IntervalRow(interval * INTERVAL_S, entry, kind, count, p50, p95, p99))
        self._closed_before = max(self._closed_before, before)

    def total(self, entry: str, kind: str) -> HdrHistogram | None:
        """The run-wide histogram of ``entry``'s ``kind``, or None when nothing was recorded."""
        return self._totals.get((entry, kind))

    def entry_figures(self) -> dict[str, dict[str, float | int]]:
        """Per entry: requests, Locust's and corrected p50/p95/p99 and the corrected max, in ms (3 significant digits)."""
        figures: dict[str, dict[str, float | int]] = {}
        for entry in sorted({entry for entry, _ in self._totals}):
            measured, due = self._totals.get((entry, LOCUST)), self._totals.get((entry, CORRECTED))
            if measured is None or due is None:
                continue
            row: dict[str, float | int] = {"requests": int(measured.get_total_count())}
            for percent in PERCENTILES:
                key = f"p{percent:.0f}"
                row[f"{key}_exact_ms"] = round(percentile_ms(measured, percent), 3)
                row[f"{key}_corrected_ms"] = round(percentile_ms(due, percent), 3)
            row["max_corrected_ms"] = round(due.get_max_value() / 1000, 3)
            figures[entry] = row
        return figures

    def encoded_totals(self) -> dict[str, dict[str, str]]:
        """The run-wide histograms, encoded, by entry and kind (kept in the report: a later run can merge or compare them)."""
        by_entry: dict[str, dict[str, str]] = {}
        for (entry, kind), histogram in sorted(self._totals.items()):
            by_entry.setdefault(entry, {})[kind] = encode(histogram)
        return by_entry


def rows_from_lists(rows: Iterable[Iterable[Any]]) -> list[IntervalRow]:
    """Rows read back from a report's JSON."""
    return [IntervalRow(float(r[0]), str(r[1]), str(r[2]), int(r[3]), float(r[4]), float(r[5]), float(r[6])) for r in (list(x) for x in rows)]


def shipped_size(shipped: Iterable[Shipped]) -> int:
    """Bytes of encoded histogram text in one report (what travels to the master, before msgpack's framing)."""
    return sum(len(item[3]) for item in shipped)
