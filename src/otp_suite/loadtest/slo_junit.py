"""The load run's verdict as JUnit XML (``reports/load/junit.xml``): one test case per SLO.

So a CI test tab counts what the gate counts: a breached SLO is a failed case naming the measured
value and the limit, an SLO that was not judged (no samples) or does not apply (its flows are not
played) is a skipped case giving the reason, and a run that could not be judged at all (the target
refused or unreachable, Locust failed, interrupted) is one errored case naming the cause. A
regression against the baseline is one more case.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from otp_suite.exit_codes import ExitCode
from otp_suite.loadtest.slo import FAIL, NOT_APPLICABLE, NOT_JUDGED, SloResult
from otp_suite.report.junit import ERROR, FAILED, PASSED, SKIPPED, JunitCase, write_junit

#: The ``classname`` of the load run's cases.
SLO_CASES = "otp_suite.load.slo"
#: The name of the case of a run that could not be judged at all.
LOAD_RUN_CASE = "load run"


def slo_case_name(result: SloResult) -> str:
    """``verify.p95_ms <= 300``: the SLO and its limit, the same name in every run."""
    return f"{result.name} {result.comparison} {result.threshold:g}"


def slo_case(result: SloResult) -> JunitCase:
    """The test case of one SLO's verdict."""
    measured = "not measured" if result.value is None else f"{result.value:g}"
    if result.status == FAIL:
        return JunitCase(slo_case_name(result), SLO_CASES, FAILED, f"SLO breached: {result.name} measured {measured}, limit {result.comparison} {result.threshold:g}")
    if result.status == NOT_JUDGED:
        return JunitCase(slo_case_name(result), SLO_CASES, SKIPPED, f"not judged: {result.note or 'no samples in the run'}")
    if result.status == NOT_APPLICABLE:
        return JunitCase(slo_case_name(result), SLO_CASES, SKIPPED, f"not applicable: {result.note or 'its flows are not played'}")
    return JunitCase(slo_case_name(result), SLO_CASES, PASSED)


def write_load_junit(path: Path, exit_code: int, slos: Sequence[SloResult], reason: str, *, regression: str | None = None) -> Path:
    """Write the load run's JUnit XML: a case per SLO, or one errored case when no SLO could be judged."""
    cases = [slo_case(result) for result in slos]
    if not cases and exit_code != ExitCode.HOLDS:
        cases.append(JunitCase(LOAD_RUN_CASE, SLO_CASES, ERROR, f"cannot judge: {reason}"))
    if regression is not None:
        cases.append(JunitCase("no regression against the baseline", SLO_CASES, FAILED if regression else PASSED, regression))
    return write_junit(path, "load", cases)
