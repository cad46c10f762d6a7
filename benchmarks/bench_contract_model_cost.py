"""What the model test costs a contract run: ``otp-suite contract`` with and without it, alternately.

    .venv/bin/python benchmarks/bench_contract_model_cost.py --rounds 5 --depth full

Both sides run the same command against the embedded reference service (fast test policy), in this
process tree, one after the other in each round so the machine's load falls on both alike; the
only difference is ``--select 'not model'``. Prints each run's wall time, the medians and their
ratio (issue 22 allows the whole run 1.5 times its time without the model test).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from otp_suite.config import PROJECT_ROOT

OTP_SUITE = str(Path(sys.executable).with_name("otp-suite"))


def timed_run(depth: str, select: str | None, reports: str) -> tuple[float, int]:
    """Wall seconds and exit code of one ``otp-suite contract`` run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTP_")} | {"OTP_REPORTS_DIR": reports, "OTP_CONTRACT_DEPTH": depth}
    command = [OTP_SUITE, "contract"] + (["--select", select] if select else [])
    started = time.monotonic()
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False, timeout=1800)
    return time.monotonic() - started, result.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="pairs of runs (with and without the model test)")
    parser.add_argument("--depth", default="full", choices=("quick", "full"), help="contract depth")
    args = parser.parse_args()
    with_model: list[float] = []
    without: list[float] = []
    with tempfile.TemporaryDirectory() as reports:
        for round_number in range(1, args.rounds + 1):
            plain_s, plain_code = timed_run(args.depth, "not model", reports)
            model_s, model_code = timed_run(args.depth, None, reports)
            without.append(plain_s)
            with_model.append(model_s)
            print(f"round {round_number}: without the model test {plain_s:.1f} s (exit {plain_code}), with it {model_s:.1f} s (exit {model_code}), ratio {model_s / plain_s:.2f}", flush=True)
    ratio = statistics.median(with_model) / statistics.median(without)
    print(f"median without {statistics.median(without):.1f} s, with {statistics.median(with_model):.1f} s: ratio {ratio:.2f} ({args.depth} depth, {args.rounds} rounds)")


if __name__ == "__main__":
    main()
