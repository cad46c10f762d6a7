"""Running the contract tests side by side: which tests go first, and how pytest-xdist hands them out.

Almost every contract test uses its own numbers and its own user, so the tests run concurrently in
pytest-xdist workers (see README "Contract: side by side"). What decides the wall time is the
longest chain of waits for the target's clock on one worker, so:

- every worker collects the tests in the same order, longest expected wait first (a
  ``policy_wait``/``slow`` mark: the OTP lifetime or the send window; then tests that use the
  ``waiter`` fixture: a cooldown; then the Schemathesis phases, which are the longest without a
  wait; then the rest);
- :class:`LongestWaitFirstScheduling` gives each worker two tests at a time (an xdist worker runs
  one test only once it holds the next), and pairs a test that is longer than everything left
  with the quickest test left, so no long wait ever queues behind another on one worker.

The quick depth (``OTP_CONTRACT_DEPTH=quick``) skips the marked tests here, with the reason, and
:class:`otp_suite.contract.waiting.PolicyWaiter` skips any other test at its first policy wait.
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadScheduling
from xdist.workermanage import WorkerController

from otp_suite.config import ConfigError
from otp_suite.contract.waiting import QUICK_DEPTH_REASON

#: Marks of tests that wait for the target's clock for long (the OTP lifetime, the send window).
POLICY_WAIT_MARKS = ("policy_wait", "slow")


def is_policy_wait_test(item: pytest.Item) -> bool:
    """True when the test is marked as waiting for the OTP lifetime, a cooldown or the send window."""
    return any(item.get_closest_marker(mark) is not None for mark in POLICY_WAIT_MARKS)


def expected_wait_rank(item: pytest.Item) -> int:
    """0 for the longest expected run time (marked policy waits) up to 3 for a test that only makes requests."""
    if is_policy_wait_test(item):
        return 0
    if "waiter" in getattr(item, "fixturenames", ()):
        return 1
    if item.nodeid.split("::", 1)[0].endswith("test_schema.py"):
        return 2
    return 3


def pytest_configure(config: pytest.Config) -> None:
    """Register the marks that say a test waits for the target's clock."""
    config.addinivalue_line("markers", "policy_wait: the test waits for the target's clock (OTP lifetime, cooldown, send window); skipped at the quick depth")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the tests longest expected wait first; at the quick depth, skip the marked policy waits."""
    from otp_suite.contract.session import run_config

    items.sort(key=expected_wait_rank)  # stable: the order within a rank stays the collection order
    try:
        quick = run_config().contract_depth == "quick"
    except ConfigError:
        return  # the session fixture ends the run with this error, once
    if quick:
        for item in items:
            if is_policy_wait_test(item):
                item.add_marker(pytest.mark.skip(reason=QUICK_DEPTH_REASON))


class LongestWaitFirstScheduling(LoadScheduling):
    """Two tests per worker; a test longer than all that are left gets the quickest left as its partner.

    The collection arrives sorted longest expected wait first, so an index is a rank: a lower
    index waits longer. A worker runs its first test once it holds a second (xdist's worker loop
    needs the next test for teardown), and that second one waits for the first to end: after a
    long wait only a quick test is queued, while a quick test is followed by the longest left, so
    the long waits start as early as workers are free.
    """

    # Set by LoadScheduling.__init__; declared here because mypy sees the untyped xdist base as Any.
    collection: list[str] | None

    def schedule(self) -> None:
        """Start the distribution once every worker has collected (xdist calls it again for late workers)."""
        assert self.collection_is_completed
        if self.collection is not None:
            for node in self.nodes:
                self.check_schedule(node)
            return
        if not self._check_nodes_have_same_collection():
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = list(next(iter(self.node2collection.values())))
        self.pending[:] = range(len(self.collection))
        for node in self.nodes:
            self.check_schedule(node)

    def check_schedule(self, node: WorkerController, duration: float = 0) -> None:
        """Top ``node`` up to two tests; with none left to give, let it run what it holds."""
        if node.shutting_down:
            return
        held = self.node2pending[node]
        while len(held) < 2 and self.pending:
            longer_than_all_left = bool(held) and held[-1] < self.pending[0]
            index = self.pending.pop(-1 if longer_than_all_left else 0)
            held.append(index)
            node.send_runtest_some([index])
        if not self.pending:
            node.shutdown()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LongestWaitFirstScheduling:
    """Hand the tests out with :class:`LongestWaitFirstScheduling` instead of xdist's load scheduling."""
    return LongestWaitFirstScheduling(config, log)
