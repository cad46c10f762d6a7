"""Does forking the fault matrix's contract runs from a warm pytest pay for itself?

    .venv/bin/python benchmarks/bench_warm_pytest.py                 # 3 rounds of 7 fault runs a side
    .venv/bin/python benchmarks/bench_warm_pytest.py --rounds 5 --every 10

The fault matrix (``tests/contract/test_contract_faults.py``) starts one contract run per fault of
the catalog, against the reference service on a thread of the test's process, each running only the
tests of the clauses its fault breaks. This benchmark makes a representative set of those runs
(every ``--every``-th fault of the sorted catalog) exactly as the ``contract_run`` fixture does
(``service_in_this_process`` and ``run_contract``), once with the stock child, ``python -m pytest``,
and once with each run forked from a warm pytest server (``benchmarks/warm_pytest.py``, which
imported pytest, Hypothesis, Schemathesis and Allure once). The warm side's wall time includes
starting its server, as the session fixture did once per test worker. The sides alternate within
one process tree, their order swapped every round; it prints each side's median wall time and the
ratio. A machine shared with other work makes single rounds noisy: compare medians.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from side_by_side import Side, alternate, report  # noqa: E402

from helpers.contract import service_in_this_process  # noqa: E402 - after the path above
from otp_suite.contract.clause_map import load_clauses  # noqa: E402
from otp_suite.contract.runner import PYTEST_COMMAND, run_contract  # noqa: E402

WARM_SERVER = Path(__file__).resolve().parent / "warm_pytest.py"  # the fork server the tests no longer use


def sample_faults(every: int) -> list[str]:
    """Every ``every``-th fault of the catalog's sorted list: a spread over the matrix's areas."""
    faults = sorted({fault for clause in load_clauses().values() for fault in clause.faults})
    return faults[::every]


def mapped_node_ids(fault: str) -> list[str]:
    """The contract tests of every clause ``fault`` breaks, as the fault matrix selects them."""
    entries = sorted({entry for clause in load_clauses().values() if fault in clause.faults for entry in clause.tests})
    return [f"contract_tests/{entry}" for entry in entries]


def run_faults(faults: Sequence[str], pytest_command: Sequence[str], work: Path) -> list[int]:
    """One contract run per fault, as the ``contract_run`` fixture makes it; their exit codes."""
    codes = []
    for fault in faults:
        reports = Path(tempfile.mkdtemp(dir=work))
        with service_in_this_process(fault) as config:
            outcome = run_contract(
                config,
                allure_dir=reports / "allure-results",
                junit_path=reports / "contract" / "junit.xml",
                echo=lambda _line: None,
                pytest_args=mapped_node_ids(fault),
                pytest_command=pytest_command,
            )
        codes.append(int(outcome.exit_code))
    return codes


def plain_side(faults: Sequence[str], work: Path) -> tuple[float, list[int]]:
    """Wall time and exit codes of the runs with the stock child, ``python -m pytest``."""
    started = time.monotonic()
    codes = run_faults(faults, PYTEST_COMMAND, work)
    return time.monotonic() - started, codes


def warm_side(faults: Sequence[str], work: Path) -> tuple[float, list[int]]:
    """Wall time (its server's start included) and exit codes of the runs forked from a warm pytest."""
    started = time.monotonic()
    socket_path = str(Path(tempfile.mkdtemp(dir=work)) / "socket")
    server = subprocess.Popen([sys.executable, "-P", str(WARM_SERVER), "serve", socket_path], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert server.stdout is not None
        ready = server.stdout.readline()
        if ready.strip() != "ready":
            raise SystemExit(f"the warm pytest server did not start (exit {server.poll()})")
        codes = run_faults(faults, (sys.executable, "-S", "-P", str(WARM_SERVER), "run", socket_path), work)
    finally:
        server.kill()
        server.wait()
    return time.monotonic() - started, codes


def _side(run_faults_side: Callable[[Sequence[str], Path], tuple[float, list[int]]], faults: Sequence[str]) -> Side:
    """One side: its fault runs in a fresh scratch folder."""

    def run(scratch: Path) -> tuple[float, str]:
        scratch.mkdir(parents=True)
        seconds, codes = run_faults_side(faults, scratch)
        return seconds, f"exit codes {codes}"

    return run


def main() -> None:
    """Alternate the two sides for ``--rounds`` rounds; print each round, the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--every", type=int, default=20, help="take every N-th fault of the sorted catalog (20: 7 of 133)")
    args = parser.parse_args()
    faults = sample_faults(args.every)
    print(f"{len(faults)} fault runs a side: {', '.join(faults)}", flush=True)
    sides = {"warm fork server": _side(warm_side, faults), "plain python -m pytest": _side(plain_side, faults)}
    report(alternate(args.rounds, sides), *sides)


if __name__ == "__main__":
    main()
