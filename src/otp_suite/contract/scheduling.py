"""Running the contract tests side by side: which tests go first, and how pytest-xdist hands them out.

Almost every contract test uses its own numbers and its own user, so the tests run concurrently in
pytest-xdist workers (see README "Contract: side by side"). What decides the wall time is the
longest chain of waits for the target's clock on one worker, so:

- every worker collects the tests in the same order, longest expected run first
  (:func:`expected_wait_rank`: the tests that chain a hundred requests or more, such as the
  Schemathesis stateful phase; a ``slow`` mark, the OTP lifetime or the send window; the other
  Schemathesis phases; other ``policy_wait`` marks and tests that use the ``waiter`` fixture, a
  cooldown; then the tests that only make requests); last the tests that take an expired challenge,
  whose lifetime has been running since the session began (contract_tests/plugins/aged.py), so
  that they come late and wait little);
- :class:`LongestWaitFirstScheduling` starts handing tests out as soon as the first worker has
  collected (a long wait need not wait for the slowest worker's start-up), gives each worker two
  tests at a time (an xdist worker runs one test only once it holds the next), and pairs a test
  that is longer than everything left with the quickest test left, so no long wait ever queues
  behind another on one worker. A test of expired challenges is never such a partner: it would
  hold its worker until the lifetime ends. The controller does not collect, so each worker writes
  which tests those are to a file the controller named (``workerinput``, xdist's way to pass
  settings to workers).
- when the tests wait on the target's clock or the network, the workers start in order
  (:func:`otp_suite.contract.runner.xdist_options`), so the first ones are ready first.

The quick depth (``OTP_CONTRACT_DEPTH=quick``) skips the marked tests here, with the reason, and
:class:`otp_suite.contract.waiting.PolicyWaiter` skips any other test at its first policy wait.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from xdist.scheduler import LoadScheduling
from xdist.workermanage import WorkerController

from otp_suite.config import ConfigError, SuiteConfig
from otp_suite.contract.run_plan import FAR_TARGET_INI, has_long_waits
from otp_suite.contract.skip_causes import SkipCause, tagged
from otp_suite.contract.waiting import QUICK_DEPTH_REASON

#: Marks of tests that wait for the target's clock for long (the OTP lifetime, the send window).
POLICY_WAIT_MARKS = ("policy_wait", "slow")
#: The session fixture of challenges already past their lifetime (contract_tests/plugins/aged.py).
EXPIRED_CHALLENGES_FIXTURE = "expired_challenges"
#: Mark of a test that makes a hundred requests or more one after another (the Schemathesis
#: stateful phase, the randomness samples): the longest tests that wait for no clock, and through a
#: 50 ms round trip the longest of all at a fast policy.
CHAINED_MARK = "chained_requests"
#: Rank of the tests that take an expired challenge: handed out last, never as a partner.
LATE_RANK = 5
#: ``workerinput`` key: the file in which a worker lists the node ids of the late tests.
LATE_TESTS_FILE_KEY = "otp_contract_late_tests_file"
_LATE_TESTS_DIR = pytest.StashKey[Path]()


def is_policy_wait_test(item: pytest.Item) -> bool:
    """True when the test is marked as waiting for the OTP lifetime, a cooldown or the send window."""
    return any(item.get_closest_marker(mark) is not None for mark in POLICY_WAIT_MARKS)


def takes_expired_challenge(item: pytest.Item) -> bool:
    """True for a test of expired challenges: handed out last, never as a partner."""
    return EXPIRED_CHALLENGES_FIXTURE in getattr(item, "fixturenames", ())


def expected_wait_rank(item: pytest.Item, *, far_target: bool = False) -> int:
    """0 for the longest expected run time up to 4 for a test that only makes requests; :data:`LATE_RANK` for a test of expired challenges.

    0: the tests that chain a hundred requests or more (:data:`CHAINED_MARK`), 1: a ``slow`` mark
    (the OTP lifetime, the send window), 2: the other Schemathesis phases, 3: other ``policy_wait``
    marks and tests that use the ``waiter`` fixture (a cooldown). The lifetime's tests mostly
    sleep, so they start beside the phases, which use the CPU. Against a far target
    (:data:`FAR_TARGET_INI`) the phases, hundreds of round trips each, come before the ``slow``
    tests unless the policy has long waits.
    """
    if takes_expired_challenge(item):
        return LATE_RANK
    if item.get_closest_marker(CHAINED_MARK) is not None:
        return 0
    schema_phase = item.nodeid.split("::", 1)[0].endswith("test_schema.py")
    if item.get_closest_marker("slow") is not None:
        return 2 if far_target else 1
    if schema_phase:
        return 1 if far_target else 2
    if is_policy_wait_test(item) or "waiter" in getattr(item, "fixturenames", ()):
        return 3
    return 4


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ini option by which the runner says the target is far."""
    parser.addini(FAR_TARGET_INI, "the target is far: its tests wait on round trips (set by otp_suite.contract.runner)", type="bool", default=False)


