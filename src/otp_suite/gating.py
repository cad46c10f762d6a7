"""The deployment gate's steps as a library: preflight, contract suite, load smoke with SLOs, report.

``run_gate`` is what ``otp-suite gate`` runs; it needs no command line, so a test or another tool
can call it with a :class:`SuiteConfig` and read the :class:`GateRun` it returns. Every output
goes where :class:`otp_suite.report.paths.ReportPaths` says.

Exit codes: 0 when every check and SLO holds, 1 when the target breaks the contract or an SLO,
2 when the run could not judge (unreachable target, interrupted, no report).
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from otp_suite.config import ConfigError, SuiteConfig
from otp_suite.exit_codes import ExitCode
from otp_suite.interruption import signal_name_of, signals_held
from otp_suite.preflight import PreflightFailed, TargetChecked, check_target
from otp_suite.report.build import ReportError, build_report, scrub_reports
from otp_suite.report.junit import ERROR, PASSED, SKIPPED, JunitCase, write_junit
from otp_suite.report.labels import AREA_GATE, AREA_PREFLIGHT
from otp_suite.report.paths import ReportPaths
from otp_suite.report.results_writer import BROKEN, write_result
from otp_suite.report.results_writer import PASSED as PASSED_RESULT
from otp_suite.report.summary_table import StepLine, render_summary
from otp_suite.report.totals import count_results
from otp_suite.target import resolved_target

if TYPE_CHECKING:
    from otp_suite.loadtest.slo import SloResult

PREFLIGHT_CHECK = "target reachable"

Echo = Callable[[str], None]


class GateCannotStart(Exception):
    """The gate cannot begin (e.g. its results folder is not writable); ``str()`` is the one-line reason."""


@dataclass
class GateRun:
    """What the gate learnt so far; enough to write the summary even when a step breaks off."""

    config: SuiteConfig
    paths: ReportPaths
    target: SuiteConfig | None = None
    steps: list[StepLine] = field(default_factory=list)
    slo_lines: list[tuple[str, str]] = field(default_factory=list)
    secrets: list[str | None] = field(default_factory=list)
    exit_code: int | None = None
    report_path: Path | None = None

    @property
    def allure_dir(self) -> Path:
        """The results folder every step writes into."""
        return self.paths.allure_results

    def record(self, name: str, exit_code: int | None, note: str = "") -> None:
        """Remember a step's outcome for the verdict and the summary."""
        self.steps.append(StepLine(name, exit_code, note))

    def cannot_judge_target(self, step: str, error: Exception, *, started_ms: int | None = None) -> None:
        """The target could not be judged at ``step`` (starting it, the preflight): a broken preflight result, exit 2."""
        write_result(self.allure_dir, name=PREFLIGHT_CHECK, status=BROKEN, area=AREA_PREFLIGHT, message=f"cannot judge: {error}", started_ms=started_ms)
        self.record(step, ExitCode.CANNOT_JUDGE, str(error))

    def verdict(self) -> int:
        """1 if any step found a failure, else 2 if any could not judge or did not run, else 0."""
        codes = [step.exit_code for step in self.steps]
        if ExitCode.BROKEN in codes:
            return ExitCode.BROKEN
        if not codes or any(code != ExitCode.HOLDS for code in codes):
            return ExitCode.CANNOT_JUDGE
        return ExitCode.HOLDS

    def closing_diagnosis(self) -> str:
        """One line for a pipeline's log: which step decided the verdict, and why."""
        code = self.exit_code if self.exit_code is not None else self.verdict()
        step = next((s for s in self.steps if s.exit_code == code and s.note), None)
        reason = f"{step.name}: {step.note}" if step else "see the summary above"
        return f"otp-suite: cannot judge: {reason}" if code == ExitCode.CANNOT_JUDGE else f"otp-suite: failed: {reason}"


