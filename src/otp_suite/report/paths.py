"""Where each output of a run goes under the reports folder: the one declaration, for ``contract``, ``load`` and ``gate`` alike.

Every file a run writes under ``OTP_REPORTS_DIR`` is a property here (or of :class:`LocustFiles`, the files
named after Locust's ``--csv`` prefix); the code asks these for a path and never spells one itself. The
README's outputs table lists :meth:`ReportPaths.outputs`, and a gate run writes nothing else
(``tests/report/test_report_paths.py``). Adding an output: one property, its README row.
Inside ``allure-results/``, ``allure-report/`` and ``logs/`` the names are Allure's and each writer's
(``*-result.json``, ``categories.json``, ``index.html``, one traceback file per network error).
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LocustFiles:
    """The files of one Locust run, named after its ``--csv`` prefix (``load/locust``).

    Locust writes the CSVs and the HTML; the suite's locustfile the corrected figures, the samples and
    the workers' census (it knows only the prefix Locust was given, so this needs nothing else).
    """

    prefix: Path

    def _named(self, ending: str) -> Path:
        return Path(f"{self.prefix}{ending}")

    @property
    def stats_csv(self) -> Path:
        """Locust's request statistics (``--csv``)."""
        return self._named("_stats.csv")

    @property
    def stats_history_csv(self) -> Path:
        """Locust's statistics second by second (``--csv-full-history``)."""
        return self._named("_stats_history.csv")

    @property
    def failures_csv(self) -> Path:
        """Locust's failures, by request and error."""
        return self._named("_failures.csv")

    @property
    def exceptions_csv(self) -> Path:
        """Locust's exceptions in the locustfile's code."""
        return self._named("_exceptions.csv")

    @property
    def html(self) -> Path:
        """Locust's HTML report (``--html``)."""
        return self._named(".html")

    @property
    def corrected_json(self) -> Path:
        """The latency corrected for coordinated omission, and the merged histograms (otp_suite.loadtest.corrected)."""
        return self._named("_corrected.json")

    @property
    def samples_csv(self) -> Path:
        """Every request's latency, measured and corrected (``--samples-csv`` only)."""
        return self._named("_samples.csv")

    @property
    def census_json(self) -> Path:
        """Which workers joined a distributed run and how many requests each sent (otp_suite.loadtest.census)."""
        return self._named("_workers.json")

    @property
    def log(self) -> Path:
        """The output of the judging Locust process (local or master)."""
        return self._named(".log")

    @property
    def worker_logs(self) -> Path:
        """The pattern of the local workers' logs (``*``: the worker's index); :meth:`worker_log` names one."""
        return self._named("-worker-*.log")

    def worker_log(self, index: int) -> Path:
        """The output of local worker ``index``."""
        return self.worker_logs.with_name(self.worker_logs.name.replace("*", str(index)))


@dataclass(frozen=True)
class ReportPaths:
    """The outputs of one run under ``root`` (``OTP_REPORTS_DIR``, default ``reports/``).

    ``history_dir`` (``OTP_REPORT_HISTORY``) moves what a run keeps for the next ones; None: ``history/``.
    """

    root: Path
    history_dir: Path | None = None

    @property
    def allure_results(self) -> Path:
        """Raw Allure results of every check (``allure-results/``)."""
        return self.root / "allure-results"

    @property
    def allure_report(self) -> Path:
        """The single-file HTML report, ``allure-report/index.html``, with Allure's own summaries of it (``allure-report/``)."""
        return self.root / "allure-report"

    @property
    def allure_config(self) -> Path:
        """The ``allurerc.json`` the report was generated with (kept: it documents how)."""
        return self.root / "allurerc.json"

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
        """The load run's folder (``load/``)."""
        return self.root / "load"

    @property
    def load_summary(self) -> Path:
        """Every entry, every SLO and how the run was made (``load/summary.json``); a later run's baseline."""
        return self.load_dir / "summary.json"

    @property
    def latency_plot(self) -> Path:
        """Latency and throughput over the run, from Locust's history (``load/latency.png``)."""
        return self.load_dir / "latency.png"

    @property
    def corrected_latency_plot(self) -> Path:
        """Locust's latency against the corrected one (``load/corrected-latency.png``)."""
        return self.load_dir / "corrected-latency.png"

    @property
    def locust(self) -> LocustFiles:
        """The files of the Locust run, named after its ``--csv`` prefix ``load/locust``."""
        return LocustFiles(self.load_dir / "locust")

    @property
    def logs(self) -> Path:
        """Tracebacks and other details a console line points to (``logs/``)."""
        return self.root / "logs"

    @property
    def history(self) -> Path:
        """The folder of what runs keep for the next ones (``history/``, or OTP_REPORT_HISTORY); cache it in CI."""
        return self.history_dir or self.root / "history"

    @property
    def report_trend(self) -> Path:
        """The report's trend history, appended by each report (``history/history.jsonl``)."""
        return self.history / "history.jsonl"

    @property
    def number_ledger(self) -> Path:
        """The ledger of the test numbers runs used (``history/test-numbers.jsonl``); cache it with the history."""
        return self.history / "test-numbers.jsonl"

    def clear_gate_outputs(self) -> None:
        """Remove what only a gate writes (the single-file report, the gate's JUnit): a later contract or
        load run would otherwise leave an older gate's report, with its failures, beside its fresh results."""
        shutil.rmtree(self.allure_report, ignore_errors=True)
        with contextlib.suppress(OSError):  # a folder that cannot be written is named by the run's first write
            self.gate_junit.unlink(missing_ok=True)

    def clear_load_outputs(self) -> None:
        """Remove a previous load run's outputs (not its JUnit), so nothing stale is ever read as this run's."""
        self.load_dir.mkdir(parents=True, exist_ok=True)
        for stale in [*self.load_dir.glob(f"{self.locust.prefix.name}*"), self.load_summary, self.latency_plot, self.corrected_latency_plot]:
            if stale.is_file():
                stale.unlink()

    def outputs(self) -> dict[str, Path]:
        """Every output declared here, by its place under ``root`` as the README's outputs table writes it.

        ``load/summary.json``; a folder whose files others name (Allure, a writer of tracebacks) ends in
        ``/``; ``*`` stands for a number. Folders that only hold declared files are left out, and so is
        :attr:`junit_files` (a list of declared files). The history as if OTP_REPORT_HISTORY were unset.
        """
        default = ReportPaths(self.root)
        declared = [*_declared(default), *_declared(default.locust)]
        files = [path for path in declared if not any(other != path and other.is_relative_to(path) for other in declared)]
        return {path.relative_to(self.root).as_posix() + ("" if path.suffix else "/"): path for path in files}


def _declared(paths: ReportPaths | LocustFiles) -> list[Path]:
    """The paths ``paths``' properties declare (a property's value that is a :class:`Path`)."""
    values = (getattr(paths, name) for name, member in vars(type(paths)).items() if isinstance(member, property))
    return [value for value in values if isinstance(value, Path)]
