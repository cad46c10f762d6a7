"""Every output has one declaration (``otp_suite.report.paths``): the README's outputs table lists
exactly the declared outputs, and no other module spells an output's path itself.

That a run writes nothing undeclared is checked on a whole gate run (tests/gate/test_gate_runs.py)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from otp_suite.config import PROJECT_ROOT
from otp_suite.report.paths import ReportPaths

#: The code that writes outputs: the product, the locustfile, the contract suite.
CODE_FOLDERS = ("src/otp_suite", "load", "contract_tests")
DECLARATION = PROJECT_ROOT / "src" / "otp_suite" / "report" / "paths.py"


@pytest.fixture(scope="module")
def declared() -> dict[str, Path]:
    """The declared outputs, by their place under the reports folder."""
    return ReportPaths(Path("reports")).outputs()


@pytest.fixture(scope="module")
def readme_outputs() -> set[str]:
    """The first column of the README's outputs table ("path under `reports/`")."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| path under `reports/` |", 1)[1].split("\n\n", 1)[0]
    return {match for line in table.splitlines()[2:] for match in re.findall(r"`([^`]+)`", line.split("|")[1])}


@pytest.fixture(scope="module")
def spelled_names(declared: dict[str, Path]) -> set[str]:
    """What a module would spell to name an output itself: a declared file's or folder's name, or
    the ending a Locust file adds to the ``--csv`` prefix (``_stats.csv``)."""
    prefix = ReportPaths(Path("reports")).locust.prefix.name
    names = {place.rstrip("/").rsplit("/", 1)[-1] for place in declared}
    return names | {name.removeprefix(prefix) for name in names if name.startswith(prefix + "_")}


def _string_literals(path: Path) -> Iterator[tuple[int, str]]:
    """Every string constant of a module (the parts of f-strings too), docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree) if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body and isinstance(node.body[0], ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_the_readme_outputs_table_lists_every_declared_output(declared, readme_outputs):
    assert sorted(set(declared) - readme_outputs) == []


def test_every_row_of_the_readme_outputs_table_is_a_declared_output(declared, readme_outputs):
    assert sorted(readme_outputs - set(declared)) == []


def test_no_module_spells_an_output_path_but_the_declaration(spelled_names):
    # A path is a literal without spaces ending in an output's name; a message naming one is prose, and
    # a setting's help names its default as "<reports-dir>/…".
    spelled = [
        f"{path.relative_to(PROJECT_ROOT)}:{line}: {text!r}"
        for folder in CODE_FOLDERS
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))
        if path != DECLARATION
        for line, text in _string_literals(path)
        if not re.search(r"\s", text) and not text.startswith("<") and any(text == name or text.endswith(("/" + name, name if name.startswith("_") else "\0")) for name in spelled_names)
    ]

    assert spelled == [], "use otp_suite.report.paths (ReportPaths, LocustFiles) instead"
