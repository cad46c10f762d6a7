"""The clause map (``contract_tests/clauses.toml``): every sentence of the contract a target can
break, with the tests that hold it and the faults of the reference service that break it.

The reporting plugin names a failing test's clause and sentence; the suite's own tests
(tests/contract/test_clause_map.py) hold the map complete: every clause has a test and a fault, every
name in it exists, and every fault is killed by the tests mapped to its clause.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from otp_suite.config import PROJECT_ROOT

CLAUSES_FILE = PROJECT_ROOT / "contract_tests" / "clauses.toml"
#: The areas of the contract suite, the most serious first: a test holding clauses of several
#: areas is counted in the first of them (a leak found by a lifecycle test is a security failure).
AREAS_BY_PRECEDENCE = ("security", "limits", "lifecycle", "schema")


@dataclass(frozen=True)
class Clause:
    """One breakable sentence of the contract."""

    id: str
    section: str
    sentence: str
    tests: tuple[str, ...]
    faults: tuple[str, ...]
    #: Where a failure of the clause is counted and filed (console, Allure category and severity, JUnit).
    area: str = "schema"


class ClauseMapError(ValueError):
    """clauses.toml is malformed; the message names the clause and the field."""


def load_clauses(path: Path = CLAUSES_FILE) -> dict[str, Clause]:
    """Every clause of ``path`` by id."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ClauseMapError(f"cannot read the clause map {path}: {error}") from None
    clauses: dict[str, Clause] = {}
    section_areas = document.get("areas", {})
    for entry in document.get("clause", []):
        clause_id = entry.get("id", "")
        for key in ("id", "section", "sentence", "tests", "faults"):
            if key not in entry:
                raise ClauseMapError(f"clause {clause_id or '(no id)'} in {path.name} lacks {key!r}")
        if clause_id in clauses:
            raise ClauseMapError(f"clause id {clause_id} appears twice in {path.name}")
        area = entry.get("area", section_areas.get(entry["section"]))
        if area not in AREAS_BY_PRECEDENCE:
            raise ClauseMapError(f"clause {clause_id} in {path.name} has area {area!r}; name one of {', '.join(AREAS_BY_PRECEDENCE)} (its own 'area', or its section's in [areas])")
        clauses[clause_id] = Clause(clause_id, entry["section"], entry["sentence"], tuple(entry["tests"]), tuple(entry["faults"]), area)
    return clauses


@functools.cache
def clauses() -> dict[str, Clause]:
    """The repository's clause map, read once."""
    return load_clauses()


def entry_names_node(entry: str, node_id: str) -> bool:
    """Whether map entry ``test_x.py::test_y`` (any parameters) or ``test_x.py::test_y[p]`` names pytest node ``node_id``."""
    path, _, name = node_id.partition("::")
    # Split the path only: a parameter may hold slashes (Schemathesis' "POST /fe/users/auth/otp/register").
    path_and_name = f"{path.rsplit('/', 1)[-1]}::{name}"
    return path_and_name == entry or ("[" not in entry and path_and_name.split("[", 1)[0] == entry)


def clauses_of_test(node_id: str) -> list[str]:
    """The ids of the clauses whose tests include ``node_id``."""
    path, _, name = node_id.partition("::")
    candidates = _entries_by_test().get(f"{path.rsplit('/', 1)[-1]}::{name.split('[', 1)[0]}", ())
    return list(dict.fromkeys(clause_id for entry, clause_id in candidates if entry_names_node(entry, node_id)))


@functools.cache
def _entries_by_test() -> dict[str, list[tuple[str, str]]]:
    """The map's (entry, clause id) pairs by the test they name, ``test_x.py::test_y`` without parameters.

    Every worker labels each of its hundreds of tests: a scan of the whole map per test cost it a
    tenth of a CPU-second.
    """
    index: dict[str, list[tuple[str, str]]] = {}
    for clause in clauses().values():
        for entry in clause.tests:
            index.setdefault(entry.split("[", 1)[0], []).append((entry, clause.id))
    return index


def area_of_clauses(clause_ids: list[str]) -> str | None:
    """The area of a test holding ``clause_ids``: the most serious of theirs; None without a known clause."""
    areas = {clauses()[clause_id].area for clause_id in clause_ids if clause_id in clauses()}
    return next((area for area in AREAS_BY_PRECEDENCE if area in areas), None)


def describe(clause_id: str) -> str:
    """``clause <id> ("<sentence>", contract section <section>)`` for a failure message."""
    clause = clauses().get(clause_id)
    if clause is None:
        return f"clause {clause_id} (not in {CLAUSES_FILE.name})"
    return f'clause {clause.id}: the contract says "{clause.sentence}" (section "{clause.section}")'