def pytest_configure(config: pytest.Config) -> None:
    """Register the marks that say a test waits for the target's clock."""
    config.addinivalue_line("markers", f"{CHAINED_MARK}: the test chains hundreds of requests; it is handed out first")
    config.addinivalue_line("markers", "policy_wait: the test waits for the target's clock (OTP lifetime, cooldown, send window); skipped at the quick depth")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the controller's folder of late-test lists."""
    folder = config.stash.get(_LATE_TESTS_DIR, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: WorkerController) -> None:
    """Name, for each worker, the file in which it lists the late tests (controller side)."""
    config = node.config
    if _LATE_TESTS_DIR not in config.stash:
        config.stash[_LATE_TESTS_DIR] = Path(tempfile.mkdtemp(prefix="otp-contract-schedule-"))
    node.workerinput[LATE_TESTS_FILE_KEY] = str(config.stash[_LATE_TESTS_DIR] / "late-tests.json")


def _write_late_tests(config: pytest.Config, items: Sequence[pytest.Item]) -> None:
    """On a worker, list the node ids of the late tests where the controller can read them."""
    target = getattr(config, "workerinput", {}).get(LATE_TESTS_FILE_KEY)
    if not target:
        return
    late = [item.nodeid for item in items if takes_expired_challenge(item)]
    partial = f"{target}.{os.getpid()}"
    Path(partial).write_text(json.dumps(late), encoding="utf-8")
    os.replace(partial, target)  # every worker writes the same list; the controller reads a whole one


def read_late_tests(config: object) -> frozenset[str]:
    """The node ids a worker listed as late tests, or none when no worker has written the list (yet)."""
    stash = getattr(config, "stash", None)
    folder = stash.get(_LATE_TESTS_DIR, None) if stash is not None else None
    if folder is None:
        return frozenset()
    try:
        return frozenset(json.loads((folder / "late-tests.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return frozenset()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the tests longest expected wait first; at the quick depth, skip the marked policy waits."""
    from otp_suite.contract.session import run_config

    try:
        suite_config: SuiteConfig | None = run_config()
    except ConfigError:
        suite_config = None  # the session fixture ends the run with this error, once
    far_target = bool(config.getini(FAR_TARGET_INI)) and not (suite_config is not None and has_long_waits(suite_config))
    # Stable: the order within a rank stays the collection order.
    items.sort(key=lambda item: expected_wait_rank(item, far_target=far_target))
    _write_late_tests(config, items)
    if suite_config is not None and suite_config.contract_depth == "quick":
        for item in items:
            if is_policy_wait_test(item):
                item.add_marker(pytest.mark.skip(reason=tagged(SkipCause.DEPTH, QUICK_DEPTH_REASON)))


class LongestWaitFirstScheduling(LoadScheduling):
    """Two tests per worker; a test longer than all that are left gets the quickest left as its partner.

    The collection arrives sorted longest expected wait first, so an index is a rank: a lower
    index waits longer. A worker runs its first test once it holds a second (xdist's worker loop
    needs the next test for teardown), and that second one waits for the first to end: after a
    long wait only a quick test is queued, while a quick test is followed by the longest left, so
    the long waits start as early as workers are free. The late tests (``late_tests``: node ids
    of the tests of expired challenges, which come last) are never partners.
    """

    # Set by LoadScheduling.__init__; declared here because mypy sees the untyped xdist base as Any.
    collection: list[str] | None
    node2collection: dict[WorkerController, list[str]]

    def __init__(self, config: pytest.Config, log: object = None) -> None:
        super().__init__(config, log)
        self.late_tests: frozenset[str] = frozenset()
        self._late: set[int] = set()

    @property
    def collection_is_completed(self) -> bool:
        """True once any worker has collected: the others get tests when they have collected too."""
        return bool(self.node2collection)

    def add_node_collection(self, node: WorkerController, collection: Sequence[str]) -> None:
        """Keep ``node``'s collection; a worker that collected other tests than the first gets none and stops."""
        if self.collection is not None and list(collection) != self.collection:
            self.log(f"**{node.gateway.id} collected other tests than the first worker; it runs none**")
            node.shutdown()
            return
        self.node2collection[node] = list(collection)

    def schedule(self) -> None:
        """Start the distribution at the first worker's collection; later workers join as they finish theirs."""
        if self.collection is None:
            self.collection = list(next(iter(self.node2collection.values())))
            self.pending[:] = range(len(self.collection))
            late = self.late_tests or read_late_tests(self.config)
            self._late = {index for index, nodeid in enumerate(self.collection) if nodeid in late}
        for node in self.nodes:
            self.check_schedule(node)

    def check_schedule(self, node: WorkerController, duration: float = 0) -> None:
        """Top ``node`` up to two tests; with none left to give, let it run what it holds."""
        if node.shutting_down or node not in self.node2collection:
            return
        held = self.node2pending[node]
        while len(held) < 2 and self.pending:
            longer_than_all_left = bool(held) and held[-1] < self.pending[0]
            held.append(self._take_partner() if longer_than_all_left else self.pending.pop(0))
            node.send_runtest_some([held[-1]])
        if not self.pending:
            node.shutdown()

    def _take_partner(self) -> int:
        """The quickest test left that is not a late one (a late one only when nothing else is left)."""
        for position in range(len(self.pending) - 1, -1, -1):
            if self.pending[position] not in self._late:
                return self.pending.pop(position)
        return self.pending.pop(-1)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LongestWaitFirstScheduling:
    """Hand the tests out with :class:`LongestWaitFirstScheduling` instead of xdist's load scheduling."""
    return LongestWaitFirstScheduling(config, log)
