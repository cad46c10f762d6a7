"""Skips of the contract suite name their cause, and the verdict lists them grouped by it (issue 22):
a skip is a check the run did not make, never a pass, and never the target's doing."""

from __future__ import annotations

import re

from otp_suite.config import PROJECT_ROOT
from otp_suite.contract.outcome import ContractOutcome
from otp_suite.contract.skip_causes import UNTAGGED, SkipCause, cause_of, tagged

#: Where the contract run's checks and their plugins live.
CONTRACT_CODE = [PROJECT_ROOT / "contract_tests", PROJECT_ROOT / "src" / "otp_suite" / "contract"]
#: The one module allowed to call pytest.skip: it tags the reason with its cause.
SKIP_HOME = PROJECT_ROOT / "src" / "otp_suite" / "contract" / "skip_causes.py"


def test_every_skip_of_the_contract_suite_names_its_cause() -> None:
    untagged_skips = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for folder in CONTRACT_CODE
        for path in sorted(folder.rglob("*.py"))
        if path != SKIP_HOME
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"pytest\.(skip|xfail|importorskip)\(|mark\.(skip|skipif|xfail)\(reason=(?!tagged)", line)
    ]

    assert untagged_skips == [], "skips must go through otp_suite.contract.skip_causes.skip (or tagged()) so the verdict can group them by cause"


def test_skip_reason_read_back_with_its_cause_from_junit_form() -> None:
    reason = f"contract_tests/test_limits.py:90: {tagged(SkipCause.POLICY, 'OTP_RESEND_COOLDOWN_S=0: no cooldown to observe')}"

    assert cause_of(reason) is SkipCause.POLICY


def test_verdict_lists_skips_grouped_by_cause() -> None:
    outcome = ContractOutcome(
        exit_code=0,
        passed=3,
        skipped=4,
        skip_reasons=(
            f"t::a: {tagged(SkipCause.DEPTH, 'quick')}",
            f"t::b: {tagged(SkipCause.DEPTH, 'quick')}",
            f"t::c: {tagged(SkipCause.TIMING, 'late')}",
            "t::d: a plugin's own reason",
        ),
    )

    report = outcome.skip_report(shown_per_cause=1)

    assert report == [
        f"skipped, {SkipCause.DEPTH.label}: 2",
        "  t::a: quick",
        "  ... and 1 more (every skip and its reason: the contract JUnit file)",
        f"skipped, {SkipCause.TIMING.label}: 1",
        "  t::c: late",
        f"skipped, {UNTAGGED}: 1",
        "  t::d: a plugin's own reason",
    ]
    assert outcome.skip_counts() == f"2 {SkipCause.DEPTH.label}; 1 {SkipCause.TIMING.label}; 1 {UNTAGGED}"
