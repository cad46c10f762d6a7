"""How often the baseline verdict cries wolf, and how often it names a real regression.

A stage 50 ms away, in a box: the reference service (its own process) behind the delaying proxy
(fixtures/delaying_proxy.py, 50 ms per round trip). Real Locust runs through this suite's runner
(``run_load``): --same runs of the healthy service (every other one with a core kept busy by a
spinning process of this benchmark, bounded by the run's time), then --slow runs of the same
service with verify --regression-ms slower (fault slow_verify). Each run after the first is judged
against the first run's summary.json as its baseline (its exit code is printed); then every
same-build pair (earlier as baseline) and every regressed run against every healthy one are
compared again from the saved summaries, by the verdict of otp_suite.loadtest.baseline
(confidence intervals from the histograms) and, for contrast, by the fixed rule it replaced
(p50/p95 25 %, p99 50 %, changes under 50 ms noise, no histograms).

Prints, for both rules: the false-alarm rate (same-build pairs with any figure regressed) and the
detection rate (regressed runs whose comparison names verify).

    .venv/bin/python benchmarks/bench_baseline_verdict.py [--same 4] [--slow 3] [--run-time 20] [--regression-ms 12]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from helpers.load import busy_core  # noqa: E402
from otp_suite.config import load_config  # noqa: E402
from otp_suite.loadtest import EMBEDDED_LOAD_POLICY, LoadOptions, run_load  # noqa: E402
from otp_suite.loadtest.baseline import compare, parse_max_regression  # noqa: E402
from otp_suite.target import resolved_target  # noqa: E402
from otp_suite.testdata.delaying_proxy import delayed_link  # noqa: E402

ROUND_TRIP_S = 0.050
#: The rule the confidence intervals replaced: fixed percentages over a 50 ms floor, no histograms.
FIXED_RULE = ("*.p50=25%", "*.p95=25%", "*.p99=50%")


def one_run(fault: str, seconds: int, reports: Path, baseline: Path | None, *, busy: bool) -> tuple[int, str, dict[str, Any]]:
    """One run through a 50 ms link; (exit code, reason, summary.json)."""
    config = load_config({})
    options = LoadOptions(users=10, spawn_rate=10, run_time_s=seconds, tags=("direct", "wrong_otp"), slos=(), measure_every_slo=False, grace_s=60, baseline=baseline)
    with resolved_target(config, policy=EMBEDDED_LOAD_POLICY, fault=fault) as service, delayed_link(str(service.base_url), round_trip_s=ROUND_TRIP_S) as link:
        target = dataclasses.replace(service, base_url=link.url, inbox_url=None)
        with busy_core(seconds + 30) if busy else _nothing():
            outcome = run_load(target, options, reports_dir=reports, allure_dir=reports / "allure-results", echo=lambda line: None)
    if outcome.summary_path is None:
        raise SystemExit(f"the run could not be judged: {outcome.reason}")
    summary = json.loads(outcome.summary_path.read_text(encoding="utf-8"))
    return outcome.exit_code, outcome.reason, summary


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def regressed(baseline: dict[str, Any], now: dict[str, Any], *, fixed_rule: bool) -> list[str]:
    """The figures ``now`` regressed on against ``baseline``, by the current verdict or the fixed rule."""
    if fixed_rule:
        before = {key: value for key, value in baseline.items() if key != "histograms"}
        return [c.name for c in compare(before, now["entries"], parse_max_regression(FIXED_RULE), arrival=False).regressed]
    return [c.name for c in compare(baseline, now["entries"], parse_max_regression([]), arrival=False, now_histograms=now.get("histograms")).regressed]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--same", type=int, default=4, help="runs of the healthy service")
    parser.add_argument("--slow", type=int, default=3, help="runs with verify slower")
    parser.add_argument("--run-time", type=int, default=20, help="seconds per run")
    parser.add_argument("--regression-ms", type=int, default=12)
    args = parser.parse_args()
    healthy: list[dict[str, Any]] = []
    slow: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        first = Path(scratch) / "baseline.json"
        for index in range(args.same + args.slow):
            is_slow, busy = index >= args.same, index % 2 == 1
            fault = f"slow_verify:{args.regression_ms}" if is_slow else ""
            code, reason, summary = one_run(fault, args.run_time, Path(scratch) / f"run{index}", first if index else None, busy=busy)
            if index == 0:
                first.write_text(json.dumps(summary), encoding="utf-8")
            verify: dict[str, Any] = next((e for e in summary["entries"] if e["name"] == "verify"), {})
            label = f"verify +{args.regression_ms} ms" if is_slow else "same build"
            print(
                f"run {index} ({label}{', a core busy' if busy else ''}): verify p50 {verify.get('p50_ms')} ms p95 {verify.get('p95_ms')} ms, {verify.get('requests')} requests; against run 0: exit {code} ({reason})",
                flush=True,
            )
            (slow if is_slow else healthy).append(summary)
    same_pairs = list(itertools.combinations(healthy, 2))
    slow_pairs = list(itertools.product(healthy, slow))
    for name, fixed in (("confidence intervals (now)", False), ("fixed 25%/50% over 50 ms (before)", True)):
        alarms = [regressed(a, b, fixed_rule=fixed) for a, b in same_pairs]
        found = [regressed(a, b, fixed_rule=fixed) for a, b in slow_pairs]
        false_alarm = sum(1 for names in alarms if names) / len(same_pairs)
        detection = sum(1 for names in found if any(n.startswith("verify.") for n in names)) / len(slow_pairs)
        wrongly_named = sorted({n for names in found for n in names if not n.startswith("verify.")})
        print(
            f"{name}: false-alarm rate {false_alarm:.0%} ({sum(1 for n in alarms if n)}/{len(same_pairs)} same-build pairs), detection rate {detection:.0%} ({sum(1 for n in found if any(x.startswith('verify.') for x in n))}/{len(slow_pairs)} regressed pairs name verify); other figures flagged in regressed pairs: {', '.join(wrongly_named) or 'none'}"
        )
        for names in alarms:
            if names:
                print(f"  false alarm on: {', '.join(names)}")


if __name__ == "__main__":
    main()
