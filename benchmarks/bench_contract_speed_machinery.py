"""The contract run's speed machinery against the stock mechanism it would replace, side by side.

Two pieces (issue 25, "speed machinery earns its place"), each timed in the situation it exists for:

- ``scheduler``: the custom xdist scheduler ``LongestWaitFirstScheduling`` (removed in issue 25;
  loaded here from the last commit that had it, :data:`LEGACY_COMMIT`, as a plugin of the contract
  pytest) against xdist's own ``--dist load --maxschedchunk 1`` with the collection ordered by
  ``otp_suite.contract.scheduling`` (what the runner does now). Measured at a policy with long
  waits, scaled down (default: lifetime 90 s, cooldown 10 s, 5 sends an hour, so 6 workers started
  in order as at a production policy), or ``--production`` (lifetime 300 s, cooldown 30 s, 5 sends an hour).
- ``forks``: the contract workers forked from a warm server (``otp_suite.contract.worker_forks``)
  against plain Python workers, through a 50 ms round trip (a far target: 10 workers) and on the
  quick direct run (4 workers).

The sides alternate, round by round, in this one process tree, each run against a fresh embedded
reference service on loopback; every run must pass with 0 skipped at the full depth. The medians
and the ratio (machinery / stock) are printed: a piece pays for itself at a ratio of 0.80 or less.

    .venv/bin/python benchmarks/bench_contract_speed_machinery.py forks --rounds 3
    .venv/bin/python benchmarks/bench_contract_speed_machinery.py forks --rounds 3 --direct-only --direct-depth full
    .venv/bin/python benchmarks/bench_contract_speed_machinery.py scheduler --rounds 3
    .venv/bin/python benchmarks/bench_contract_speed_machinery.py scheduler --rounds 1 --production
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from side_by_side import Side, alternate, report

from otp_suite.config import PROJECT_ROOT, SuiteConfig, load_config
from otp_suite.contract import runner
from otp_suite.contract.runner import run_contract
from otp_suite.policy import FAST_TEST_POLICY, OtpPolicy
from otp_suite.target import resolved_target
from otp_suite.testdata.delaying_proxy import delayed_link

#: The last commit with the custom scheduler (src/otp_suite/contract/scheduling.py).
LEGACY_COMMIT = "4b54ee9"
LEGACY_SCHEDULER_MODULE = "otp_bench_legacy_scheduling"


def timed_run(config: SuiteConfig, reports: Path, pytest_args: Sequence[str] = ()) -> tuple[float, str]:
    """Wall time of one contract run against ``config``'s target and its summary; exits unless it passed with no skip."""
    lines: list[str] = []
    started = time.perf_counter()
    outcome = run_contract(config, allure_dir=reports / "allure-results", junit_path=reports / "junit.xml", echo=lines.append, pytest_args=pytest_args)
    elapsed = time.perf_counter() - started
    full = config.contract_depth == "full"
    if outcome.exit_code != 0 or (full and outcome.skipped):
        tail = "\n".join(lines[-15:])
        raise SystemExit(f"a contract run did not pass with 0 skipped (exit {outcome.exit_code}, {outcome.skipped} skipped); the benchmark compares passing runs:\n{tail}")
    return elapsed, outcome.summary()


