"""The Locust master's peak memory in a real distributed arrival-rate run: 1 minute against 3 minutes.

Runs ``otp-suite load`` (this suite's runner: a master and 2 local workers, the locustfile, the
embedded reference service in its own process) twice, one after the other, with the same rate:
once for --minutes-short, once for --minutes-long. While each runs, a thread reads the master's
peak resident memory (VmHWM in /proc/<pid>/status) every half second, the last reading before it
exits being its peak. Prints both peaks, the requests of each run and the ratio (claim: the long
run's peak within 10% of the short one's: the master holds histograms, not samples).

With --live, both runs also watch their SLOs live and serve /metrics (--abort-on-breach's watch
and --metrics-port), scraped once a second by this benchmark, so the claim covers them too.

    .venv/bin/python benchmarks/bench_distributed_memory.py [--rate 40] [--minutes-short 1] [--minutes-long 3] [--live]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from otp_suite.config import load_config  # noqa: E402
from otp_suite.loadtest import EMBEDDED_LOAD_POLICY, LoadOptions, run_load  # noqa: E402
from otp_suite.loadtest.slo import default_slos  # noqa: E402
from otp_suite.ports import free_port  # noqa: E402
from otp_suite.target import resolved_target  # noqa: E402


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            found.append(child)
            todo.append(child)
    return found


class MasterWatch:
    """Follows the Locust master among this process's descendants and keeps its peak VmHWM."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            for pid in _descendants(os.getpid()):
                try:
                    if b"--master" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                        continue
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                except OSError:
                    continue

    def __enter__(self) -> MasterWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Scraper:
    """Reads http://127.0.0.1:<port>/metrics once a second while a run goes on (what a Prometheus would do)."""

    def __init__(self, port: int) -> None:
        self.port, self.scrapes = port, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._scrape, daemon=True)

    def _scrape(self) -> None:
        import urllib.request

        while not self._stop.wait(1.0):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as answer:
                    answer.read()
                self.scrapes += 1
            except OSError:
                continue  # not serving yet, or already stopped

    def __enter__(self) -> Scraper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run(rate: float, seconds: int, reports: Path, *, live: bool = False) -> tuple[float, int]:
    """One distributed run; (master's peak MB, requests)."""
    port = free_port() if live else 0
    config = dataclasses.replace(load_config({}), think_time_s=0.0, metrics_port=port)
    options = LoadOptions(arrival_rate=rate, run_time_s=seconds, workers=2, tags=("direct",), slos=default_slos(rate), grace_s=90, measure_every_slo=False)
    with MasterWatch() as watch, Scraper(port) if live else contextlib.nullcontext() as scraper, resolved_target(config, policy=EMBEDDED_LOAD_POLICY) as target:
        outcome = run_load(target, options, reports_dir=reports, allure_dir=reports / "allure-results", echo=lambda line: None)
    if outcome.exit_code == 2:
        raise SystemExit(f"the run could not be judged: {outcome.reason}")
    requests = sum(entry.requests for entry in outcome.entries if entry.name != "flow")
    if scraper is not None:
        print(f"  /metrics scraped {scraper.scrapes} times", flush=True)
    return watch.peak_kb / 1024, requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=40.0, help="flows per second (3 requests each)")
    parser.add_argument("--minutes-short", type=float, default=1.0)
    parser.add_argument("--minutes-long", type=float, default=3.0)
    parser.add_argument("--live", action="store_true", help="serve /metrics (scraped every second) during both runs")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for minutes in (args.minutes_short, args.minutes_long):
            peak_mb, requests = run(args.rate, round(minutes * 60), Path(scratch) / f"{minutes:g}m", live=args.live)
            rows.append((minutes, peak_mb, requests))
            print(f"{minutes:g} min at {args.rate:g} flows/s, 2 workers: master peak {peak_mb:.1f} MB, {requests} requests", flush=True)
    (_, short_mb, _), (_, long_mb, _) = rows
    print(f"long / short master peak: {long_mb / short_mb:.3f} (claim: within 10%, i.e. <= 1.10)")


if __name__ == "__main__":
    main()
