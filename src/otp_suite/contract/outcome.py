"""Reading a finished contract run: counts per area from the JUnit XML, and the exit code."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from otp_suite.contract.skip_causes import grouped_by_cause, untagged
from otp_suite.report.junit import ERROR, FAILED, JunitCase, write_junit

AREAS = ("schema", "lifecycle", "limits", "security")
#: Tests named per skip cause on the console (a quick run skips dozens for one cause).
SKIPS_SHOWN_PER_CAUSE = 5
#: JUnit test-case properties the contract suite's reporting plugin writes (contract_tests/plugins/reporting.py).
AREA_PROPERTY, CATEGORY_PROPERTY = "area", "category"
#: Set on a check that met a network error (refused, reset, timed out, TLS): its one-line cause.
#: Such a check is not judged; it is counted apart from the failures and makes the run exit 2.
UNJUDGED_PROPERTY = "cannot_judge"
#: Set by the model test (contract_tests/test_lifecycle_model.py) for each wait on the target's clock it did not make, and why.
WAIT_NOT_MADE_PROPERTY = "wait_not_made"


@dataclass
class AreaCounts:
    """Tests of one area by result."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    #: Checks a network error kept from a verdict.
    unjudged: int = 0


@dataclass(frozen=True)
class ContractOutcome:
    """The verdict of a contract run.

    ``exit_code``: 0 every check held, 1 the target broke the contract, 2 the run could not judge
    (``reason`` says why in one line).
    """

    exit_code: int
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    areas: dict[str, AreaCounts] = field(default_factory=dict)
    failures: tuple[str, ...] = ()
    skip_reasons: tuple[str, ...] = ()
    #: ``<test id>: <one-line cause>`` of each check a network error kept from a verdict.
    unjudged: tuple[str, ...] = ()
    #: Waits on the target's clock the model test did not make (the depth, OTP_MAX_WAIT_S, its budget): a verdict says so.
    waits_not_made: tuple[str, ...] = ()
    reason: str | None = None
    seed: int | None = None
    #: True when the run stopped before the tests because the target answers nothing like the API.
    not_the_api: bool = False

    def summary(self) -> str:
        """One line: the counts, per area, and the verdict."""
        per_area = ", ".join(f"{name} {c.passed}/{c.passed + c.failed}" + (f" ({c.skipped} skipped)" if c.skipped else "") for name, c in self.areas.items())
        verdict = {0: "contract holds", 1: "contract broken"}.get(self.exit_code, f"cannot judge: {self.reason}")
        if self.not_the_api:
            return f"contract broken, no test run: {self.reason}"
        unjudged = f", {len(self.unjudged)} not judged (network errors)" if self.unjudged else ""
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped{unjudged} [{per_area}] -> {verdict}"

    def skip_counts(self) -> str:
        """The skips counted by cause in one line (``"12 quick depth (...); 1 the run's own lateness ..."``), or ``""``."""
        return "; ".join(f"{len(reasons)} {cause}" for cause, reasons in grouped_by_cause(self.skip_reasons).items())

    def skip_report(self, shown_per_cause: int = SKIPS_SHOWN_PER_CAUSE) -> list[str]:
        """The skips grouped by cause, for the console: a line per cause, then its tests and reasons.

        A skip is never a pass: each one is a check this run did not make, and why. At most
        ``shown_per_cause`` tests are named per cause; the JUnit file has every one.
        """
        lines: list[str] = []
        if self.waits_not_made:
            lines.append(f"not made by the model test, waits for the target's clock: {len(self.waits_not_made)}")
            lines += [f"  {reason}" for reason in self.waits_not_made]
        for cause, reasons in grouped_by_cause(self.skip_reasons).items():
            lines.append(f"skipped, {cause}: {len(reasons)}")
            lines += [f"  {untagged(reason)}" for reason in reasons[:shown_per_cause]]
            if len(reasons) > shown_per_cause:
                lines.append(f"  ... and {len(reasons) - shown_per_cause} more (every skip and its reason: the contract JUnit file)")
        return lines