def run_gate(config: SuiteConfig, *, say: Echo, warn: Echo) -> GateRun:
    """Gate ``config``'s target (or the embedded reference service): contract, load smoke, report.

    What the gate runs is ``config``'s: OTP_GATE_LOAD, OTP_GATE_SMOKE_USERS, OTP_GATE_SMOKE_RUN_TIME,
    OTP_ARRIVAL_RATE, OTP_GATE_REPORT, OTP_REPORT_HISTORY (profile < variables < options).

    ``say`` receives the progress and the closing table, ``warn`` the lines meant for stderr.
    Never raises for a broken target; a ``KeyboardInterrupt`` (Ctrl-C, or SIGTERM under
    :func:`otp_suite.interruption.signals_interrupt`) is turned into an "interrupted" result and the
    report is still built. Raises :class:`GateCannotStart` when the results folder cannot be written.
    """
    paths = ReportPaths(Path(config.reports_dir), config.report_history)
    try:
        _fresh_dir(paths.allure_results)
        # No older report or JUnit file may stay beside this run's results, whichever steps run.
        paths.clear_gate_outputs()
        for stale in paths.junit_files:
            stale.unlink(missing_ok=True)
    except OSError as error:
        raise GateCannotStart(f"cannot write the results folder {paths.allure_results} ({error.strerror}); set OTP_REPORTS_DIR to a writable folder") from None
    run = GateRun(config=config, paths=paths, secrets=[config.jwt_secret, config.jwt_token])
    indented: Echo = lambda line: say(f"    {line}")

    say(f"otp-suite gate: target {config.base_url or 'embedded reference service (OTP_BASE_URL unset)'}")
    try:
        with _target(config) as target:
            run.target = target
            run.secrets += [target.jwt_secret, target.jwt_token]
            _run_steps(run, target, say=say, echo=indented)
    except KeyboardInterrupt as interruption:
        _mark_interrupted(run, interruption, warn)
    except _CannotStart as error:
        run.cannot_judge_target("target", error)
    run.exit_code = _finish(run, say=say, warn=warn)
    return run


class _CannotStart(Exception):
    """The target could not be started or reached; ``str()`` is the one-line reason."""


@contextlib.contextmanager
def _target(config: SuiteConfig) -> Iterator[SuiteConfig]:
    try:
        manager = resolved_target(config)
        target = manager.__enter__()
    except (OSError, RuntimeError, TimeoutError) as error:
        raise _CannotStart(f"the embedded reference service did not start ({error})") from None
    try:
        yield target
    finally:
        manager.__exit__(None, None, None)


def _run_steps(run: GateRun, target: SuiteConfig, *, say: Echo, echo: Echo) -> None:
    started = int(time.time() * 1000)
    say(f"[1/4] preflight: is {target.base_url} reachable, and does it take the suite's token?")
    try:
        # The one preflight of the run: the contract and load steps are handed it, not repeating it.
        checked = check_target(target)
    except PreflightFailed as error:
        echo(str(error))
        run.cannot_judge_target("preflight", error, started_ms=started)
        return
    # Its own time span: the check took until now, not until the contract run ends.
    preflight_ms = (started, int(time.time() * 1000))
    run.record("preflight", ExitCode.HOLDS)

    say("[2/4] contract suite")
    contract_code, note, not_the_api = _contract_step(target, run.paths, echo, checked, load_smoke_follows=target.gate_load)
    run.record("contract", contract_code, note)
    # Written after the contract run, which starts from an empty results folder.
    write_result(run.allure_dir, name=PREFLIGHT_CHECK, status=PASSED_RESULT, area=AREA_PREFLIGHT, started_ms=preflight_ms[0], stopped_ms=preflight_ms[1])
    echo(f"contract: {note}")

    if not target.gate_load:
        say("[3/4] load smoke: skipped (--no-load)")
        return
    if contract_code == ExitCode.CANNOT_JUDGE:
        say("[3/4] load smoke: not run, the contract step could not judge the target")
        run.record("load smoke", None, "the contract step could not judge the target")
        return
    if not_the_api:
        # Load on a target that answers nothing like the API measures nothing.
        say("[3/4] load smoke: not run, the target does not answer like the OTP API")
        run.record("load smoke", None, "the target does not answer like the OTP API")
        return
    size = f"{target.arrival_rate:g} flows/s" if target.arrival_rate else f"{target.gate_smoke_users} users"
    say(f"[3/4] load smoke: {size} for {target.gate_smoke_run_time:g} s, with SLOs")
    load_code, note, run.slo_lines = _load_step(target, run.paths, echo, checked)
    run.record("load smoke", load_code, note)
    echo(f"load smoke: {note}")


