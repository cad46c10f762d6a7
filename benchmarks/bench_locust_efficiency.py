"""How much load-generator CPU the suite's locustfile costs per request, next to a bare FastHttpUser.

Both sides run in this one process tree, one after the other, in alternating order, against the
same reference service (fixed OTP, no cooldown, so neither side waits on the policy), with the
same users and think time 0:

  suite   load/locustfile.py, resend flow (register, resend, verify + the flow entry, token per user)
  bare    benchmarks/bare_fasthttp_locustfile.py: FastHttpUser posting the same three bodies

Requests per CPU-second is measured in the steady state: the Locust process's CPU time
(/proc/<pid>/stat, user + system) and its cumulative request count (Locust's per-second history
CSV) are both taken over the same wall-clock window, from 3 s after start to 1 s before the end,
so start-up imports do not count. Prints every round, the medians, and suite / bare (goal >= 0.85).

    .venv/bin/python benchmarks/bench_locust_efficiency.py [--rounds 3] [--seconds 12] [--users 10]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from otp_suite.policy import OtpPolicy  # noqa: E402
from otp_suite.service.server import ServiceProcess  # noqa: E402
from otp_suite.testdata.tokens import mint_token  # noqa: E402

SUITE_LOCUSTFILE = ROOT / "load" / "locustfile.py"
BARE_LOCUSTFILE = ROOT / "benchmarks" / "bare_fasthttp_locustfile.py"
OPERATIONS = ("register", "resend", "verify")
FIXED_CODE = "123456"
COUNTRY_CODE, PREFIX = "+999", "5550"
#: No cooldown and a huge window: the policy never makes either side wait or fail.
BENCH_POLICY = OtpPolicy(ttl_s=300, max_verify_attempts=5, resend_cooldown_s=0, max_sends_per_window=1000, send_window_s=3600)
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def sample_cpu(process: subprocess.Popen[bytes], samples: list[tuple[float, float]]) -> None:
    """Record (wall time, CPU seconds) of ``process`` every 0.2 s until it exits."""
    while process.poll() is None:
        try:
            samples.append((time.time(), cpu_seconds(process.pid)))
        except (FileNotFoundError, ProcessLookupError):
            return
        time.sleep(0.2)


def cpu_at(samples: list[tuple[float, float]], when: float) -> float:
    """CPU seconds at wall time ``when``, interpolated between samples."""
    for (t0, c0), (t1, c1) in itertools.pairwise(samples):
        if t0 <= when <= t1:
            return c0 + (c1 - c0) * ((when - t0) / (t1 - t0) if t1 > t0 else 0)
    raise ValueError("time outside the sampled window")


def request_counts(history: Path) -> list[tuple[float, int]]:
    """(timestamp, cumulative requests of the three operations) per history row time."""
    totals: dict[float, int] = {}
    with history.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] in OPERATIONS:
                stamp = float(row["Timestamp"])
                totals[stamp] = totals.get(stamp, 0) + int(row["Total Request Count"])
    return sorted(totals.items())


def failure_count(stats: Path) -> int:
    """Failed requests of the three operations over the whole run (both sides should have none)."""
    with stats.open(newline="") as handle:
        return sum(int(row["Failure Count"]) for row in csv.DictReader(handle) if row["Name"] in OPERATIONS)


def run_side(name: str, locustfile: Path, env: dict[str, str], args: argparse.Namespace, workdir: Path) -> float:
    """Requests per CPU-second of one Locust run, measured in its steady state."""
    prefix = workdir / f"{name}-{time.monotonic_ns()}"
    command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--users", str(args.users), "--spawn-rate", str(args.users),
               "--run-time", f"{args.seconds}s", "--csv", str(prefix), "--csv-full-history", "--only-summary", "--loglevel", "WARNING"]  # fmt: skip
    if name == "suite":
        command += ["--tags", "resend"]
    samples: list[tuple[float, float]] = []
    with (workdir / f"{name}.log").open("ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        sampler = threading.Thread(target=sample_cpu, args=(process, samples))
        sampler.start()
        process.wait(timeout=args.seconds + 60)
        sampler.join()
    counts = request_counts(Path(f"{prefix}_stats_history.csv"))
    first_sample, last_sample = samples[0][0], samples[-1][0]
    window = [(t, n) for t, n in counts if first_sample + 3 <= t <= last_sample - 1]
    if len(window) < 2:
        raise RuntimeError(f"{name}: too short a steady state to measure; raise --seconds")
    (t1, n1), (t2, n2) = window[0], window[-1]
    cpu = cpu_at(samples, t2) - cpu_at(samples, t1)
    requests = n2 - n1
    failures = failure_count(Path(f"{prefix}_stats.csv"))
    print(f"  {name:5}  {requests:6d} requests in {t2 - t1:4.1f} s  {cpu:5.2f} CPU-s  {requests / cpu:7.0f} requests/CPU-s  ({failures} failed in the whole run)", flush=True)
    return requests / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()

    secret = secrets.token_urlsafe(32)
    service_env = {**BENCH_POLICY.as_environment(), "OTP_JWT_SECRET": secret, "OTP_FIXED_CODE": FIXED_CODE, "OTP_FAULT": "", "OTP_ENV": "", "OTP_BASE_URL": ""}
    with ServiceProcess(service_env) as service, tempfile.TemporaryDirectory() as tmp:
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("OTP_")}
        suite_env = {**base_env, **BENCH_POLICY.as_environment(), "OTP_BASE_URL": service.url, "OTP_JWT_SECRET": secret,
                     "OTP_FIXED_CODE": FIXED_CODE, "OTP_THINK_TIME_S": "0", "OTP_TEST_COUNTRY_CODE": COUNTRY_CODE, "OTP_TEST_PHONE_PREFIX": PREFIX}  # fmt: skip
        bare_env = {**base_env, "LOCUST_HOST": service.url, "BENCH_TOKEN": mint_token(secret, "bench-bare-user"), "BENCH_COUNTRY_CODE": COUNTRY_CODE,
                    "BENCH_PREFIX": PREFIX, "BENCH_FIXED_CODE": FIXED_CODE}  # fmt: skip
        print(f"target {service.url}; {args.users} users per side, {args.seconds} s per run, {args.rounds} rounds (order alternates)")
        results: dict[str, list[float]] = {"suite": [], "bare": []}
        for round_number in range(args.rounds):
            print(f"round {round_number + 1}")
            order = ["suite", "bare"] if round_number % 2 == 0 else ["bare", "suite"]
            for name in order:
                locustfile, env = (SUITE_LOCUSTFILE, suite_env) if name == "suite" else (BARE_LOCUSTFILE, bare_env)
                results[name].append(run_side(name, locustfile, env, args, Path(tmp)))
    suite, bare = statistics.median(results["suite"]), statistics.median(results["bare"])
    print(f"median requests per CPU-second: suite locustfile {suite:.0f}, bare FastHttpUser {bare:.0f}")
    print(f"ratio suite / bare: {suite / bare:.2f} (goal >= 0.85)")


if __name__ == "__main__":
    main()
