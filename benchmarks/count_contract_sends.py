"""How many OTPs a contract run sends, and to how many numbers, at each depth.

    .venv/bin/python benchmarks/count_contract_sends.py                  # quick and full, fast test policy
    .venv/bin/python benchmarks/count_contract_sends.py --depth quick --runs 3

The reference service runs in this process (on a thread, fast test policy) behind a small ASGI
counter that records every register and resend answered 200 (a send) with its number; the
contract run (``run_contract``, as ``otp-suite contract`` runs it) targets it over loopback. It
prints, per depth, the sends, the distinct numbers sent to, the most sends any one number got,
the exit code and the wall time (medians over the runs): the figures behind the README's
"Sizing a stage's test range". The counts do not depend on the policy's durations (every check
sends the same requests), only on ``OTP_MAX_EXAMPLES`` and ``OTP_MAX_SENDS_PER_WINDOW``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from otp_suite.api import OTP_PATHS
from otp_suite.config import load_config
from otp_suite.contract.runner import run_contract
from otp_suite.policy import FAST_TEST_POLICY
from otp_suite.service import ServiceSettings, create_app
from otp_suite.service.server import ServiceThread

SECRET = "count-sends-secret-0123456789abcdefghijkl"
SENDING_PATHS = frozenset(OTP_PATHS[:2])  # register, resend


class SendCounter:
    """ASGI middleware: counts register/resend answers 200 per (countryCode, phone_number)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.sends: Counter[tuple[str, str]] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in SENDING_PATHS:
            await self.app(scope, receive, send)
            return
        body = bytearray()
        status = 0

        async def receiving() -> Message:
            message = await receive()
            body.extend(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receiving, sending)
        if status == 200:
            fields = json.loads(bytes(body))
            self.sends[(str(fields.get("countryCode")), str(fields.get("phone_number")))] += 1


@contextmanager
def counted_service() -> Iterator[tuple[str, SendCounter]]:
    """The reference service (fast test policy) behind a :class:`SendCounter`, on a loopback port."""
    counter = SendCounter(create_app(ServiceSettings(jwt_secret=SECRET, policy=FAST_TEST_POLICY)))
    with ServiceThread(counter) as service:
        yield service.url, counter


def one_run(depth: str, workers: int) -> tuple[int, int, int, int, float]:
    """(sends, numbers, most sends to one number, exit code, seconds) of one contract run."""
    with counted_service() as (url, counter), tempfile.TemporaryDirectory() as reports:
        config = load_config({**FAST_TEST_POLICY.as_environment(), "OTP_BASE_URL": url, "OTP_JWT_SECRET": SECRET, "OTP_CONTRACT_DEPTH": depth, "OTP_CONTRACT_WORKERS": str(workers), "OTP_REPORTS_DIR": reports})
        started = time.monotonic()
        outcome = run_contract(config, allure_dir=Path(reports) / "allure", junit_path=Path(reports) / "junit.xml", echo=lambda _line: None)
        elapsed = time.monotonic() - started
        return sum(counter.sends.values()), len(counter.sends), max(counter.sends.values(), default=0), int(outcome.exit_code), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--depth", choices=("quick", "full", "both"), default="both")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=0, help="OTP_CONTRACT_WORKERS of the runs (0: automatic)")
    args = parser.parse_args()
    for depth in ("quick", "full") if args.depth == "both" else (args.depth,):
        runs = [one_run(depth, args.workers) for _ in range(args.runs)]
        for sends, numbers, most, code, seconds in runs:
            print(f"{depth}: {sends} sends to {numbers} numbers (at most {most} to one), exit {code}, {seconds:.1f} s", flush=True)
        print(f"{depth} median: {statistics.median(r[0] for r in runs):.0f} sends, {statistics.median(r[1] for r in runs):.0f} numbers", flush=True)


if __name__ == "__main__":
    main()