def _contract_step(target: SuiteConfig, paths: ReportPaths, echo: Echo, checked: TargetChecked, *, load_smoke_follows: bool) -> tuple[int, str, bool]:
    """(exit code, note for the summary, whether the target answers nothing like the API); ``load_smoke_follows``: see run_contract."""
    try:
        from otp_suite.contract.runner import run_contract
    except ImportError as error:
        return ExitCode.CANNOT_JUDGE, f"the contract runner is not installed ({error.name})", False
    outcome = run_contract(target, allure_dir=paths.allure_results, junit_path=paths.contract_junit, echo=echo, checked=checked, load_smoke_follows=load_smoke_follows)
    if outcome.not_the_api:
        return outcome.exit_code, f"no test run: {outcome.reason}", True
    if outcome.exit_code == ExitCode.CANNOT_JUDGE and not (outcome.passed or outcome.failed or outcome.skipped):
        return outcome.exit_code, outcome.reason or "the contract suite did not run", False
    note = f"{target.contract_depth} depth: {outcome.passed} passed, {outcome.failed} failed, {outcome.skipped} skipped"
    if outcome.skipped:
        note += f" ({outcome.skip_counts()})"
    if target.contract_select:
        note += f" (only the tests matching OTP_CONTRACT_SELECT={target.contract_select!r})"
    if getattr(outcome, "reason", None):
        note += f"; {outcome.reason}"
    return outcome.exit_code, note, False


def _load_step(target: SuiteConfig, paths: ReportPaths, echo: Echo, checked: TargetChecked) -> tuple[int, str, list[tuple[str, str]]]:
    try:
        from otp_suite.loadtest.options import gate_smoke_options
        from otp_suite.loadtest.runner import run_load
    except ImportError as error:
        return ExitCode.CANNOT_JUDGE, f"the load runner is not installed ({error.name})", []
    try:
        options = gate_smoke_options(target)
    except ConfigError as error:
        return ExitCode.CANNOT_JUDGE, str(error), []
    outcome = run_load(target, options, reports_dir=paths.root, allure_dir=paths.allure_results, echo=echo, checked=checked)
    slo_lines = [(_slo_line(result), _SLO_WORDS.get(result.status, result.status)) for result in outcome.slos]
    return outcome.exit_code, outcome.reason or ("SLOs hold" if outcome.exit_code == ExitCode.HOLDS else "SLO breached"), slo_lines


#: How the closing table words an SLO's status: an SLO without samples is never shown as held.
_SLO_WORDS = {"pass": "pass", "fail": "breach", "not judged": "NOT JUDGED", "not applicable": "n/a"}


def _slo_line(result: SloResult) -> str:
    measured = "not measured" if result.value is None else f"{result.value:.4g}"
    return f"{result.name} {result.comparison} {result.threshold:g}: {measured}"


def _finish(run: GateRun, *, say: Echo, warn: Echo) -> int:
    exit_code = run.verdict()
    history_file = None
    problem = None
    say("[4/4] report")
    if run.config.gate_report:
        try:
            outcome = build_report(run.allure_dir, run.paths.allure_report, config=run.target or run.config, history_dir=run.paths.history, secrets=run.secrets, target_label=_target_label(run))
            run.report_path, history_file = outcome.html_path, outcome.history_file
        except ReportError as error:
            problem = str(error)
            # Without the report a pass cannot be shown to anyone; a failure stays a failure.
            exit_code = ExitCode.BROKEN if exit_code == ExitCode.BROKEN else ExitCode.CANNOT_JUDGE
        except KeyboardInterrupt as interruption:  # the generator is stopped by subprocess.run
            if not any(step.name == "interrupted" for step in run.steps):
                _mark_interrupted(run, interruption, warn)
            problem = f"interrupted by {signal_name_of(interruption)} while it was being built"
            exit_code = ExitCode.BROKEN if exit_code == ExitCode.BROKEN else ExitCode.CANNOT_JUDGE
    else:
        problem = "--no-report"
    # The last steps are short and must not be cut: a half-done scrub would leave a token behind.
    with signals_held(deliver=False):
        write_junit(run.paths.gate_junit, "gate", gate_junit_cases(run, problem))
        try:
            scrub_reports(run.paths.root, run.secrets)
        except ReportError as error:
            problem, exit_code = str(error), (ExitCode.BROKEN if exit_code == ExitCode.BROKEN else ExitCode.CANNOT_JUDGE)
        say("")
        say(
            render_summary(
                exit_code=exit_code,
                steps=run.steps,
                totals=count_results(run.allure_dir),
                slo_lines=run.slo_lines,
                report_path=run.report_path,
                history_file=history_file,
                report_problem=problem,
            )
        )
    return exit_code


