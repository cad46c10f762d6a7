"""How the contract tests are handed to pytest-xdist workers: xdist's load scheduling, one test at a
time (``--maxschedchunk 1``), over the collection ordered by otp_suite.contract.scheduling. A long
policy wait never queues behind another on one worker, and the long waits start first.

xdist's scheduler is driven by a simulated run (the real ``LoadScheduling`` class, workers replaced
by records of what they were sent, each starting a test only once it holds the next, as xdist's
worker loop does), so the property is checked exactly, without minutes of waiting.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from xdist.scheduler import LoadScheduling

from otp_suite.config import PROJECT_ROOT, load_config
from otp_suite.contract.run_plan import FAR_TARGET_INI
from otp_suite.contract.runner import FAR_TARGET_WORKERS, FEW_WORKERS, FIRST_WORKERS, LATER_WORKER_NICENESS, LONG_WAIT_WORKERS, side_by_side_options
from otp_suite.contract.scheduling import paired_longest_with_quickest
from otp_suite.policy import FAST_TEST_POLICY

#: the OTP lifetime, a resend cooldown, a test that only makes requests (production policy)
LONG_S, COOLDOWN_S, SHORT_S = 300.0, 31.0, 0.5
#: when the expired challenges arranged at the session's start are past their lifetime
LIFETIME_READY_S = LONG_S + 1.3
#: what the runner passes to xdist besides the workers (otp_suite.contract.runner.xdist_options)
LOAD_ONE_AT_A_TIME = ["--dist", "load", "--maxschedchunk", "1"]


@dataclass(eq=False)
class SimulatedWorker:
    """Stands in for xdist's WorkerController: records the tests sent to it, runs them in simulated time."""

    name: str
    shutting_down: bool = False
    running: tuple[int, float] | None = None  # (test index, finish time)
    started: list[tuple[int, float]] = field(default_factory=list)

    @property
    def gateway(self) -> SimulatedWorker:
        return self  # xdist names a worker by its gateway's id

    @property
    def id(self) -> str:
        return self.name

    def send_runtest_some(self, indices: list[int]) -> None:
        pass  # the scheduler's node2pending is the worker's queue

    def shutdown(self) -> None:
        self.shutting_down = True


class _Options:
    """The options the runner gives xdist: ``workers`` of them, one test at a time."""

    def __init__(self, workers: int) -> None:
        self._values = {"tx": [f"{workers}*popen"], "maxschedchunk": 1}

    def getvalue(self, name: str) -> object:
        return self._values.get(name)

    getoption = getvalue


def simulate(durations: list[float], workers: int, late: frozenset[int] = frozenset()) -> list[SimulatedWorker]:
    """Run ``durations`` (collection order) through xdist's load scheduling; a worker starts a test only once it holds the next one or is shut down.

    A ``late`` test (one of expired challenges) lasts until its challenge is past the lifetime
    that began with the session: ``LIFETIME_READY_S`` after the start, or ``SHORT_S`` after that.
    """
    scheduler = LoadScheduling(_Options(workers), SimpleNamespace(loadsched=lambda *_: None))
    nodes = [SimulatedWorker(f"gw{i}") for i in range(workers)]
    collection = [f"test_{i}" for i in range(len(durations))]
    for node in nodes:
        scheduler.add_node(node)
        scheduler.add_node_collection(node, collection)
    scheduler.schedule()
    now = 0.0
    for _ in range(10 * len(durations) + 10):
        for node in nodes:
            held = scheduler.node2pending[node]
            if node.running is None and held and (len(held) >= 2 or node.shutting_down):
                index = held[0]
                duration = max(SHORT_S, LIFETIME_READY_S - now) if index in late else durations[index]
                durations[index] = duration
                node.running = (index, now + duration)
                node.started.append((index, now))
        busy = [node for node in nodes if node.running is not None]
        if not busy:
            break
        node = min(busy, key=lambda n: n.running[1])  # type: ignore[index]
        index, now = node.running  # type: ignore[misc]
        node.running = None
        scheduler.mark_test_complete(node, index)
    assert sum(len(node.started) for node in nodes) == len(durations), "every test ran exactly once"
    return nodes


