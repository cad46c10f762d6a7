"""Every check of the contract suite can fail: against the reference service with one fault from
the catalog, the tests of the clauses it breaks (contract_tests/clauses.toml) fail and the run
exits 1; against the service without faults, the whole suite passes.

Each fault runs only the tests mapped to its clauses (node ids), so the matrix stays affordable.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from otp_suite.contract.clause_map import load_clauses
from otp_suite.contract.outcome import ContractOutcome

#: The check the runner makes before the tests (a target nothing like the API stops the run there).
NOT_THE_API = "the target answers like the OTP API"


def _mapped_node_ids(fault: str) -> list[str]:
    """The contract tests of every clause that ``fault`` breaks, as pytest node ids."""
    entries = sorted({entry for clause in load_clauses().values() if fault in clause.faults for entry in clause.tests})
    return [f"contract_tests/{entry}" for entry in entries]


CONTRACT_FAULTS = sorted({fault for clause in load_clauses().values() for fault in clause.faults})


@pytest.mark.slow
@pytest.mark.parametrize("fault", CONTRACT_FAULTS)
def test_fault_is_killed_by_the_tests_of_its_clauses(contract_run: Callable[..., ContractOutcome], fault: str) -> None:
    node_ids = _mapped_node_ids(fault)

    outcome = contract_run(fault=fault, pytest_args=node_ids)

    assert outcome.exit_code == 1, f"{fault} survives: the tests of its clauses ({', '.join(node_ids)}) exit {outcome.exit_code} ({outcome.reason or outcome.summary()})"
    failed_mapped = [f for f in outcome.failures if f == NOT_THE_API or any(f.endswith("::" + entry.rsplit("::", 1)[1].split("[")[0]) or entry.rsplit("::", 1)[1].split("[")[0] in f for entry in node_ids)]
    assert failed_mapped, f"{fault}: none of the tests of its clauses failed; failures: {outcome.failures}"


@pytest.mark.slow
def test_whole_suite_passes_against_the_fault_free_service(contract_run: Callable[..., ContractOutcome]) -> None:
    outcome = contract_run()

    assert outcome.exit_code == 0, f"false failures: {outcome.failures} {outcome.reason or ''}"
    assert outcome.failed == 0 and outcome.skipped == 0, outcome.skip_reasons
    assert {name for name, counts in outcome.areas.items() if counts.passed} == {"schema", "lifecycle", "limits", "security"}
