"""How the suite's own tests share pytest-xdist workers (``make test`` runs them in parallel).

Each worker is its own pytest session: a module- or session-scoped fixture is set up once per
worker that runs a test using it. For cheap fixtures (a service thread, a secret) that is fine and
lets their tests spread over all workers. For an expensive one (a whole gate run, a 10 s load run,
an Allure report build) every test that shares it must land on the same worker, or the run is
repeated on each. This plugin puts such tests in one ``xdist_group`` (run with ``--dist
loadgroup``): tests that share any expensive fixture, directly or through another fixture, end up
in the same group. New fixtures and tests inherit this without a marker: a fixture wider than a
test is expensive unless it is named in :data:`CHEAP_TO_REPEAT`.

A test that must not overlap with its kind (it measures timing against a schedule) carries
``@pytest.mark.xdist_group("<name>")`` itself; the plugin keeps that name and joins the rest of
its fixture group to it.
"""

from __future__ import annotations

import os

import pytest

#: Workers per core for ``-n auto``: most tests wait (on a subprocess, a socket, a load run's clock),
#: so two workers per core keep both cores busy; more only add contention (measured, see README).
WORKERS_PER_CORE = 2

#: The versions :func:`pytest_collection_modifyitems_group_suffix` was checked against
#: (tests/layout/test_parallel_groups.py): pytest-xdist 3.8 writes the ``@group`` suffix to
#: ``item._nodeid``, pytest 9.2 reads the node id from ``item._id`` (built by the private
#: ``_pytest.nodeid.coerce_node_id``), and ``--dist loadgroup`` groups by the suffix of the node ids
#: the workers report. A new version of either: run that test file and
#: benchmarks/bench_test_groups.py, then update this.
CHECKED_VERSIONS = {"pytest": "9.2.0", "pytest-xdist": "3.8.0"}

#: Shared fixtures that cost milliseconds: each worker sets up its own, so their tests spread.
CHEAP_TO_REPEAT = frozenset({"jwt_secret", "service", "http", "phone_numbers", "chromium", "tmp_path_factory", "worker_id", "testrun_uid"})


class _Groups:
    """Union-find over group keys: two keys sharing a test end up with one representative."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, first: str, second: str) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            # Keep an explicit xdist_group name as the representative, so a marked group stays named.
            keep, drop = (a, b) if a.startswith("marked:") or not b.startswith("marked:") else (b, a)
            self.parent[drop] = keep


def _expensive_shared_fixtures(item: pytest.Item) -> list[str]:
    """Keys of the fixtures wider than one test (and not cheap) that ``item`` uses, directly or not."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    keys = []
    for name in info.names_closure:
        definitions = info.name2fixturedefs.get(name)
        if not definitions or name in CHEAP_TO_REPEAT:
            continue
        definition = definitions[-1]
        if definition.scope == "function":
            continue
        # A module-scoped fixture is one instance per module; a session-scoped one, one per session.
        module = getattr(item, "module", None)  # a pytest.Function's (the only items with fixtures)
        where = module.__name__ if definition.scope in ("module", "class", "package") and module else "session"
        keys.append(f"fixture:{where}:{name}")
    return keys


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """How many workers ``-n auto`` starts (PYTEST_XDIST_AUTO_NUM_WORKERS overrides it)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return WORKERS_PER_CORE * cores


def _marked_group(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("xdist_group")
    if marker is None:
        return None
    return str(marker.args[0] if marker.args else marker.kwargs.get("name", "default"))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that shares an expensive fixture (or a named group) with its group."""
    groups = _Groups()
    keys_by_item: dict[str, list[str]] = {}
    for item in items:
        keys = _expensive_shared_fixtures(item)
        marked = _marked_group(item)
        if marked is not None:
            keys.append(f"marked:{marked}")
        keys_by_item[item.nodeid] = keys
        for key in keys[1:]:
            groups.join(keys[0], key)
    for item in items:
        keys = keys_by_item[item.nodeid]
        if not keys:
            continue
        group = groups.find(keys[0]).removeprefix("marked:")
        if _marked_group(item) != group:
            # In front, so it is the closest xdist_group marker, which is the one xdist reads.
            item.add_marker(pytest.mark.xdist_group(group), append=False)


@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
def pytest_collection_modifyitems_group_suffix(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give each grouped test the ``@group`` suffix that ``--dist loadgroup`` schedules by.

    pytest-xdist 3.8 writes the suffix to ``item._nodeid``, which pytest 9 no longer reads (the node
    id lives in ``item._id``): every group was spread over all workers, and each worker repeated the
    group's expensive fixture (four gate runs where one was meant). Until xdist follows, the suffix
    is written where pytest 9 keeps it. It relies on the versions in :data:`CHECKED_VERSIONS`; what
    it saves and when to remove it: ARCHITECTURE.md, "Speed machinery".
    """
    if not config.getoption("loadgroup", default=False):
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        marker = item.get_closest_marker("xdist_group")
        if marker is None or not hasattr(item, "_id") or "@" in item.nodeid.rsplit("]", 1)[-1]:
            continue
        item._id = coerce_node_id(f"{item.nodeid}@{_marked_group(item)}")  # noqa: SLF001 -- where pytest 9 keeps the node id (module docstring)
