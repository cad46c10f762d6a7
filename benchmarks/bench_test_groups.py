"""Does ``tests/plugins/parallel_groups.py``'s ``@group`` suffix pay for itself?

    .venv/bin/python benchmarks/bench_test_groups.py                # 3 rounds of tests/gate/test_gate_runs.py a side
    .venv/bin/python benchmarks/bench_test_groups.py --rounds 5 --workers 4 tests/report/test_report_identity.py

The suite's own tests run on pytest-xdist workers (``make test``: ``-n auto --dist loadgroup``, four
workers on this 2-core machine). ``tests/plugins/parallel_groups.py`` puts the tests that share an
expensive module- or session-scoped fixture in one ``xdist_group`` and writes the ``@group`` suffix
that ``--dist loadgroup`` schedules by into pytest's node id (``pytest_collection_modifyitems_group_suffix``);
without that suffix the group's tests spread over the workers and every worker repeats the fixture.
This benchmark runs a set of tests that share expensive fixtures (by default the gate's: two whole
gate runs shared by twelve tests) once with the plugin's grouping (``--dist loadgroup``) and once with
the stock alternative (``--dist load``, where the plugin writes nothing), each as a ``pytest`` child
with ``-n 4``. It prints each side's wall time, its exit code and how many of the expensive runs its
workers made (the ``gate-*`` folders the fixtures create under ``--basetemp``), then the medians and
the ratio. The sides alternate within one process tree, their order swapped every round. The machine
is shared with other work, which makes single rounds noisy: compare medians.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from side_by_side import Side, alternate, report

ROOT = Path(__file__).resolve().parent.parent
#: The tests measured by default: twelve tests sharing two module-scoped gate runs.
DEFAULT_TESTS = ("tests/gate/test_gate_runs.py",)
#: Each side's ``--dist`` mode: the plugin's grouping, and stock load balancing (the plugin idle).
SIDES = {"grouped (--dist loadgroup + plugin)": "loadgroup", "stock (--dist load)": "load"}
#: The folder-name prefix of the gate fixtures' ``tmp_path_factory.mktemp`` (tests/gate/conftest.py).
EXPENSIVE_RUN_PREFIX = "gate-"


def run_side(dist: str, tests: list[str], workers: int, basetemp: Path) -> tuple[float, int, int]:
    """Wall time, exit code and the number of expensive runs made of one ``pytest -n <workers> --dist <dist>``."""
    command = [sys.executable, "-m", "pytest", *tests, "-n", str(workers), "--dist", dist, "-q", "-p", "no:cacheprovider", f"--basetemp={basetemp}"]
    started = time.monotonic()
    completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    seconds = time.monotonic() - started
    # One folder per run in each worker's basetemp (``popen-gw<N>/gate-pass0``), beside pytest's ``...current`` symlink to it.
    runs = sum(1 for path in basetemp.glob(f"*/{EXPENSIVE_RUN_PREFIX}*") if path.is_dir() and not path.is_symlink())
    return seconds, completed.returncode, runs


def _side(dist: str, tests: list[str], workers: int) -> Side:
    """One side: the tests under ``--dist <dist>`` in a fresh basetemp."""

    def run(basetemp: Path) -> tuple[float, str]:
        seconds, code, runs = run_side(dist, tests, workers, basetemp)
        return seconds, f"exit code {code}  expensive runs {runs}"

    return run


def main() -> None:
    """Alternate the two sides for ``--rounds`` rounds; print each round, the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tests", nargs="*", default=list(DEFAULT_TESTS), help="test files or node ids (default: the gate's runs)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4, help="xdist workers a side (4: what -n auto starts on 2 cores)")
    args = parser.parse_args()
    sides = {name: _side(dist, args.tests, args.workers) for name, dist in SIDES.items()}
    grouped, stock = SIDES
    report(alternate(args.rounds, sides), grouped, stock)


if __name__ == "__main__":
    main()
