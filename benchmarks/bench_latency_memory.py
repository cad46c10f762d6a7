"""The master's memory and the bytes shipped per request, from 1k to 10M requests (issue 15).

Feeds the suite's real recording path with synthetic requests, one child process per size:

  worker   otp_suite.loadtest.latency_collector.LatencyCollector.record() for each request (online
           correction, per-interval HdrHistograms), and .report() every 3 s of simulated time, as
           Locust's report_to_master does; packed with msgpack, as Locust's messages are
  master   a second child process that unpacks each report and merges it
           (LatencyCollector.merge()), then writes the final report (write_report: the JSON with
           the figures, the per-interval rows and the run-wide histograms)

The synthetic run is an arrival-rate run at 1,250 requests per second of simulated time (10M requests:
a soak of 2 h 13 min, 8,000 one-second intervals, each a row per entry and kind): flows of
register, inbox, verify (and the flow entry), each scheduled, a few ms each, with a stall now and
then. Prints, per size: the master's peak RSS and its growth over its RSS before the first report,
the bytes shipped per request, and the time taken. The claim: the master at 10M within 50 MB of 1k.

    .venv/bin/python benchmarks/bench_latency_memory.py [--sizes 1000,100000,1000000,10000000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

REPORT_EVERY_S = 3.0  # Locust's worker report period
REQUESTS_PER_S = 1250.0  # simulated


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def master(connection: multiprocessing.connection.Connection, prefix: str) -> None:
    """Merge every shipped report, write the final report, send back memory figures."""
    import msgpack

    from otp_suite.loadtest.corrected import write_report
    from otp_suite.loadtest.latency_collector import LatencyCollector

    collector = LatencyCollector()
    before_kb = _rss_kb()
    received = 0
    while True:
        message = connection.recv_bytes()
        if message == b"done":
            break
        received += len(message)
        collector.merge(msgpack.unpackb(message, raw=False))
    write_report(prefix, collector.latency, schedule={"rate": REQUESTS_PER_S / 4}, dropped={})
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    connection.send((before_kb, peak_kb, received, collector.latency.entry_figures()))


def worker(size: int, connection: multiprocessing.connection.Connection) -> None:
    """Record ``size`` synthetic requests and ship them every 3 s of simulated time."""
    import msgpack

    from otp_suite.loadtest.corrected import Sample
    from otp_suite.loadtest.latency_collector import LatencyCollector

    rng = random.Random(15)
    collector = LatencyCollector()
    clock = 1_800_000_000.0  # simulated epoch seconds
    next_report = clock + REPORT_EVERY_S
    flow_gap = 4 / REQUESTS_PER_S  # a flow is 4 entries
    sent = 0
    flow_id = 0
    while sent < size:
        flow_id += 1
        due = clock
        late = 0.0 if rng.random() > 0.001 else rng.uniform(0.1, 2.0)  # a stall now and then
        started = due + late
        total = 0.0
        for step, name in enumerate(("register", "inbox", "verify")):
            latency = rng.lognormvariate(1.0, 0.5)  # a few ms
            collector.record(Sample(name, started, latency, flow_id, step, late, True, False))
            started += latency / 1000
            total += latency
            sent += 1
        collector.record(Sample("flow", due + late, total, flow_id, -1, late, True, False))
        sent += 1
        clock += flow_gap
        if clock >= next_report:
            connection.send_bytes(msgpack.packb(collector.report(), use_bin_type=True))
            next_report += REPORT_EVERY_S
    connection.send_bytes(msgpack.packb(collector.report(), use_bin_type=True))
    connection.send_bytes(b"done")


def measure(size: int) -> dict[str, float]:
    """One size: worker and master in child processes of their own."""
    context = multiprocessing.get_context("spawn")
    master_end, worker_end = context.Pipe()
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        merger = context.Process(target=master, args=(master_end, str(Path(scratch) / "locust")))
        recorder = context.Process(target=worker, args=(size, worker_end))
        merger.start()
        recorder.start()
        recorder.join()
        before_kb, peak_kb, received, figures = worker_end.recv()
        merger.join()
        elapsed = time.perf_counter() - started
    verify = figures.get("verify", {})
    return {
        "requests": size,
        "master_rss_before_mb": before_kb / 1024,
        "master_peak_mb": peak_kb / 1024,
        "bytes_per_request": received / size,
        "seconds": elapsed,
        "verify_p95_ms": float(verify.get("p95_exact_ms", 0.0)),
        "verify_requests": float(verify.get("requests", 0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000,1000000,10000000", help="comma-separated request counts")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'requests':>10} {'master before':>14} {'master peak':>12} {'bytes/request':>14} {'seconds':>8} {'verify p95':>11}")
    rows = []
    for size in sizes:
        row = measure(size)
        rows.append(row)
        print(f"{size:>10} {row['master_rss_before_mb']:>11.1f} MB {row['master_peak_mb']:>9.1f} MB {row['bytes_per_request']:>14.3f} {row['seconds']:>8.1f} {row['verify_p95_ms']:>8.3f} ms", flush=True)
    if len(rows) > 1:
        growth = rows[-1]["master_peak_mb"] - rows[0]["master_peak_mb"]
        print(f"master peak at {sizes[-1]} requests minus at {sizes[0]}: {growth:+.1f} MB (claim: within 50 MB)")


if __name__ == "__main__":
    main()
