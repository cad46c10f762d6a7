"""Where test data lives: in the product (``otp_suite.testdata``), which users import; the product
never imports the repository's test folders, and the wheel installs no top-level name but
``otp_suite`` (a top-level ``fixtures`` would shadow the PyPI distribution of that name)."""

from __future__ import annotations

import ast
import importlib.metadata
import tomllib
from pathlib import Path

from otp_suite.config import PROJECT_ROOT

#: The product: the package and the locustfile Locust loads.
PRODUCT_FOLDERS = ("src", "load")
#: Top-level names the product must not import: the repository's test folders.
TEST_ONLY_MODULES = {"fixtures", "tests", "helpers", "contract_tests"}


def _imported_top_level_names(source: Path) -> set[str]:
    """The first part of every module name ``source`` imports (absolute imports only)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def _folders_of_modules_under(source_root: Path) -> set[str]:
    """Dotted names of the folders under ``source_root`` that hold Python modules."""
    return {".".join(module.parent.relative_to(source_root).parts) for module in source_root.rglob("*.py")}


def test_the_product_never_imports_the_repositorys_test_folders() -> None:
    offenders = {
        f"{source.relative_to(PROJECT_ROOT)}: {sorted(forbidden)}" for folder in PRODUCT_FOLDERS for source in (PROJECT_ROOT / folder).rglob("*.py") if (forbidden := _imported_top_level_names(source) & TEST_ONLY_MODULES)
    }

    assert not offenders, f"product modules import test-only folders (move what they need into otp_suite.testdata): {sorted(offenders)}"


def test_the_wheel_packages_every_product_package_and_nothing_else() -> None:
    setuptools_config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]

    packaged = set(setuptools_config["packages"])

    assert setuptools_config["package-dir"] == {"": "src"}
    assert packaged == _folders_of_modules_under(PROJECT_ROOT / "src"), "pyproject.toml [tool.setuptools] packages must list exactly the folders of modules under src/ (each with an __init__.py)"
    assert {name.partition(".")[0] for name in packaged} == {"otp_suite"}


def test_the_installed_distribution_has_one_top_level_name() -> None:
    top_level = importlib.metadata.distribution("otp-suite").read_text("top_level.txt")

    assert top_level is not None, "the installed otp-suite has no top_level.txt; reinstall it with `make install`"
    assert top_level.split() == ["otp_suite"]