#: The gate's JUnit cases (``reports/gate/junit.xml``); the checks of the contract and the SLOs have files of their own.
GATE_CASES = "otp_suite.gate"


def gate_junit_cases(run: GateRun, report_problem: str | None) -> list[JunitCase]:
    """What only the gate knows, as JUnit cases: the preflight, the steps it did not run and why, the report.

    The contract's checks and the SLOs are in their own files, so no failure is counted twice. Which
    steps were asked for is ``run.config``'s (OTP_GATE_LOAD, OTP_GATE_REPORT).
    """
    steps = {step.name: step for step in run.steps}
    cases: list[JunitCase] = []
    preflight = steps.get("target") or steps.get("preflight")
    if preflight is not None:
        cannot = preflight.exit_code != ExitCode.HOLDS
        cases.append(JunitCase(f"preflight: {PREFLIGHT_CHECK}", GATE_CASES, ERROR if cannot else PASSED, f"cannot judge: {preflight.note}" if cannot else ""))
    if "contract" not in steps and preflight is not None and preflight.exit_code != ExitCode.HOLDS:
        cases.append(JunitCase("contract suite", GATE_CASES, SKIPPED, "not run: the preflight could not judge the target"))
    load = steps.get("load smoke")
    if not run.config.gate_load:
        cases.append(JunitCase("load smoke", GATE_CASES, SKIPPED, "not run: --no-load (OTP_GATE_LOAD=0)"))
    elif load is not None and load.exit_code is None:
        cases.append(JunitCase("load smoke", GATE_CASES, SKIPPED, f"not run: {load.note}"))
    elif load is None and "contract" in steps and "interrupted" not in steps:
        cases.append(JunitCase("load smoke", GATE_CASES, SKIPPED, "not run"))
    elif load is not None and load.exit_code == ExitCode.CANNOT_JUDGE and run.slo_lines:
        # SLOs without samples are skipped cases of the load's file; the verdict they cause is named here.
        cases.append(JunitCase("load smoke judged every SLO", GATE_CASES, ERROR, f"cannot judge: {load.note}"))
    if "interrupted" in steps:
        cases.append(JunitCase("gate run interrupted", GATE_CASES, ERROR, f"interrupted {steps['interrupted'].note}"))
    if not run.config.gate_report:
        cases.append(JunitCase("single-file report built", GATE_CASES, SKIPPED, "not built: --no-report (OTP_GATE_REPORT=0)"))
    else:
        cases.append(JunitCase("single-file report built", GATE_CASES, ERROR if report_problem else PASSED, f"not built: {report_problem}" if report_problem else ""))
    return cases


def _mark_interrupted(run: GateRun, interruption: BaseException, warn: Echo) -> None:
    """Say on the terminal, in the results and in the summary that the run was cut short."""
    by_signal = signal_name_of(interruption)
    with signals_held(deliver=False):
        warn(f"otp-suite gate: interrupted by {by_signal}; the steps' processes are stopped, the results so far kept")
        message = f"interrupted by {by_signal}: the gate run stopped before it finished; its results are partial"
        write_result(run.allure_dir, name="gate run interrupted", status=BROKEN, area=AREA_GATE, message=message)
        run.record("interrupted", ExitCode.CANNOT_JUDGE, f"by {by_signal}; results so far kept")


def _target_label(run: GateRun) -> str | None:
    if not run.config.is_embedded:
        return None
    where = f" at {run.target.base_url}" if run.target else ""
    return f"embedded reference service{where} (OTP_BASE_URL unset)"


def _fresh_dir(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
