"""JUnit XML for a CI server's test tab, from the suite's own steps (the contract suite's is pytest's).

GitLab (``artifacts:reports:junit``), Jenkins (``junit``) and GitHub test reporters read one
``testsuite`` of ``testcase`` elements: a ``failure`` is a check the target failed, an ``error`` a
check that could not be judged (the cause in its message), a ``skipped`` one not run (the reason).
The gate writes one such file for its own steps, the load run one case per SLO, and a contract run
that stops before its tests one case naming why (:mod:`otp_suite.report.paths` names the files).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"
_ELEMENT = {FAILED: "failure", ERROR: "error", SKIPPED: "skipped"}


@dataclass(frozen=True)
class JunitCase:
    """One ``testcase``: its name, its group (``classname``), its outcome and the message that says why."""

    name: str
    classname: str
    outcome: str = PASSED
    message: str = ""
    time_s: float = 0.0


def write_junit(path: Path, suite: str, cases: Iterable[JunitCase]) -> Path:
    """Write ``cases`` as one ``testsuite`` named ``suite`` to ``path`` (replacing it); return the path."""
    cases = list(cases)
    counts = {outcome: sum(case.outcome == outcome for case in cases) for outcome in (FAILED, ERROR, SKIPPED)}
    element = ET.Element(
        "testsuite", name=suite, tests=str(len(cases)), failures=str(counts[FAILED]), errors=str(counts[ERROR]), skipped=str(counts[SKIPPED]),
        time=f"{sum(case.time_s for case in cases):.3f}",
    )  # fmt: skip
    for case in cases:
        testcase = ET.SubElement(element, "testcase", classname=case.classname, name=case.name, time=f"{case.time_s:.3f}")
        if case.outcome in _ELEMENT:
            ET.SubElement(testcase, _ELEMENT[case.outcome], message=case.message).text = case.message
    root = ET.Element("testsuites")
    root.append(element)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def add_junit_case(path: Path, case: JunitCase) -> Path:
    """Add ``case`` to the first ``testsuite`` of the JUnit XML at ``path`` (written anew if it is missing or unreadable)."""
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError):
        return write_junit(path, "contract", [case])
    root = tree.getroot()
    element = root if root.tag == "testsuite" else root.find("testsuite")
    if element is None:
        return write_junit(path, "contract", [case])
    testcase = ET.SubElement(element, "testcase", classname=case.classname, name=case.name, time=f"{case.time_s:.3f}")
    if case.outcome in _ELEMENT:
        ET.SubElement(testcase, _ELEMENT[case.outcome], message=case.message).text = case.message
        counter = {FAILED: "failures", ERROR: "errors", SKIPPED: "skipped"}[case.outcome]
        element.set(counter, str(int(element.get(counter, "0")) + 1))
    element.set("tests", str(int(element.get("tests", "0")) + 1))
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path
