"""ARCHITECTURE.md's layer diagram is the map of the code: every module of the product and the
contract suite is on it, in its folder's entry, and every import of ``src/otp_suite`` goes down
the diagram's layers (or stays within one), never up."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from otp_suite.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "src" / "otp_suite"
#: Folders outside the package whose modules the diagram lists too.
OTHER_FOLDERS = ("contract_tests", "load")
#: An entry starts at column 0 with its names ("cli/", "gating.py", "ports.py, polling.py"), then text.
_ENTRY_NAMES = re.compile(r"^((?:[\w.]+/?)(?:, [\w.]+/?)*)(?:\s|$)")
_LAYER_RULE = "│"


@dataclass(frozen=True)
class Entry:
    """One entry of the diagram: the names it starts with, its layer (0 is the top) and its text."""

    names: tuple[str, ...]
    layer: int
    text: str


def diagram_entries(architecture: str) -> list[Entry]:
    """The entries of the first code block under "## Layers"."""
    section = architecture.split("## Layers", 1)[1]
    block = section.split("```", 2)[1]
    entries: list[Entry] = []
    layer = 0
    for line in block.splitlines():
        if line.strip() == _LAYER_RULE:
            layer += 1
        elif line and not line[0].isspace() and (match := _ENTRY_NAMES.match(line)):
            entries.append(Entry(tuple(match.group(1).split(", ")), layer, line))
        elif entries and line.strip():
            last = entries[-1]
            entries[-1] = Entry(last.names, last.layer, f"{last.text}\n{line}")
    return entries


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return diagram_entries((PROJECT_ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8"))


def _entry_of(entries: list[Entry], name: str) -> Entry | None:
    return next((entry for entry in entries if name in entry.names), None)


def _modules_of(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if path.name != "__init__.py" and "__pycache__" not in path.parts)


def _top_name(module: Path) -> str:
    """``cli/`` for src/otp_suite/cli/gate.py, ``gating.py`` for src/otp_suite/gating.py."""
    relative = module.relative_to(PACKAGE)
    return f"{relative.parts[0]}/" if len(relative.parts) > 1 else relative.name


def test_every_module_is_named_in_its_folders_entry_of_the_diagram(entries: list[Entry]) -> None:
    missing = []
    for module in _modules_of(PACKAGE):
        entry = _entry_of(entries, _top_name(module))
        if entry is None or (len(module.relative_to(PACKAGE).parts) > 1 and module.name not in entry.text):
            missing.append(str(module.relative_to(PROJECT_ROOT)))
    for folder in OTHER_FOLDERS:
        entry = _entry_of(entries, f"{folder}/")
        missing += [str(module.relative_to(PROJECT_ROOT)) for module in _modules_of(PROJECT_ROOT / folder) if entry is None or module.name not in entry.text]

    assert not missing, f"ARCHITECTURE.md's layer diagram does not name these modules in their folder's entry; add them: {missing}"


def test_the_diagram_names_no_module_that_does_not_exist(entries: list[Entry]) -> None:
    named = {name for entry in entries for name in re.findall(r"\b([a-z_]+\.py)\b", entry.text)}
    existing = {module.name for folder in (PACKAGE, *(PROJECT_ROOT / other for other in OTHER_FOLDERS)) for module in folder.rglob("*.py")}

    assert named <= existing, f"ARCHITECTURE.md's layer diagram names modules that do not exist: {sorted(named - existing)}"


def _imports_of(module: Path) -> set[str]:
    """The ``otp_suite`` modules ``module`` imports, anywhere in it (a deferred import counts too)."""
    imported: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"), filename=str(module))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    return {name for name in imported if name.startswith("otp_suite.")}


def _top_name_of_import(name: str) -> str:
    """``cli/`` for otp_suite.cli.gate, ``gating.py`` for otp_suite.gating."""
    first = name.split(".")[1]
    return f"{first}/" if (PACKAGE / first).is_dir() else f"{first}.py"


def test_every_import_of_the_package_goes_down_the_layers(entries: list[Entry]) -> None:
    layer = {name: entry.layer for entry in entries for name in entry.names}
    upward = [
        f"{module.relative_to(PACKAGE)} (layer {layer[_top_name(module)]}) imports {name} (layer {layer[_top_name_of_import(name)]})"
        for module in _modules_of(PACKAGE)
        for name in sorted(_imports_of(module))
        if layer[_top_name_of_import(name)] < layer[_top_name(module)]
    ]

    assert not upward, f"imports that go up ARCHITECTURE.md's layers (move the code down, or the module up the diagram): {upward}"


_HOME = re.compile(r"`([\w/]+\.(?:py|toml|json|yaml))(?:: ([^`]+))?`")


def _defined_names(module: Path) -> dict[str, set[str]]:
    """Top-level names of ``module``, each with the names defined in its body (a class's attributes)."""
    defined: dict[str, set[str]] = {}
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            members = {child.name for child in node.body if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)}
            members |= {child.target.id for child in node.body if isinstance(child, ast.AnnAssign) and isinstance(child.target, ast.Name)}
            defined[node.name] = members
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name):
                    defined[target.id] = set()
    return defined


def test_every_home_the_one_home_table_names_exists() -> None:
    table = (PROJECT_ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8").split("## Where each idea lives", 1)[1].split("\n## ", 1)[0]
    wrong = []
    for path_text, names_text in _HOME.findall(table):
        path = next((candidate for candidate in (PACKAGE / path_text, PROJECT_ROOT / path_text) if candidate.is_file()), None)
        if path is None:
            wrong.append(f"{path_text}: no such file")
            continue
        if not names_text or path.suffix != ".py":
            continue
        defined = _defined_names(path)
        for dotted in re.findall(r"[A-Za-z_][\w.]*", names_text.replace("()", "")):
            owner, _, member = dotted.partition(".")
            if owner not in defined or (member and member not in defined[owner]):
                wrong.append(f"{path_text}: {dotted} is not defined there")

    assert not wrong, f"ARCHITECTURE.md's one-home table names homes that do not hold (fix the table or the code): {wrong}"
