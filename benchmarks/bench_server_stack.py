"""uvicorn vs granian serving the same reference-service app (register), and the bare endpoint on each.

Same load generator, interleaved rounds, one worker per server, all in this process tree.

    .venv/bin/python benchmarks/bench_server_stack.py [--rounds 5] [--seconds 3] [--connections 16]
"""

from __future__ import annotations

import sys

from bench_service_throughput import measure_interleaved, median_per_second, parse_args

SIDES = {
    "reference register (uvicorn)": ("reference", "uvicorn"),
    "reference register (granian)": ("reference", "granian"),
    "bare starlette (uvicorn)": ("bare", "uvicorn"),
    "bare starlette (granian)": ("bare", "granian"),
}


def main(argv: list[str] | None = None) -> int:
    """Measure every side and print the medians and granian's speed-up over uvicorn."""
    args = parse_args(argv)
    results = measure_interleaved(SIDES, args)
    medians = {label: median_per_second(rounds) for label, rounds in results.items()}
    print()
    for label, value in medians.items():
        print(f"median {label:30} {value:9.0f} req/s")
    for app in ("reference register", "bare starlette"):
        speedup = medians[f"{app} (granian)"] / medians[f"{app} (uvicorn)"]
        print(f"granian / uvicorn, {app:20} {speedup:6.2f}")
    for stack in ("uvicorn", "granian"):
        print(f"reference / bare on {stack:8}            {medians[f'reference register ({stack})'] / medians[f'bare starlette ({stack})']:6.2f}")
    return 0 if all(r.ok_share == 1.0 for rounds in results.values() for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
