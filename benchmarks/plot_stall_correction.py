"""The picture of docs/latency-correction.md: Locust's figures against corrected ones during a known stall.

Two real runs against the embedded reference service with ``stall:4:2`` (every response held from
4 s to 6 s after the load's first request), direct flows without pauses, for 10 s:

  open    otp-suite load --arrival-rate 100: flows start on schedule; the corrected percentiles
          are measured from each request's intended start
  closed  otp-suite load --users 10 (Locust's own model), for comparison: what Locust reports alone

Prints, per run and entry, Locust's p95 and the corrected p95 next to the stall's arithmetic
(p95 = L - 0.05 N / R, tests/load/test_arrival_correction.py), and writes the plot of the open run:
p50/p95/p99 of ``--entry`` per half second, by send time (Locust) and by intended start
(corrected), with the requests due and sent below and the stall shaded.

    .venv/bin/python benchmarks/plot_stall_correction.py [--entry verify] [--out docs/stall-correction.png]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from otp_suite.config import load_config  # noqa: E402
from otp_suite.loadtest import EMBEDDED_LOAD_POLICY, LoadOptions, run_load  # noqa: E402
from otp_suite.loadtest.corrected import read_report  # noqa: E402
from otp_suite.loadtest.plot import plot_corrected  # noqa: E402
from otp_suite.loadtest.slo import default_slos  # noqa: E402
from otp_suite.target import resolved_target  # noqa: E402

START_S, LENGTH_S, RATE, RUN_S = 4.0, 2.0, 100, 10
ENTRIES = ("register", "inbox", "verify", "flow")


def run(options: LoadOptions, reports: Path) -> dict[str, dict[str, float]]:
    config = dataclasses.replace(load_config({}), think_time_s=0.0)
    with resolved_target(config, policy=EMBEDDED_LOAD_POLICY, fault=f"stall:{START_S:g}:{LENGTH_S:g}") as target:
        outcome = run_load(target, options, reports_dir=reports, allure_dir=reports / "allure-results", echo=lambda line: None)
    if outcome.exit_code == 2:
        raise SystemExit(f"the run could not be judged: {outcome.reason}")
    return {e.name: {"requests": e.requests, "p95_ms": e.p95_ms, "p95_corrected_ms": e.p95_corrected_ms or 0.0} for e in outcome.entries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entry", default="verify", choices=ENTRIES, help="entry to plot (default verify)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "stall-correction.png", help="PNG to write")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        reports = Path(scratch)
        open_model = LoadOptions(arrival_rate=RATE, run_time_s=RUN_S, tags=("direct",), slos=default_slos(RATE), grace_s=60)
        figures = {"open": run(open_model, reports / "open")}
        corrected = read_report(reports / "open" / "load" / "locust")
        closed_model = LoadOptions(users=10, spawn_rate=10, run_time_s=RUN_S, tags=("direct",), grace_s=60)
        figures["closed"] = run(closed_model, reports / "closed")
        title = f"stall {START_S:g}-{START_S + LENGTH_S:g} s, {RATE} flows/s on schedule: {args.entry}, Locust's figures vs corrected"
        plot_corrected(corrected.intervals if corrected is not None else [], args.out, title=title, entry=args.entry, shade=(START_S, START_S + LENGTH_S))

    print(f"stall {LENGTH_S:g} s at {START_S:g} s of a {RUN_S} s run; true p95 = L - 0.05 N / R")
    print(f"{'run':8}{'entry':10}{'requests':>9}{'true p95':>10}{'Locust p95':>12}{'corrected p95':>15}")
    for model, entries in figures.items():
        for name in ENTRIES:
            entry = entries.get(name)
            if entry is None:
                continue
            truth = (LENGTH_S - 0.05 * entry["requests"] / RATE) * 1000 if model == "open" else float("nan")
            print(f"{model:8}{name:10}{entry['requests']:>9.0f}{truth:>10.0f}{entry['p95_ms']:>12.0f}{entry['p95_corrected_ms']:>15.0f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
