"""Tests that share an expensive fixture run on one xdist worker (tests/plugins/parallel_groups.py).

Each test runs a real pytest-xdist session of a small project whose module-scoped fixture records
every set-up, and whose tests record the worker they ran on.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

from plugins.parallel_groups import CHECKED_VERSIONS

TESTS_ROOT = Path(__file__).resolve().parent.parent
#: More tests than workers, so that tests not grouped spread over both workers.
SHARING_TESTS = 6
WORKERS = 2

_RECORDING_CONFTEST = """\
import os, pathlib, uuid
import pytest
HERE = pathlib.Path(__file__).parent
def _worker():
    return os.environ.get("PYTEST_XDIST_WORKER", "controller")
@pytest.fixture(scope="module")
def expensive_run():
    (HERE / f"setup-{_worker()}-{uuid.uuid4().hex}.record").touch()
@pytest.fixture
def record_worker(request):
    (HERE / f"test-{request.node.name}-{_worker()}.record").touch()
"""


@pytest.fixture
def sharing_project(tmp_path: Path) -> Path:
    """A project of :data:`SHARING_TESTS` tests that share one module-scoped fixture, ``expensive_run``."""
    (tmp_path / "conftest.py").write_text(_RECORDING_CONFTEST)
    tests = "".join(f"def test_{index}(expensive_run, record_worker):\n    pass\n\n" for index in range(SHARING_TESTS))
    (tmp_path / "test_sharing.py").write_text(tests)
    return tmp_path


def run_with_the_plugin(project: Path, dist: str) -> subprocess.CompletedProcess[str]:
    """Run ``project`` on :data:`WORKERS` xdist workers with ``--dist <dist>`` and the grouping plugin."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS_ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "pytest", "test_sharing.py", "-n", str(WORKERS), "--dist", dist, "-p", "plugins.parallel_groups"]
    command += ["-p", "no:cacheprovider", "-q", "-o", "addopts=", "--rootdir", str(project)]
    return subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True, timeout=240, check=False)


def test_tests_sharing_a_module_fixture_run_on_one_worker_which_sets_it_up_once(sharing_project: Path) -> None:
    finished = run_with_the_plugin(sharing_project, "loadgroup")

    assert finished.returncode == 0, f"the xdist session failed (exit {finished.returncode}): {(finished.stdout + finished.stderr)[-2000:]}"
    workers = {path.stem.rsplit("-", 1)[1] for path in sharing_project.glob("test-*.record")}
    set_ups = sorted(path.name for path in sharing_project.glob("setup-*.record"))
    assert len(list(sharing_project.glob("test-*.record"))) == SHARING_TESTS, "every test ran"
    assert len(workers) == 1, f"the tests sharing expensive_run ran on workers {sorted(workers)}: the @group suffix did not reach --dist loadgroup"
    assert len(set_ups) == 1, f"expensive_run was set up {len(set_ups)} times ({set_ups}), once per worker that ran a test using it"


@pytest.mark.parametrize(("distribution", "checked"), sorted(CHECKED_VERSIONS.items()))
def test_the_group_suffix_is_written_only_on_the_versions_it_was_checked_against(distribution: str, checked: str) -> None:
    """The suffix is written into pytest's private node id because xdist writes it where pytest no longer reads it."""
    installed = importlib.metadata.version(distribution)

    assert installed == checked, (
        f"{distribution} {installed} is installed; tests/plugins/parallel_groups.py was checked against {checked}. "
        "pytest_collection_modifyitems_group_suffix writes the `@group` suffix that `--dist loadgroup` schedules by into "
        "pytest's private `item._id` (via `_pytest.nodeid.coerce_node_id`), because pytest-xdist 3.8 writes it to "
        "`item._nodeid`, which pytest 9 no longer reads. Check xdist's `remote.py` (pytest_collection_modifyitems): if "
        "pytest-xdist now writes the suffix where pytest reads the node id, delete pytest_collection_modifyitems_group_suffix "
        "and CHECKED_VERSIONS (and its paragraph in ARCHITECTURE.md, 'Speed machinery'); otherwise run "
        "tests/layout/test_parallel_groups.py and benchmarks/bench_test_groups.py, then set "
        f"CHECKED_VERSIONS[{distribution!r}] = {installed!r}"
    )