def finish_time(nodes: list[SimulatedWorker], durations: list[float]) -> float:
    return max(start + durations[index] for node in nodes for index, start in node.started)


def contract_like(long_tests: int, cooldown_tests: int, short_tests: int = 200) -> list[float]:
    """Durations in the order the workers collect them: longest expected wait first, each followed by the quickest left."""
    return paired_longest_with_quickest([LONG_S] * long_tests + [COOLDOWN_S] * cooldown_tests + [SHORT_S] * short_tests)


def test_pairing_puts_the_quickest_left_behind_each_test_and_the_late_ones_last() -> None:
    assert paired_longest_with_quickest([1, 2, 3, 4, 5], late=[6, 7]) == [1, 5, 2, 4, 3, 6, 7]


@pytest.mark.parametrize("long_tests", [1, 4, 7])
def test_long_waits_start_first_and_only_quick_tests_queue_behind_them(long_tests: int) -> None:
    durations = contract_like(long_tests, cooldown_tests=8)

    nodes = simulate(durations, workers=12)

    long_starts = [start for node in nodes for index, start in node.started if durations[index] == LONG_S]
    assert long_starts == [0.0] * long_tests
    assert finish_time(nodes, durations) <= LONG_S + 4 * SHORT_S


def test_more_long_waits_than_workers_take_the_fewest_rounds() -> None:
    """Only with OTP_CONTRACT_WORKERS below the plan: a worker takes the next test when it starts
    one, so behind a long wait of the second round may sit one cooldown (never another long wait)."""
    durations = contract_like(long_tests=6, cooldown_tests=4, short_tests=30)

    nodes = simulate(durations, workers=4)

    assert finish_time(nodes, durations) <= 2 * LONG_S + COOLDOWN_S + 4 * SHORT_S


def test_tests_of_expired_challenges_wait_for_no_worker_beyond_the_lifetime() -> None:
    """At a production policy: 3 lifetime tests, the send window (155 s), 11 cooldowns, quick tests, then 8 tests of expired challenges."""
    durations = paired_longest_with_quickest([LONG_S] * 3 + [155.0] + [COOLDOWN_S] * 11 + [SHORT_S] * 200, late=[0.0] * 8)
    late = frozenset(range(len(durations) - 8, len(durations)))

    nodes = simulate(durations, workers=6, late=late)

    assert finish_time(nodes, durations) <= LIFETIME_READY_S + 4 * SHORT_S
    for node in nodes:
        order = [index in late for index, _ in node.started]
        assert order == sorted(order), f"{node.name} ran another test after one of expired challenges (which held it until the lifetime ended)"


def test_without_the_pairing_a_long_wait_would_queue_behind_another() -> None:
    """Why the collection is paired: in plain longest-first order xdist's first two tests of a worker are two long waits."""
    durations = [LONG_S] * 4 + [COOLDOWN_S] * 8 + [SHORT_S] * 200

    nodes = simulate(durations, workers=12)

    assert finish_time(nodes, durations) >= 2 * LONG_S


@pytest.mark.parametrize(("workers", "expected"), [("1", ["-p", "no:xdist"]), ("3", [*LOAD_ONE_AT_A_TIME, "--tx", "3*popen"]), ("0", [*LOAD_ONE_AT_A_TIME, "--tx", f"{FEW_WORKERS}*popen"])])
def test_contract_workers_setting_chooses_how_many_run_side_by_side(workers: str, expected: list[str]) -> None:
    config = replace(load_config({"OTP_CONTRACT_WORKERS": workers}), policy=FAST_TEST_POLICY)

    assert side_by_side_options(config, echo=lambda _: None) == expected


