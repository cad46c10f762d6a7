"""Contract runs one after another against one long-lived reference service, as a stage's gate
meets them deploy after deploy: every run's exit code, summary and wall time.

    .venv/bin/python benchmarks/contract_runs_in_a_row.py --runs 10 --depth quick
    .venv/bin/python benchmarks/contract_runs_in_a_row.py --runs 3 --depth quick --ranges +999:55501234567
    .venv/bin/python benchmarks/contract_runs_in_a_row.py --runs 10 --fresh-history   # no ledger kept between runs
    .venv/bin/python benchmarks/contract_runs_in_a_row.py --runs 3 --fixed-code 123456   # a stage without a test inbox

The service is ``otp-suite serve`` (granian, on a free loopback port) at the production-like
default policy (cooldown 30 s, 5 sends an hour, lifetime 300 s) unless ``--test-policy``; each run
is ``otp-suite contract`` as a pipeline starts it, with the same reports folder (so the ledger of
test numbers in ``reports/history`` carries over, as a CI cache of the history does) unless
``--fresh-history``. The service lives for every run, so its send limits do too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from otp_suite.config import KNOWN_VARIABLES, PROJECT_ROOT
from otp_suite.policy import FAST_TEST_POLICY
from otp_suite.service.server import ServiceProcess

SECRET = "runs-in-a-row-secret-0123456789abcdefghijkl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--depth", choices=("quick", "full"), default="quick")
    parser.add_argument("--ranges", default="", help="OTP_TEST_RANGES of the runs (default: the suite's default range)")
    parser.add_argument("--test-policy", action="store_true", help="the fast test policy instead of the production-like default")
    parser.add_argument("--fresh-history", action="store_true", help="a new reports folder (so no ledger) for every run")
    parser.add_argument("--fixed-code", default="", help="a stage without a test inbox: the service runs --no-inbox with this OTP_FIXED_CODE, and so do the runs")
    parser.add_argument("--max-wait-s", default="400", help="OTP_MAX_WAIT_S of the runs (400 lets the full depth wait out a 300 s lifetime)")
    args = parser.parse_args()
    clean = {key: value for key, value in os.environ.items() if key not in KNOWN_VARIABLES}
    policy = FAST_TEST_POLICY.as_environment() if args.test_policy else {}
    fixed = {"OTP_FIXED_CODE": args.fixed_code} if args.fixed_code else {}
    serve_args = ("--no-inbox",) if args.fixed_code else ()
    with ServiceProcess({**clean, **policy, **fixed, "OTP_JWT_SECRET": SECRET, "OTP_SERVE_PORT": "0"}, serve_args) as service, tempfile.TemporaryDirectory() as work:
        print(f"otp-suite serve at {service.url} ({'fast test policy' if args.test_policy else 'default policy: cooldown 30 s, 5 sends/hour, lifetime 300 s'})", flush=True)
        codes = []
        for run in range(1, args.runs + 1):
            reports = Path(work) / (f"reports-{run}" if args.fresh_history else "reports")
            env = {**clean, **policy, **fixed, "OTP_BASE_URL": service.url, "OTP_JWT_SECRET": SECRET, "OTP_REPORTS_DIR": str(reports), "OTP_CONTRACT_DEPTH": args.depth, "OTP_MAX_WAIT_S": args.max_wait_s}
            if args.ranges:
                env["OTP_TEST_RANGES"] = args.ranges
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "otp_suite", "contract"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
            seconds = time.monotonic() - started
            lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
            verdict = next((line for line in reversed(lines) if "->" in line or "cannot judge" in line), lines[-1] if lines else "")
            codes.append(done.returncode)
            print(f"run {run}: exit {done.returncode} in {seconds:.1f} s: {verdict.strip()}", flush=True)
        print(f"exit codes: {codes}", flush=True)


if __name__ == "__main__":
    main()
