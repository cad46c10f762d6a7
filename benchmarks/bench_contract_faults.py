"""Benchmark of the contract suite: which faults it kills, next to plain ``st run --checks all``;
false failures over repeated runs of the correct service; wall time of ``otp-suite contract``.

    .venv/bin/python benchmarks/bench_contract_faults.py                 # everything (hours: full suite per fault)
    .venv/bin/python benchmarks/bench_contract_faults.py --mapped --no-st --correct-runs 10 --timing-runs 3
    .venv/bin/python benchmarks/bench_contract_faults.py --faults no_lockout,leak_otp --correct-runs 2 --timing-runs 0
    .venv/bin/python benchmarks/bench_contract_faults.py --only contract_tests/test_lifecycle_model.py --no-st --timing-runs 0   # the model test alone

Both sides run against the same embedded reference service (one fresh process per fault), in
this process tree. By default the suite runs in full against every fault; ``--mapped`` runs only
the tests of the clauses the fault breaks (contract_tests/clauses.toml), which is what the suite's
own fault matrix does: a kill there is a kill of the full suite too (the full suite runs them).
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

from otp_suite.config import PROJECT_ROOT, load_config
from otp_suite.contract.clause_map import load_clauses
from otp_suite.contract.runner import run_contract
from otp_suite.service.faults import CATALOG
from otp_suite.target import resolved_target
from otp_suite.testdata.tokens import mint_token

#: Speed and availability faults: judged by the load tests, not by a contract.
LOAD_ONLY = {"slow_verify", "fail_ratio", "stall"}
SECRET = "bench-contract-secret-0123456789abcdefghij"


def mapped_node_ids(fault: str) -> list[str]:
    """The contract tests of the clauses ``fault`` breaks."""
    entries = sorted({entry for clause in load_clauses().values() if fault in clause.faults for entry in clause.tests})
    return [f"contract_tests/{entry}" for entry in entries]


def suite_kills(fault: str, reports: Path, *, mapped: bool = False, only: list[str] | None = None, depth: str = "full") -> tuple[bool, float]:
    started = time.monotonic()
    with resolved_target(load_config({}, jwt_secret=SECRET, contract_depth=depth), fault=fault) as config:
        args = only or (mapped_node_ids(fault) if mapped and fault else [])
        lines: list[str] = []
        outcome = run_contract(config, allure_dir=reports / "allure", junit_path=reports / "junit.xml", echo=lines.append, pytest_args=args)
    if not fault and outcome.exit_code != 0:
        # A false failure against the correct service: show what failed (redacted by the runner).
        print("\n".join(lines[-60:]), flush=True)
    return outcome.exit_code == 1, time.monotonic() - started


def st_run_kills(fault: str, max_examples: int) -> tuple[bool, float]:
    started = time.monotonic()
    with resolved_target(load_config({}, jwt_secret=SECRET), fault=fault) as config:
        token = mint_token(SECRET, "bench-user")
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "otp_suite.contract.st_hooks"}
        command = [str(Path(sys.executable).with_name("st")), "run", str(PROJECT_ROOT / "openapi.yaml"), "--url", str(config.base_url),
                   "-H", f"user-jwt-token: {token}", "--checks", "all", "--max-examples", str(max_examples), "--no-color"]  # fmt: skip
        result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    return result.returncode == 1, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faults", default=",".join(sorted(set(CATALOG) - LOAD_ONLY)), help="comma-separated faults")
    parser.add_argument("--correct-runs", type=int, default=10, help="runs against the correct service (false failures)")
    parser.add_argument("--timing-runs", type=int, default=3, help="timed runs of `otp-suite contract` (median)")
    parser.add_argument("--st-max-examples", type=int, default=30, help="max examples for plain st run (the suite's default budget)")
    parser.add_argument("--mapped", action="store_true", help="run only the tests of the clauses each fault breaks")
    parser.add_argument("--no-st", action="store_true", help="skip plain st run (the slow side)")
    parser.add_argument("--only", default="", help="comma-separated contract test paths: run only these on the suite's side (e.g. the model test)")
    parser.add_argument("--depth", default="full", choices=("quick", "full"), help="contract depth of the suite's side")
    parser.add_argument("--no-suite", action="store_true", help="skip the suite's side (tests/contract/test_contract_faults.py proves its kills)")
    args = parser.parse_args()
    faults = [f for f in args.faults.split(",") if f]
    only = [path for path in args.only.split(",") if path] or None
    with tempfile.TemporaryDirectory() as tmp:
        reports = Path(tmp)
        print(f"{'fault':28} {'suite':>8} {'st run':>8}")
        suite_total = st_total = 0
        for fault in faults:
            try:
                suite, suite_s = (False, 0.0) if args.no_suite else suite_kills(fault, reports, mapped=args.mapped, only=only, depth=args.depth)
                st, st_s = (False, 0.0) if args.no_st else st_run_kills(fault, args.st_max_examples)
            except (RuntimeError, OSError, subprocess.SubprocessError) as error:
                # The benchmark's own trouble (e.g. the service did not start), not a verdict on the suite.
                print(f"{fault:28} {'ERROR':>8} {'ERROR':>8}   ({str(error).splitlines()[0][:80]})", flush=True)
                continue
            suite_total += suite
            st_total += st
            st_word = "-" if args.no_st else ("killed" if st else "missed")
            suite_word = "-" if args.no_suite else ("killed" if suite else "MISSED")
            print(f"{fault:28} {suite_word:>8} {st_word:>8}   ({suite_s:.0f} s / {st_s:.0f} s)", flush=True)
        print(f"{'killed/total':28} {suite_total:>5}/{len(faults)} {st_total:>5}/{len(faults)}")
        false_failures = 0
        for run in range(args.correct_runs):
            failed, run_s = suite_kills("", reports, only=only, depth=args.depth)
            false_failures += failed
            print(f"correct service run {run + 1}: {'FAILED' if failed else 'passed'} ({run_s:.0f} s)", flush=True)
        if args.correct_runs:
            print(f"correct service: {false_failures} false failures in {args.correct_runs} runs")
        times = []
        for _ in range(args.timing_runs):
            started = time.monotonic()
            env = {k: v for k, v in os.environ.items() if not k.startswith("OTP_")} | {"OTP_REPORTS_DIR": tmp}
            subprocess.run([str(Path(sys.executable).with_name("otp-suite")), "contract"], cwd=PROJECT_ROOT, env=env, capture_output=True, check=False)
            times.append(time.monotonic() - started)
        if times:
            print(f"otp-suite contract (embedded target): median {statistics.median(times):.1f} s over {len(times)} runs {[round(t, 1) for t in times]}")


if __name__ == "__main__":
    main()
