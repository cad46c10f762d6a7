"""The gate's closing summary on the terminal: verdict, checks by area, SLOs, where the report is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from otp_suite.report.totals import Totals

VERDICTS = {0: "PASSED", 1: "FAILED", 2: "COULD NOT JUDGE"}


@dataclass(frozen=True)
class StepLine:
    """One gate step's outcome as shown in the summary."""

    name: str
    exit_code: int | None  # None: the step did not run
    note: str = ""


def render_summary(
    *,
    exit_code: int,
    steps: Sequence[StepLine],
    totals: Totals,
    slo_lines: Sequence[tuple[str, str]] = (),
    report_path: Path | None,
    history_file: Path | None,
    report_problem: str | None = None,
) -> str:
    """The closing table as text (no colour codes, so CI logs stay readable)."""
    lines = [f"otp-suite gate: {VERDICTS.get(exit_code, '?')} (exit {exit_code})", ""]
    lines.append("  steps")
    for step in steps:
        state = "not run" if step.exit_code is None else VERDICTS.get(step.exit_code, str(step.exit_code)).lower()
        lines.append(f"    {step.name:<16} {state:<16} {step.note}".rstrip())
    lines += ["", f"  {'checks by area':<18} {'passed':>7} {'failed':>7} {'broken':>7} {'skipped':>8}"]
    for area, counts in totals.by_area.items():
        lines.append(f"    {area:<16} {counts.get('passed', 0):>7} {counts.get('failed', 0):>7} {counts.get('broken', 0):>7} {counts.get('skipped', 0):>8}")
    lines.append(f"    {'total':<16} {totals.count('passed'):>7} {totals.count('failed'):>7} {totals.count('broken'):>7} {totals.count('skipped'):>8}")
    if slo_lines:
        lines += ["", "  SLOs"]
        lines += [f"    {status.upper():<10} {name}" for name, status in slo_lines]
    lines.append("")
    if report_path is not None:
        lines.append(f"  report   {report_path}  (open {report_path.resolve().as_uri()})")
    if report_problem:
        lines.append(f"  report   not built: {report_problem}")
    if history_file is not None:
        lines.append(f"  history  {history_file}  (cache this folder in CI for trends)")
    return "\n".join(lines)
