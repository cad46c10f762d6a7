"""Whole gate runs, as a pipeline runs them: ``otp-suite gate`` as a child process. Their fixtures
are in gate/conftest.py."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from otp_suite.report.paths import ReportPaths

GATE_TIMEOUT_S = 600


@dataclass(frozen=True)
class GateRun:
    """One ``otp-suite gate`` run as a child process: its exit code, output and reports folder."""

    exit_code: int
    output: str
    reports_dir: Path

    @property
    def html_path(self) -> Path:
        """The single-file report, where the gate promises it (ReportPaths)."""
        return ReportPaths(self.reports_dir).allure_report / "index.html"

    @property
    def results_dir(self) -> Path:
        """The raw Allure results."""
        return ReportPaths(self.reports_dir).allure_results


def run_gate(reports_dir: Path, env: dict[str, str] | None = None, *args: str) -> GateRun:
    """Run ``otp-suite gate`` (the installed console script) with only ``env`` configured."""
    command = [str(Path(sys.executable).with_name("otp-suite")), "gate", *args]
    child_env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(reports_dir.parent), "OTP_REPORTS_DIR": str(reports_dir), **(env or {})}
    finished = subprocess.run(command, cwd=reports_dir.parent, env=child_env, capture_output=True, text=True, timeout=GATE_TIMEOUT_S)
    return GateRun(finished.returncode, finished.stdout + finished.stderr, reports_dir)
