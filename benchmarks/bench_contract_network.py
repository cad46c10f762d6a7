"""The contract run's wall time direct and through a delaying link (50 ms round trip), side by side.

One embedded reference service (fast test policy) serves every run; the proxied runs reach it
through otp_suite.testdata.delaying_proxy on loopback. Direct and proxied runs alternate, so both see the
same machine; the medians and their ratio are printed (goal: ratio <= 1.3).

    .venv/bin/python benchmarks/bench_contract_network.py            # 3 rounds, 50 ms, full depth
    .venv/bin/python benchmarks/bench_contract_network.py --direct-only --rounds 3
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time
from pathlib import Path

from otp_suite.config import SuiteConfig, load_config
from otp_suite.contract.runner import run_contract
from otp_suite.target import resolved_target
from otp_suite.testdata.delaying_proxy import delayed_link


def timed_run(config: SuiteConfig, reports: Path) -> tuple[float, str]:
    """Wall time of one contract run against ``config``'s target and its closing line."""
    lines: list[str] = []
    started = time.perf_counter()
    outcome = run_contract(config, allure_dir=reports / "allure-results", junit_path=reports / "junit.xml", echo=lines.append)
    elapsed = time.perf_counter() - started
    if outcome.exit_code != 0:
        tail = "\n".join(lines[-15:])
        raise SystemExit(f"a contract run did not pass (exit {outcome.exit_code}); the benchmark compares passing runs:\n{tail}")
    return elapsed, outcome.summary()


def main() -> None:
    """Run the rounds and print each run, the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--round-trip-ms", type=float, default=50.0)
    parser.add_argument("--depth", choices=["quick", "full"], default=None, help="OTP_CONTRACT_DEPTH of the runs (default: the configured one)")
    parser.add_argument("--direct-only", action="store_true", help="only the direct runs (e.g. to time another checkout)")
    args = parser.parse_args()

    environ = {k: v for k, v in os.environ.items() if not k.startswith("OTP_")}
    environ["OTP_SEED"] = "12345"  # the same generated cases in every run
    if args.depth:
        environ["OTP_CONTRACT_DEPTH"] = args.depth
    config = load_config(environ)
    direct: list[float] = []
    proxied: list[float] = []
    with resolved_target(config) as target, tempfile.TemporaryDirectory() as scratch:
        depth = getattr(target, "contract_depth", "n/a")
        print(f"contract run against the embedded reference service (fast test policy), depth {depth}, {args.rounds} rounds", flush=True)
        for round_number in range(1, args.rounds + 1):
            elapsed, summary = timed_run(target, Path(scratch) / f"direct-{round_number}")
            direct.append(elapsed)
            print(f"  round {round_number} direct : {elapsed:6.1f} s  {summary}", flush=True)
            if args.direct_only:
                continue
            assert target.base_url is not None
            with delayed_link(target.base_url, round_trip_s=args.round_trip_ms / 1000) as link:
                elapsed, summary = timed_run(dataclasses.replace(target, base_url=link.url), Path(scratch) / f"proxied-{round_number}")
            proxied.append(elapsed)
            print(f"  round {round_number} {args.round_trip_ms:g} ms: {elapsed:6.1f} s  {summary}  ({link.counters.connections} connections)", flush=True)
    print(f"median direct: {statistics.median(direct):.1f} s")
    if proxied:
        ratio = statistics.median(proxied) / statistics.median(direct)
        print(f"median through a {args.round_trip_ms:g} ms round trip: {statistics.median(proxied):.1f} s")
        print(f"ratio: {ratio:.2f} (goal <= 1.3)")


if __name__ == "__main__":
    main()
