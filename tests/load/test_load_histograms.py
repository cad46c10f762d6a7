"""Latency in mergeable HdrHistograms (issue 15): what workers ship merges into what one process would have recorded."""

from __future__ import annotations

import gc
import random
from typing import Any

import msgpack
import pytest

from otp_suite.loadtest.corrected import Sample, percentile, read_report, write_report
from otp_suite.loadtest.latency_collector import LatencyCollector
from otp_suite.loadtest.latency_histograms import CORRECTED, INTERVAL_S, LOCUST, IntervalRecorder, LatencyAggregate, counts_of, decode, encode, new_histogram, record_ms

START = 1_800_000_000.0


def shipped_through_msgpack(collector: LatencyCollector) -> dict[str, Any]:
    """A worker's report as the master receives it (Locust packs messages with msgpack)."""
    report: dict[str, Any] = msgpack.unpackb(msgpack.packb(collector.report(), use_bin_type=True), raw=False)
    return report


@pytest.fixture
def latencies() -> list[float]:
    rng = random.Random(15)
    return [rng.lognormvariate(1.5, 0.8) for _ in range(5000)]


def test_histograms_of_two_workers_merged_give_the_percentiles_of_all_their_requests_within_0_1_percent(latencies):
    workers = [LatencyCollector(), LatencyCollector()]
    for index, latency in enumerate(latencies):
        workers[index % 2].record(Sample("verify", START + index / 1000, latency, index, 0, 0.0, False, False))
    master = LatencyCollector()

    for worker in workers:
        master.merge(shipped_through_msgpack(worker))
    master.latency.close_all()

    figures = master.latency.entry_figures()["verify"]
    truth = sorted(latencies)
    assert figures["requests"] == len(latencies)
    for share in (0.50, 0.95, 0.99):
        assert figures[f"p{round(share * 100)}_exact_ms"] == pytest.approx(percentile(truth, share), rel=0.002)


def test_each_interval_gets_its_own_row_with_locusts_and_the_corrected_percentiles():
    recorder, aggregate = IntervalRecorder(), LatencyAggregate()
    for second, latency in enumerate((5.0, 50.0, 500.0)):
        recorder.record("verify", LOCUST, START + second * INTERVAL_S, latency)
        recorder.record("verify", CORRECTED, START + second * INTERVAL_S, latency * 2)

    aggregate.add(recorder.take())
    aggregate.close_all()

    rows = aggregate.rows
    assert [(row.kind, row.count) for row in rows] == [(CORRECTED, 1), (LOCUST, 1)] * 3
    assert [row.p95_ms for row in rows] == pytest.approx([10.0, 5.0, 100.0, 50.0, 1000.0, 500.0], rel=0.01)  # 2 significant digits


def test_the_report_file_gives_back_every_interval_row_as_it_was_closed(tmp_path):
    recorder, aggregate = IntervalRecorder(), LatencyAggregate()
    for second in range(300):
        for entry in ("register", "verify"):
            recorder.record(entry, LOCUST, START + second * INTERVAL_S, 1.0 + second)
            recorder.record(entry, CORRECTED, START + second * INTERVAL_S, 2.0 + second)
    aggregate.add(recorder.take())
    aggregate.close_all()
    closed = list(aggregate.rows)

    write_report(tmp_path / "locust", aggregate, schedule=None, dropped={})

    report = read_report(tmp_path / "locust")
    assert len(closed) == 300 * 2 * 2
    assert report is not None and report.intervals == closed


def test_a_worker_ships_only_what_it_recorded_since_its_last_report():
    worker = LatencyCollector()
    worker.record(Sample("register", START, 3.0, 1, 0, 0.0, False, False))

    first, second = worker.report(), worker.report()

    assert len(first["otp_latency"]) == 2 and second["otp_latency"] == []


def test_the_master_keeps_no_samples_unless_the_samples_csv_is_asked_for(latencies):
    worker, master = LatencyCollector(), LatencyCollector()
    for index, latency in enumerate(latencies[:20]):  # one request per second: 20 intervals
        worker.record(Sample("verify", START + index, latency, index, 0, 0.0, False, False))

    master.merge(shipped_through_msgpack(worker))
    master.latency.close_all()

    assert master.samples is None and worker.samples is None
    assert len(master.latency.rows) == 40  # 20 intervals, Locust's and corrected: reduced to rows


def test_reading_a_shipped_histogram_gives_every_bucket_hdrh_itself_iterates():
    # counts_of reads the counts array directly (hdrh's iterator starved a master): same buckets, same counts.
    chooser = random.Random(7)
    for _ in range(50):
        histogram = new_histogram()
        for _ in range(chooser.randint(1, 300)):
            record_ms(histogram, chooser.expovariate(1 / 50))
        record_ms(histogram, chooser.uniform(1_000, 3_600_000))  # one from the far end of the range
        shipped = decode(encode(histogram))

        expected = {int(shipped.get_lowest_equivalent_value(item.value_iterated_to)): item.count_at_value_iterated_to for item in shipped.get_recorded_iterator()}

        assert counts_of(shipped) == expected


def test_an_empty_histogram_has_no_buckets():
    assert counts_of(decode(encode(new_histogram()))) == {}


def test_the_master_merging_a_report_leaves_no_histogram_to_the_cyclic_garbage_collector(latencies):
    """A histogram left to the cyclic collector keeps its counts array (hundreds of kB) until a full
    collection, which a long run's master rarely makes: its memory then grows with the run."""
    worker, master = LatencyCollector(), LatencyCollector()
    for index, latency in enumerate(latencies[:200]):
        worker.record(Sample("verify", START + index / 10, latency, index, 0, 0.0, False, False))
    report = shipped_through_msgpack(worker)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds is kept in gc.garbage, to be read
    try:
        master.merge(report)

        gc.collect()
        # Only hdrh's objects: another thread of this process (a service under test) may leave its own.
        left_for_the_collector = [type(item).__name__ for item in gc.garbage if type(item).__module__.startswith("hdrh")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()

    assert left_for_the_collector == []