def area_of_classname(classname: str) -> str:
    """``contract_tests.test_limits`` (or ``...test_limits.SomeClass``) -> ``limits``."""
    for part in classname.split("."):
        # test_<area>.py or test_<area>_<topic>.py (e.g. test_limits_sends.py is in limits)
        area = part.removeprefix("test_").split("_", 1)[0]
        if part.startswith("test_") and area in AREAS:
            return area
    return "other"


class JunitReading(NamedTuple):
    """What a contract run's JUnit XML says."""

    areas: dict[str, AreaCounts]
    failures: list[str]
    skips: list[str]
    unjudged: list[str]
    waits_not_made: list[str] = []


def read_junit(path: Path) -> JunitReading:
    """Per-area counts, failed test ids, skip reasons and checks not judged from a pytest JUnit XML file.

    A test's area is its ``area`` property (the reporting plugin's, from its clauses), else its module's.
    """
    areas: dict[str, AreaCounts] = {name: AreaCounts() for name in AREAS}
    failures: list[str] = []
    skips: list[str] = []
    unjudged: list[str] = []
    waits_not_made: list[str] = []
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        classname = case.get("classname", "")
        properties = {prop.get("name"): prop.get("value", "") for prop in case.iter("property")}
        waits_not_made += [prop.get("value", "") for prop in case.iter("property") if prop.get("name") == WAIT_NOT_MADE_PROPERTY]
        area = areas.setdefault(properties.get(AREA_PROPERTY) or area_of_classname(classname), AreaCounts())
        test_id = f"{classname}::{case.get('name', '')}"
        if UNJUDGED_PROPERTY in properties and (case.find("failure") is not None or case.find("error") is not None):
            area.unjudged += 1
            unjudged.append(f"{test_id}: {properties[UNJUDGED_PROPERTY]}")
        elif case.find("failure") is not None or case.find("error") is not None:
            area.failed += 1
            failures.append(test_id)
        elif case.find("skipped") is not None:
            area.skipped += 1
            skipped = case.find("skipped")
            skips.append(f"{test_id}: {skipped.get('message', '') if skipped is not None else ''}")
        else:
            area.passed += 1
    kept = {name: counts for name, counts in areas.items() if counts.passed or counts.failed or counts.skipped or counts.unjudged}
    return JunitReading(kept, failures, skips, unjudged, sorted(set(waits_not_made)))


def mark_unjudged_as_errors(path: Path) -> int:
    """Turn the ``failure`` of each check not judged (property ``cannot_judge``) into an ``error``; return how many.

    pytest writes every exception of a test's body as a failure; a CI test tab then counts a network
    error as a check the target failed. Allure files them as broken; JUnit's word for that is error.
    """
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError):
        return 0
    changed = 0
    for suite in tree.getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            failure = case.find("failure")
            if failure is None or not any(prop.get("name") == UNJUDGED_PROPERTY for prop in case.iter("property")):
                continue
            failure.tag = "error"
            suite.set("failures", str(int(suite.get("failures", "1")) - 1))
            suite.set("errors", str(int(suite.get("errors", "0")) + 1))
            changed += 1
    if changed:
        tree.write(path, encoding="utf-8", xml_declaration=True)
    return changed


def write_interrupted_junit(path: Path, message: str) -> None:
    """A JUnit XML file holding one error, ``message``: what an interrupted run leaves when pytest
    was stopped before it could write its own, so a pipeline reading the documented path still
    finds the run, and finds it not passed."""
    write_junit(path, "contract", [JunitCase("contract run interrupted", "contract_tests", ERROR, message)])


def write_stopped_junit(path: Path, check: str, *, broken: bool, message: str) -> None:
    """The JUnit XML of a run stopped before its tests: one case, ``check``, failed (the target is not the
    API: ``broken``) or errored (it could not be judged), its message the one-line reason."""
    write_junit(path, "contract", [JunitCase(check, "contract_tests.preflight", FAILED if broken else ERROR, message)])