def test_a_far_target_gets_more_workers_started_in_order() -> None:
    config = replace(load_config({}), policy=FAST_TEST_POLICY)

    options = side_by_side_options(config, echo=lambda _: None, round_trip_s=0.05)

    later = FAR_TARGET_WORKERS - FIRST_WORKERS
    assert options == [*LOAD_ONE_AT_A_TIME, "--tx", f"{FIRST_WORKERS}*popen", "--tx", f"{later}*popen//nice={LATER_WORKER_NICENESS}", "-o", f"{FAR_TARGET_INI}=true"]


def test_a_production_policy_starts_its_workers_in_order_and_a_near_target_at_the_test_policy_all_at_once() -> None:
    production, fast = load_config({"OTP_TTL_S": "300"}), replace(load_config({}), policy=FAST_TEST_POLICY)

    assert side_by_side_options(production, echo=lambda _: None, round_trip_s=0.001)[-1] == f"{LONG_WAIT_WORKERS - FIRST_WORKERS}*popen//nice={LATER_WORKER_NICENESS}"
    assert side_by_side_options(fast, echo=lambda _: None, round_trip_s=0.001) == [*LOAD_ONE_AT_A_TIME, "--tx", f"{FEW_WORKERS}*popen"]


def test_workers_started_in_order_run_the_later_ones_at_a_lower_cpu_priority(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "import os, pathlib\n"
        "def pytest_configure(config):\n"
        "    worker = getattr(config, 'workerinput', {}).get('workerid')\n"
        "    if worker:\n"
        "        (pathlib.Path(__file__).parent / f'{worker}.nice').write_text(str(os.nice(0)))\n"
    )
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    options = side_by_side_options(load_config({"OTP_TTL_S": "300"}), echo=lambda _: None)

    subprocess.run([sys.executable, "-m", "pytest", "test_nothing.py", *options, "-p", "no:cacheprovider", "-q", "-o", "addopts=", "--rootdir", str(tmp_path)], cwd=tmp_path, check=True, capture_output=True, timeout=240)

    niceness = {path.stem: int(path.read_text()) - os.nice(0) for path in tmp_path.glob("*.nice")}
    later = min(LATER_WORKER_NICENESS, 19 - os.nice(0))
    assert niceness == {f"gw{index}": 0 if index < FIRST_WORKERS else later for index in range(LONG_WAIT_WORKERS)}


def collected_order(*options: str, **environment: str) -> list[str]:
    """The contract tests' node ids in the order every worker collects them (a real collection)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("OTP_")}, **environment}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "contract_tests", "-c", "contract_tests/pytest.ini", "--rootdir", str(PROJECT_ROOT), "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:locust", "--collect-only", "-q", *options],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=240, check=True,
    )  # fmt: skip
    return [line for line in done.stdout.splitlines() if "::" in line]


def first_of(order: list[str], *names: str) -> list[int]:
    return [next(index for index, nodeid in enumerate(order) if name in nodeid) for name in names]


def test_against_a_far_target_at_a_fast_policy_the_schemathesis_phases_start_before_the_lifetime_tests() -> None:
    fast = {"OTP_TTL_S": "3", "OTP_RESEND_COOLDOWN_S": "1"}

    near = collected_order(**fast)
    far = collected_order("-o", f"{FAR_TARGET_INI}=true", **fast)

    stateful, phase, lifetime = "test_linked_operations_conform_in_sequence", "test_operation_conforms_to_openapi", "test_otp_expires_after_its_lifetime"
    chained = 5  # the chained_requests tests come first: the stateful phase, the two randomness samples, the model test's two lanes
    # each followed by the quickest test left (its partner on a worker)
    assert first_of(near, stateful)[0] < 2 * chained and first_of(far, stateful)[0] < 2 * chained
    near_phase, near_lifetime = first_of(near, phase, lifetime)
    far_phase, far_lifetime = first_of(far, phase, lifetime)
    assert near_lifetime < near_phase
    assert far_phase < far_lifetime
