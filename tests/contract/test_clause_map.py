"""The clause map (contract_tests/clauses.toml) is complete and true: every clause has a test and a
fault, every test and fault it names exists, and every contract fault of the catalog breaks some
clause. (That every fault is killed by its clause's tests is tests/contract/test_contract_faults.py.)"""

from __future__ import annotations

import subprocess
import sys

from otp_suite.config import PROJECT_ROOT
from otp_suite.contract.clause_map import CLAUSES_FILE, entry_names_node, load_clauses
from otp_suite.service.faults import CATALOG

#: Faults about speed and availability under load; the load tests judge them, not the contract.
LOAD_ONLY = {"slow_verify", "fail_ratio", "stall"}


def _collected_contract_tests() -> list[str]:
    """Node ids of every contract test, as pytest collects them (no target is started to collect)."""
    command = [sys.executable, "-m", "pytest", "contract_tests", "--collect-only", "-q", "-p", "no:cacheprovider", "-c", "contract_tests/pytest.ini", f"--rootdir={PROJECT_ROOT}"]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=240, env={"PATH": "/usr/bin:/bin", "OTP_JWT_SECRET": "collect-only-secret-0123456789abcdef"})
    assert result.returncode == 0, f"collecting contract_tests failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return [line.strip() for line in result.stdout.splitlines() if "::" in line]


def test_every_clause_has_a_test_and_a_fault() -> None:
    clauses = load_clauses()

    lacking = {clause.id: [what for what, names in (("tests", clause.tests), ("faults", clause.faults)) if not names] for clause in clauses.values()}

    assert {k: v for k, v in lacking.items() if v} == {}, f"clauses in {CLAUSES_FILE.name} without a test or a fault"


def test_every_mapped_fault_is_in_the_catalog() -> None:
    mapped = {fault for clause in load_clauses().values() for fault in clause.faults}

    assert mapped - set(CATALOG) == set(), f"{CLAUSES_FILE.name} names faults that src/otp_suite/service/faults.py does not have"


def test_every_contract_fault_breaks_a_mapped_clause() -> None:
    mapped = {fault for clause in load_clauses().values() for fault in clause.faults}

    assert set(CATALOG) - LOAD_ONLY - mapped == set(), f"faults of the catalog that no clause of {CLAUSES_FILE.name} lists (which clause do they break?)"


def test_every_mapped_test_exists() -> None:
    collected = _collected_contract_tests()
    entries = {entry for clause in load_clauses().values() for entry in clause.tests}

    missing = sorted(entry for entry in entries if not any(entry_names_node(entry, node_id) for node_id in collected))

    assert missing == [], f"{CLAUSES_FILE.name} names tests that contract_tests does not have"


def test_every_clause_names_its_contract_sentence() -> None:
    short = [clause.id for clause in load_clauses().values() if len(clause.sentence) < 12 or not clause.section]

    assert short == [], "each clause quotes the contract's sentence and names its section"
