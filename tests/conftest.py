"""Index of the plugins of the suite's own tests (one module per line).

Only fixtures that several areas use are here (pytest reads ``pytest_plugins`` in this root
conftest only); an area's own fixtures are in its folder's conftest.py, and plain code the tests
import is in helpers/.
"""

import pytest

# The helpers' asserts (e.g. helpers.failsafe_targets.assert_fails_safe) explain a failure as a test's own do.
pytest.register_assert_rewrite("helpers")

pytest_plugins = [
    "plugins.service",  # the reference service on a thread, a client, numbers (service and load tests)
    "plugins.loopback",  # refused_url (contract, failsafe, gate and report tests)
    "plugins.chromium",  # headless Chromium (report and gate tests)
    "plugins.parallel_groups",  # how tests sharing an expensive fixture stay on one xdist worker
]
