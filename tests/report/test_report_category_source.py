"""A failure's category comes from the clause its check holds (contract_tests/clauses.toml), never
from the words of its message: a lifecycle check whose message starts with "Security: " is still a
contract violation, and a check in a lifecycle module that holds a security clause is a security
failure. The reporting plugin stamps the message; the rules of both Allure viewers read the stamp.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from types import ModuleType

import pytest

from otp_suite.config import PROJECT_ROOT
from otp_suite.report.categories import CONTRACT_VIOLATION, SECURITY, category_of


def _reporting_plugin() -> ModuleType:
    """contract_tests/plugins/reporting.py, the contract suite's plugin (not a package the tests import)."""
    spec = importlib.util.spec_from_file_location("contract_reporting_plugin", PROJECT_ROOT / "contract_tests" / "plugins" / "reporting.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reporting = _reporting_plugin()


@dataclass
class CollectedCheck:
    """What the plugin reads of a collected contract test: its node id, its markers, its properties."""

    nodeid: str
    user_properties: list[tuple[str, object]] = field(default_factory=list)
    stash: pytest.Stash = field(default_factory=pytest.Stash)

    def iter_markers(self, name: str) -> list[pytest.Mark]:
        return []


def _filed(nodeid: str, message: str) -> str | None:
    error = AssertionError(message)
    reporting._stamp(CollectedCheck(nodeid), error)  # noqa: SLF001 - the plugin's hook, with a plain error
    return category_of("failed", f"AssertionError: {error}")


def test_a_lifecycle_check_whose_message_starts_with_security_is_a_contract_violation():
    # Clause resend.pending.keeps-auth-code: section Challenges, area lifecycle.
    nodeid = "contract_tests/test_lifecycle.py::test_resend_keeps_auth_code_and_new_otp_verifies"

    assert _filed(nodeid, "Security: resend of a pending challenge keeps its authCode") == CONTRACT_VIOLATION


def test_a_check_of_a_lifecycle_module_holding_a_security_clause_is_a_security_failure():
    # Clause identity.user-from-token-user-id: area security, whatever the module.
    nodeid = "contract_tests/test_lifecycle.py::test_otp_is_bound_to_the_user_of_the_token"

    assert _filed(nodeid, "another user's token verified the challenge") == SECURITY


def test_a_check_without_a_clause_is_filed_by_its_modules_area():
    assert _filed("contract_tests/test_security_made_up.py::test_without_a_clause", "refused") == SECURITY
    assert _filed("contract_tests/test_schema.py::test_without_a_clause", "Security: odd words") == CONTRACT_VIOLATION


def test_junit_files_a_check_under_the_category_allure_gives_it():
    check = CollectedCheck("contract_tests/test_lifecycle.py::test_resend_keeps_auth_code_and_new_otp_verifies", [("category", CONTRACT_VIOLATION)])

    reporting._stamp(check, KeyError("authCode"))  # noqa: SLF001 - an error of the suite's own code: Allure says broken

    assert [value for name, value in check.user_properties if name == "category"] == [category_of("broken", "KeyError: 'authCode'")] == ["Suite error"]