def write_legacy_scheduler(folder: Path) -> None:
    """The custom scheduler's module as of :data:`LEGACY_COMMIT`, as a plugin that runs after the current ordering.

    Its ini option is registered by the current module already; its ordering runs as a wrapper,
    after the current one, so the scheduler gets the collection sorted as it expects.
    """
    source = subprocess.run(["git", "show", f"{LEGACY_COMMIT}:src/otp_suite/contract/scheduling.py"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    source = re.sub(r"\ndef pytest_addoption\(.*?\n\n\n", "\n", source, flags=re.DOTALL)
    ordering = "@pytest.hookimpl(trylast=True)\ndef pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:\n"
    assert ordering in source, f"{LEGACY_COMMIT}'s scheduling.py changed shape; update write_legacy_scheduler"
    source = source.replace(ordering, "@pytest.hookimpl(wrapper=True)\ndef pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]):  # type: ignore[no-untyped-def]\n    yield\n")
    (folder / f"{LEGACY_SCHEDULER_MODULE}.py").write_text(source, encoding="utf-8")


@contextmanager
def plain_workers() -> Iterator[None]:
    """Contract runs in this block start their xdist workers as new Pythons (no fork server)."""
    supported = runner.fork_server_supported  # type: ignore[attr-defined]
    runner.fork_server_supported = lambda: False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        runner.fork_server_supported = supported  # type: ignore[attr-defined]


def base_environment(depth: str, max_wait_s: float) -> dict[str, str]:
    """The runs' settings: the same generated cases in every run (a fixed seed)."""
    return {"OTP_SEED": "12345", "OTP_CONTRACT_DEPTH": depth, "OTP_MAX_WAIT_S": str(max_wait_s)}


def contract_side(environment: dict[str, str], policy: OtpPolicy, *, round_trip_ms: float = 0.0, around: Callable[[], AbstractContextManager[None]] = nullcontext, pytest_args: Sequence[str] = ()) -> Side:
    """One side: a contract run against a fresh embedded service at ``policy`` (through a delaying link if ``round_trip_ms``)."""

    def run(reports: Path) -> tuple[float, str]:
        config = load_config({**{k: v for k, v in os.environ.items() if not k.startswith("OTP_")}, **environment})
        with resolved_target(config, policy=policy) as target, around():
            if not round_trip_ms:
                return timed_run(target, reports, pytest_args)
            assert target.base_url is not None
            with delayed_link(target.base_url, round_trip_s=round_trip_ms / 1000) as link:
                return timed_run(dataclasses.replace(target, base_url=link.url), reports, pytest_args)

    return run


def bench_forks(rounds: int, round_trip_ms: float, *, direct_depth: str, direct_only: bool) -> None:
    """The fork server against plain workers: the far target (10 workers), then the direct run (4)."""
    forked, plain = "forked workers", "plain workers"
    if not direct_only:
        far = base_environment("full", 60)
        print(f"fork server: far target ({round_trip_ms:g} ms round trip), fast test policy, full depth, {rounds} rounds", flush=True)
        report(
            alternate(rounds, {forked: contract_side(far, FAST_TEST_POLICY, round_trip_ms=round_trip_ms), plain: contract_side(far, FAST_TEST_POLICY, round_trip_ms=round_trip_ms, around=plain_workers)}), forked, plain
        )
    direct = base_environment(direct_depth, 60)
    print(f"fork server: direct, fast test policy, {direct_depth} depth, {rounds} rounds", flush=True)
    report(alternate(rounds, {forked: contract_side(direct, FAST_TEST_POLICY), plain: contract_side(direct, FAST_TEST_POLICY, around=plain_workers)}), forked, plain)


def bench_scheduler(rounds: int, *, production: bool) -> None:
    """The custom scheduler against xdist's load scheduling of the ordered collection, at a policy with long waits."""
    if production:
        policy = OtpPolicy(ttl_s=300, resend_cooldown_s=30, max_sends_per_window=5, send_window_s=3600)
        environment = base_environment("full", 400)
    else:
        # The production policy's send limits, its waits scaled down (a fast policy's 20 s window
        # cannot hold sends 10 s apart).
        policy = OtpPolicy(ttl_s=90, resend_cooldown_s=10, max_sends_per_window=5, send_window_s=3600)
        environment = base_environment("full", 150)
    print(f"scheduler: direct, lifetime {policy.ttl_s:g} s, cooldown {policy.resend_cooldown_s:g} s, full depth, {rounds} rounds", flush=True)
    with tempfile.TemporaryDirectory(prefix="otp-bench-legacy-") as legacy:
        write_legacy_scheduler(Path(legacy))
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [legacy, os.environ.get("PYTHONPATH", "")]))
        sides = {
            "LongestWaitFirstScheduling": contract_side(environment, policy, pytest_args=["-p", LEGACY_SCHEDULER_MODULE]),
            "xdist load, maxschedchunk 1": contract_side(environment, policy),
        }
        times = alternate(rounds, sides)
    report(times, "LongestWaitFirstScheduling", "xdist load, maxschedchunk 1")


def main() -> None:
    """Run the chosen piece's rounds and print each run, the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("piece", choices=["forks", "scheduler"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--round-trip-ms", type=float, default=50.0)
    parser.add_argument("--production", action="store_true", help="scheduler: the production policy (about 5 minutes a run)")
    parser.add_argument("--direct-depth", choices=["quick", "full"], default="quick", help="forks: the depth of the direct runs")
    parser.add_argument("--direct-only", action="store_true", help="forks: only the direct runs")
    args = parser.parse_args()
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)", flush=True)
    if args.piece == "forks":
        bench_forks(args.rounds, args.round_trip_ms, direct_depth=args.direct_depth, direct_only=args.direct_only)
    else:
        bench_scheduler(args.rounds, production=args.production)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()
