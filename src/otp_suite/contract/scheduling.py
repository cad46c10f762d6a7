"""Running the contract tests side by side: the order in which pytest-xdist hands them out.

Almost every contract test uses its own numbers and its own user, so the tests run concurrently in
pytest-xdist workers (see README "Contract: side by side"). What decides the wall time is the
longest chain of waits for the target's clock on one worker. The runner hands the tests out with
xdist's own load scheduling, one at a time (``--dist load --maxschedchunk 1``,
:func:`otp_suite.contract.runner.xdist_options`): each worker first gets two consecutive tests of
the collection, then one more each time it finishes one (an xdist worker runs a test only once it
holds the next). So the order of the collection, the same in every worker, is the schedule:

- longest expected run first (:func:`expected_wait_rank`: the tests that chain a hundred requests
  or more, such as the Schemathesis stateful phase; a ``slow`` mark, the OTP lifetime or the send
  window; the other Schemathesis phases; other ``policy_wait`` marks and tests that use the
  ``waiter`` fixture, a cooldown; then the tests that only make requests);
- each test followed by the quickest test left (:func:`paired_longest_with_quickest`), so the
  test a worker holds behind a long wait is a quick one, never another long wait;
- last the tests that take an expired challenge, whose lifetime has been running since the session
  began (contract_tests/plugins/aged.py), so that they come late and wait little; never a partner,
  which would hold its worker until the lifetime ends.

When the tests wait on the target's clock or the network the workers also start in order
(:func:`otp_suite.contract.runner.xdist_options`), so the first ones are ready first.

The quick depth (``OTP_CONTRACT_DEPTH=quick``) skips the marked tests here, with the reason, and
:class:`otp_suite.contract.waiting.PolicyWaiter` skips any other test at its first policy wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import pytest

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

Test = TypeVar("Test")


def is_policy_wait_test(item: pytest.Item) -> bool:
    """True when the test is marked as waiting for the OTP lifetime, a cooldown or the send window."""
    return any(item.get_closest_marker(mark) is not None for mark in POLICY_WAIT_MARKS)


def takes_expired_challenge(item: pytest.Item) -> bool:
    """True for a test of expired challenges: handed out last, never as a partner."""
    return EXPIRED_CHALLENGES_FIXTURE in getattr(item, "fixturenames", ())


def expected_wait_rank(item: pytest.Item, *, far_target: bool = False, long_waits: bool = False) -> int:
    """0 for the longest expected run time up to 4 for a test that only makes requests; :data:`LATE_RANK` for a test of expired challenges.

    0: the tests that chain a hundred requests or more (:data:`CHAINED_MARK`), 1: a ``slow`` mark
    (the OTP lifetime, the send window), 2: the other Schemathesis phases, 3: other ``policy_wait``
    marks and tests that use the ``waiter`` fixture (a cooldown). The lifetime's tests mostly
    sleep, so they start beside the phases, which use the CPU. Against a far target
    (:data:`FAR_TARGET_INI`) the phases, hundreds of round trips each, come before the ``slow``
    tests unless the policy has long waits. With ``long_waits``
    (:func:`otp_suite.contract.run_plan.has_long_waits`) the ``slow`` tests, a lifetime of minutes
    each, come first of all, so each starts on a worker of its own in xdist's first hand-out.
    """
    if takes_expired_challenge(item):
        return LATE_RANK
    slow = item.get_closest_marker("slow") is not None
    if item.get_closest_marker(CHAINED_MARK) is not None:
        return 1 if long_waits and not slow else 0
    schema_phase = item.nodeid.split("::", 1)[0].endswith("test_schema.py")
    if slow:
        if long_waits:
            return 0
        return 2 if far_target else 1
    if schema_phase:
        return 1 if far_target else 2
    if is_policy_wait_test(item) or "waiter" in getattr(item, "fixturenames", ()):
        return 3
    return 4


def paired_longest_with_quickest(longest_first: Sequence[Test], late: Sequence[Test] = ()) -> list[Test]:
    """``longest_first`` as longest, quickest, second longest, second quickest, ...; then ``late``.

    xdist's load scheduling with ``--maxschedchunk 1`` gives each worker two consecutive tests,
    then the next one each time it finishes one, and a worker holds the next test while it runs
    one. In this order the test held behind each long wait is a quick one, and the long waits
    start first, each on a worker of its own. ``late`` (the tests of expired challenges) are never
    partners.
    """
    paired: list[Test] = []
    front, back = 0, len(longest_first) - 1
    while front <= back:
        paired.append(longest_first[front])
        if front != back:
            paired.append(longest_first[back])
        front, back = front + 1, back - 1
    return [*paired, *late]


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ini option by which the runner says the target is far."""
    parser.addini(FAR_TARGET_INI, "the target is far: its tests wait on round trips (set by otp_suite.contract.runner)", type="bool", default=False)


def pytest_configure(config: pytest.Config) -> None:
    """Register the marks that say a test waits for the target's clock."""
    config.addinivalue_line("markers", f"{CHAINED_MARK}: the test chains hundreds of requests; it is handed out first")
    config.addinivalue_line("markers", "policy_wait: the test waits for the target's clock (OTP lifetime, cooldown, send window); skipped at the quick depth")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the tests for xdist (:func:`paired_longest_with_quickest`); at the quick depth, skip the marked policy waits."""
    from otp_suite.contract.session import run_config

    try:
        suite_config: SuiteConfig | None = run_config()
    except ConfigError:
        suite_config = None  # the session fixture ends the run with this error, once
    long_waits = suite_config is not None and has_long_waits(suite_config)
    far_target = bool(config.getini(FAR_TARGET_INI)) and not long_waits
    # Stable: the order within a rank stays the collection order.
    ranked = sorted(items, key=lambda item: expected_wait_rank(item, far_target=far_target, long_waits=long_waits))
    late = [item for item in ranked if takes_expired_challenge(item)]
    items[:] = paired_longest_with_quickest([item for item in ranked if not takes_expired_challenge(item)], late)
    if suite_config is not None and suite_config.contract_depth == "quick":
        for item in items:
            if is_policy_wait_test(item):
                item.add_marker(pytest.mark.skip(reason=tagged(SkipCause.DEPTH, QUICK_DEPTH_REASON)))
