"""Where each output of a run goes under the reports folder: one place, for ``contract`` and ``gate`` alike.

The README, ``--help`` and the CI templates name these paths; tests hold them to it.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ReportPaths:
    """The outputs of one run under ``root`` (``OTP_REPORTS_DIR``, default ``reports/``)."""

    root: Path

    @property
    def allure_results(self) -> Path:
        """Raw Allure results of every check (``allure-results/``)."""
        return self.root / "allure-results"

    @property
    def allure_report(self) -> Path:
        """The single-file HTML report (``allure-report/index.html``)."""
        return self.root / "allure-report"

    @property
    def contract_junit(self) -> Path:
        """JUnit XML of the contract suite, one test case per check (``contract/junit.xml``)."""
        return self.root / "contract" / "junit.xml"

    @property
    def load_junit(self) -> Path:
        """JUnit XML of the load run, one test case per SLO (``load/junit.xml``)."""
        return self.load_dir / "junit.xml"

    @property
    def gate_junit(self) -> Path:
        """JUnit XML of the gate's own checks: the preflight, steps not run, the report (``gate/junit.xml``)."""
        return self.root / "gate" / "junit.xml"

    @property
    def junit_files(self) -> tuple[Path, ...]:
        """Every JUnit XML file a gate writes; CI templates publish them all."""
        return (self.gate_junit, self.contract_junit, self.load_junit)

    @property
    def load_dir(self) -> Path:
        """The load run's CSVs, HTML and ``summary.json`` (``load/``)."""
        return self.root / "load"

    @property
    def logs(self) -> Path:
        """Tracebacks and other details a console line points to (``logs/``)."""
        return self.root / "logs"

    def clear_gate_outputs(self) -> None:
        """Remove what only a gate writes (the single-file report, the gate's JUnit): a later contract or
        load run would otherwise leave an older gate's report, with its failures, beside its fresh results."""
        shutil.rmtree(self.allure_report, ignore_errors=True)
        with contextlib.suppress(OSError):  # a folder that cannot be written is named by the run's first write
            self.gate_junit.unlink(missing_ok=True)

    @property
    def history(self) -> Path:
        """Default folder of the report's history (``history/``); cache it in CI."""
        return self.root / "history"

    def number_ledger(self, history: Path | None = None) -> Path:
        """The ledger of the test numbers runs used (``history/test-numbers.jsonl``, or in ``history``, OTP_REPORT_HISTORY); cache it with the history."""
        return (history or self.history) / "test-numbers.jsonl"
