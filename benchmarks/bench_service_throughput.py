"""Register throughput of the reference service vs a bare Starlette endpoint on the same server stack.

Both run in this process tree (one child server each, one worker, same uvicorn settings), driven by
the same keep-alive load generator in interleaved rounds, so machine noise hits both sides alike.
Prints per-round figures, the median requests/s of each side and their ratio (goal: >= 0.6).

    .venv/bin/python benchmarks/bench_service_throughput.py [--rounds 5] [--seconds 3] [--connections 16]
"""

from __future__ import annotations

import argparse
import itertools
import secrets
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loopback_load import RoundResult, drive, post_request
from served_apps import REGISTER_PATH, served

from otp_suite.config import DEFAULT_TEST_COUNTRY_CODE, DEFAULT_TEST_PHONE_PREFIX
from otp_suite.testdata.tokens import mint_token

#: Register must never answer 429 here: no cooldown, an allowance no run can use up.
POLICY_ENV = {"OTP_RESEND_COOLDOWN_S": "0", "OTP_MAX_SENDS_PER_WINDOW": "1000000000", "OTP_SEND_WINDOW_S": "3600"}
GOAL = 0.6


def register_requests(url: str, token: str) -> Callable[[], bytes]:
    """A maker of register requests, each for a new number in the default test range."""
    host = url.split("//", 1)[1]
    digits = 14 - len(DEFAULT_TEST_PHONE_PREFIX)
    counter = itertools.count()
    headers = {"Content-Type": "application/json", "user-jwt-token": token}

    def next_request() -> bytes:
        phone = f"{DEFAULT_TEST_PHONE_PREFIX}{next(counter):0{digits}d}"
        body = f'{{"phone_number": "{phone}", "countryCode": "{DEFAULT_TEST_COUNTRY_CODE}"}}'.encode()
        return post_request(host, REGISTER_PATH, headers, body)

    return next_request


def benchmark_env() -> dict[str, str]:
    """The children's configuration: a fresh secret (never printed) and the no-429 policy."""
    return {"OTP_JWT_SECRET": secrets.token_urlsafe(32), "OTP_ENV": "", "OTP_FAULT": "", **POLICY_ENV}


def measure_interleaved(sides: dict[str, tuple[str, str]], args: argparse.Namespace) -> dict[str, list[RoundResult]]:
    """Serve every side (label -> (app, stack)) at once and measure them in alternating rounds."""
    env = benchmark_env()
    token = mint_token(env["OTP_JWT_SECRET"], "bench-user", lifetime_s=86_400)
    results: dict[str, list[RoundResult]] = {label: [] for label in sides}
    from contextlib import ExitStack

    with ExitStack() as stack:
        urls = {label: stack.enter_context(served(app, server, env)) for label, (app, server) in sides.items()}
        makers = {label: register_requests(url, token) for label, url in urls.items()}
        for label, url in urls.items():  # warm-up, not counted
            drive(url, makers[label], seconds=0.5, connections=args.connections, max_requests=args.max_requests)
        labels = list(sides)
        for round_number in range(args.rounds):
            # Alternate who goes first, so neither side always runs on a cooler or hotter machine.
            order = labels if round_number % 2 == 0 else labels[::-1]
            for label in order:
                result = drive(urls[label], makers[label], seconds=args.seconds, connections=args.connections, max_requests=args.max_requests)
                results[label].append(result)
                print(f"round {round_number + 1}  {label:28} {result.per_second:9.0f} req/s  ({result.requests} requests, {100 * result.ok_share:.1f}% 200)", flush=True)
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Round count and length, connections, and the per-round request cap."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per side")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one round")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap on requests per round")
    return parser.parse_args(argv)


def median_per_second(results: list[RoundResult]) -> float:
    """The median requests/s over rounds."""
    return statistics.median(result.per_second for result in results)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print medians and the ratio; exit 1 when a side answered non-200."""
    args = parse_args(argv)
    sides = {"reference register (uvicorn)": ("reference", "uvicorn"), "bare starlette (uvicorn)": ("bare", "uvicorn")}
    results = measure_interleaved(sides, args)
    reference, bare = (median_per_second(results[label]) for label in sides)
    print()
    print(f"median reference register : {reference:9.0f} req/s")
    print(f"median bare starlette     : {bare:9.0f} req/s")
    print(f"ratio reference / bare    : {reference / bare:9.2f}  (goal >= {GOAL})")
    not_ok = [label for label, rounds in results.items() if any(r.ok_share < 1.0 for r in rounds)]
    if not_ok:
        print(f"some answers were not 200 on: {', '.join(not_ok)}; the figures above are not comparable")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
