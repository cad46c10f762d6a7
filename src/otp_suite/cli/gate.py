"""``otp-suite gate``: may this build go to stage? Contract suite, load smoke with SLOs, one report.

Exit 0 when every check and SLO holds, 1 when the target breaks the contract or an SLO, 2 when
the run could not judge (bad configuration, unreachable target, interrupted, no report).
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from otp_suite.cli.errors import EXIT_CANNOT_JUDGE, EXIT_FAILED, EXIT_PASSED, cannot_judge
from otp_suite.cli.options import env_option, setting_option
from otp_suite.config import ConfigError, SuiteConfig, load_config
from otp_suite.interruption import signal_name_of, signals_held, signals_interrupt
from otp_suite.preflight import TargetUnreachable, check_reachable
from otp_suite.report.build import ReportError, build_report, scrub_reports
from otp_suite.report.labels import AREA_GATE, AREA_PREFLIGHT
from otp_suite.report.results_writer import write_result
from otp_suite.report.summary_table import StepLine, render_summary
from otp_suite.report.totals import count_results
from otp_suite.target import resolved_target

if TYPE_CHECKING:
    from otp_suite.loadtest.slo import SloResult

Echo = Callable[[str], None]


@dataclass
class GateRun:
    """What the gate learnt so far; enough to write the summary even when a step breaks off."""

    config: SuiteConfig
    allure_dir: Path
    target: SuiteConfig | None = None
    steps: list[StepLine] = field(default_factory=list)
    slo_lines: list[tuple[str, str]] = field(default_factory=list)
    secrets: list[str | None] = field(default_factory=list)

    def record(self, name: str, exit_code: int | None, note: str = "") -> None:
        """Remember a step's outcome for the verdict and the summary."""
        self.steps.append(StepLine(name, exit_code, note))

    def verdict(self) -> int:
        """1 if any step found a failure, else 2 if any could not judge or did not run, else 0."""
        codes = [step.exit_code for step in self.steps]
        if EXIT_FAILED in codes:
            return EXIT_FAILED
        if not codes or any(code != EXIT_PASSED for code in codes):
            return EXIT_CANNOT_JUDGE
        return EXIT_PASSED


@click.command()
@env_option()
@setting_option("base_url", "--base-url", help="The environment to gate, e.g. https://stage.example.com. Unset: the embedded reference service.")
@setting_option("reports_dir", "--reports-dir", type=click.Path(file_okay=False, path_type=Path), help="Where results, the report and the load summary go.")
@setting_option("report_history", "--history-dir", dest="history_dir", type=click.Path(file_okay=False, path_type=Path))
@setting_option("gate_load", "--load/--no-load", dest="with_load")
@setting_option("gate_smoke_users", "--smoke-users", dest="smoke_users", type=click.IntRange(1, 200))
@setting_option("gate_smoke_run_time", "--smoke-run-time", dest="smoke_run_time", type=click.FloatRange(1, 600))
@setting_option("arrival_rate", "--arrival-rate", type=click.FloatRange(min=0), help="Run the load smoke in the open model at this many flows per second; its latency SLOs then judge percentiles corrected for coordinated omission (0: closed model of --smoke-users).")
@setting_option("gate_report", "--report/--no-report", dest="with_report")
@setting_option("contract_depth", "--depth", dest="depth", type=click.Choice(["quick", "full"]))
def gate(env_name: str | None, base_url: str | None, reports_dir: Path | None, history_dir: Path | None, with_load: bool | None, smoke_users: int | None, smoke_run_time: float | None, arrival_rate: float | None, with_report: bool | None, depth: str | None) -> None:
    """Gate a deployment: contract suite, then a short load smoke with SLOs, then one report.

    Runs against OTP_BASE_URL, or the embedded reference service when it is unset.
    Exit 0: all checks and SLOs hold; 1: the target fails the contract or an SLO; 2: could not judge,
    also when interrupted (Ctrl-C, SIGTERM; 1 if a step had already found a failure): the steps'
    processes are stopped, the results so far are marked interrupted and the report is built from them.
    """
    try:
        config = load_config(
            env_name=env_name, base_url=base_url, reports_dir=reports_dir, report_history=history_dir, gate_load=with_load,
            gate_smoke_users=smoke_users, gate_smoke_run_time=smoke_run_time, arrival_rate=arrival_rate, gate_report=with_report, contract_depth=depth,
        )  # fmt: skip
    except ConfigError as error:
        cannot_judge(str(error))
    reports = Path(config.reports_dir)
    history = config.report_history or reports / "history"
    with_load, with_report = config.gate_load, config.gate_report
    smoke_users, smoke_run_time, arrival_rate = config.gate_smoke_users, config.gate_smoke_run_time, config.arrival_rate
    allure_dir = reports / "allure-results"
    try:
        _fresh_dir(allure_dir)
    except OSError as error:
        cannot_judge(f"cannot write the results folder {allure_dir} ({error.strerror}); set OTP_REPORTS_DIR to a writable folder")
    run = GateRun(config=config, allure_dir=allure_dir, secrets=[config.jwt_secret, config.jwt_token])
    echo: Echo = lambda line: click.echo(f"    {line}")

    click.echo(f"otp-suite gate: target {config.base_url or 'embedded reference service (OTP_BASE_URL unset)'}")
    # Ctrl-C or SIGTERM: the steps' children are stopped on the way out, the results so far are
    # marked interrupted, and the report is still built from them (exit 2: could not judge).
    with signals_interrupt():
        try:
            with _target(config) as target:
                run.target = target
                run.secrets += [target.jwt_secret, target.jwt_token]
                _run_steps(run, target, reports, with_load=with_load, smoke_users=smoke_users, smoke_run_time=smoke_run_time, arrival_rate=arrival_rate, echo=echo)
        except KeyboardInterrupt as interruption:
            _mark_interrupted(run, interruption)
        except _CannotStart as error:
            write_result(allure_dir, name="target reachable", status="broken", area=AREA_PREFLIGHT, message=f"cannot judge: {error}")
            run.record("target", EXIT_CANNOT_JUDGE, str(error))

        exit_code = _finish(run, reports, history, with_report=with_report)
    if exit_code != EXIT_PASSED:
        click.echo(_closing_diagnosis(run, exit_code), err=True)
    raise SystemExit(exit_code)


def _closing_diagnosis(run: GateRun, exit_code: int) -> str:
    """One line on stderr for a pipeline's log: which step decided the verdict, and why."""
    step = next((s for s in run.steps if s.exit_code == exit_code and s.note), None)
    reason = f"{step.name}: {step.note}" if step else "see the summary above"
    return f"otp-suite: cannot judge: {reason}" if exit_code == EXIT_CANNOT_JUDGE else f"otp-suite: failed: {reason}"


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


def _run_steps(run: GateRun, target: SuiteConfig, reports: Path, *, with_load: bool, smoke_users: int, smoke_run_time: float, arrival_rate: float, echo: Echo) -> None:
    started = int(time.time() * 1000)
    click.echo(f"[1/4] preflight: is {target.base_url} reachable?")
    try:
        check_reachable(target)
    except TargetUnreachable as error:
        echo(str(error))
        write_result(run.allure_dir, name="target reachable", status="broken", area=AREA_PREFLIGHT, message=f"cannot judge: {error}", started_ms=started)
        run.record("preflight", EXIT_CANNOT_JUDGE, str(error))
        return
    run.record("preflight", EXIT_PASSED)

    click.echo("[2/4] contract suite")
    contract_code, note, not_the_api = _contract_step(target, run.allure_dir, reports, echo)
    run.record("contract", contract_code, note)
    # Written after the contract run, which starts from an empty results folder.
    write_result(run.allure_dir, name="target reachable", status="passed", area=AREA_PREFLIGHT, started_ms=started)
    echo(f"contract: {note}")

    if not with_load:
        click.echo("[3/4] load smoke: skipped (--no-load)")
        return
    if contract_code == EXIT_CANNOT_JUDGE:
        click.echo("[3/4] load smoke: not run, the contract step could not judge the target")
        run.record("load smoke", None)
        return
    if not_the_api:
        # Load on a target that answers nothing like the API measures nothing.
        click.echo("[3/4] load smoke: not run, the target does not answer like the OTP API")
        run.record("load smoke", None)
        return
    size = f"{arrival_rate:g} flows/s" if arrival_rate else f"{smoke_users} users"
    click.echo(f"[3/4] load smoke: {size} for {smoke_run_time:g} s, with SLOs")
    load_code, note, run.slo_lines = _load_step(target, run.allure_dir, reports, echo, users=smoke_users, run_time_s=smoke_run_time, arrival_rate=arrival_rate)
    run.record("load smoke", load_code, note)
    echo(f"load smoke: {note}")


def _contract_step(target: SuiteConfig, allure_dir: Path, reports: Path, echo: Echo) -> tuple[int, str, bool]:
    """(exit code, note for the summary, whether the target answers nothing like the API)."""
    try:
        from otp_suite.contract.runner import run_contract
    except ImportError as error:
        return EXIT_CANNOT_JUDGE, f"the contract runner is not installed ({error.name})", False
    outcome = run_contract(target, allure_dir=allure_dir, junit_path=reports / "contract-junit.xml", echo=echo)
    if outcome.not_the_api:
        return outcome.exit_code, f"no test run: {outcome.reason}", True
    if outcome.exit_code == EXIT_CANNOT_JUDGE and not (outcome.passed or outcome.failed or outcome.skipped):
        return outcome.exit_code, outcome.reason or "the contract suite did not run", False
    note = f"{target.contract_depth} depth: {outcome.passed} passed, {outcome.failed} failed, {outcome.skipped} skipped"
    if getattr(outcome, "reason", None):
        note += f"; {outcome.reason}"
    return outcome.exit_code, note, False


def _load_step(target: SuiteConfig, allure_dir: Path, reports: Path, echo: Echo, *, users: int, run_time_s: float, arrival_rate: float = 0.0) -> tuple[int, str, list[tuple[str, str]]]:
    try:
        from otp_suite.loadtest.options import LoadOptions
        from otp_suite.loadtest.runner import run_load
        from otp_suite.loadtest.slo import SloError, run_slos
    except ImportError as error:
        return EXIT_CANNOT_JUDGE, f"the load runner is not installed ({error.name})", []
    try:
        # The smoke's size is the gate's; the SLOs come from the profile / OTP_SLO. LoadOptions is
        # built here, not by load_options(): that parses the run time with Locust, and importing
        # Locust (gevent monkey-patching) in this threaded process hangs it.
        # In arrival-rate mode the latency SLOs judge the corrected percentiles (issue 6).
        slos = run_slos(arrival_rate, [target.slo or ""])
    except SloError as error:
        return EXIT_CANNOT_JUDGE, str(error), []
    options = LoadOptions(users=users, spawn_rate=float(users), run_time_s=max(1, round(run_time_s)), slos=slos, arrival_rate=arrival_rate)
    outcome = run_load(target, options, reports_dir=reports, allure_dir=allure_dir, echo=echo)
    slo_lines = [(_slo_line(result), "pass" if result.passed else "breach") for result in outcome.slos]
    return outcome.exit_code, outcome.reason or ("SLOs hold" if outcome.exit_code == EXIT_PASSED else "SLO breached"), slo_lines


def _slo_line(result: SloResult) -> str:
    measured = "not measured" if result.value is None else f"{result.value:.4g}"
    return f"{result.name} {result.comparison} {result.threshold:g}: {measured}"


def _finish(run: GateRun, reports: Path, history: Path, *, with_report: bool) -> int:
    exit_code = run.verdict()
    report_path = history_file = None
    problem = None
    click.echo("[4/4] report")
    if with_report:
        try:
            outcome = build_report(run.allure_dir, reports / "allure-report", config=run.target or run.config, history_dir=history, secrets=run.secrets, target_label=_target_label(run))
            report_path, history_file = outcome.html_path, outcome.history_file
        except ReportError as error:
            problem = str(error)
            # Without the report a pass cannot be shown to anyone; a failure stays a failure.
            exit_code = EXIT_FAILED if exit_code == EXIT_FAILED else EXIT_CANNOT_JUDGE
        except KeyboardInterrupt as interruption:  # the generator is stopped by subprocess.run
            if not any(step.name == "interrupted" for step in run.steps):
                _mark_interrupted(run, interruption)
            problem = f"interrupted by {signal_name_of(interruption)} while it was being built"
            exit_code = EXIT_FAILED if exit_code == EXIT_FAILED else EXIT_CANNOT_JUDGE
    else:
        problem = "--no-report"
    # The last steps are short and must not be cut: a half-done scrub would leave a token behind.
    with signals_held(deliver=False):
        try:
            scrub_reports(reports, run.secrets)
        except ReportError as error:
            problem, exit_code = str(error), (EXIT_FAILED if exit_code == EXIT_FAILED else EXIT_CANNOT_JUDGE)
        click.echo("")
        click.echo(render_summary(
            exit_code=exit_code,
            steps=run.steps,
            totals=count_results(run.allure_dir),
            slo_lines=run.slo_lines,
            report_path=report_path,
            history_file=history_file,
            report_problem=problem,
        ))
    return exit_code


def _mark_interrupted(run: GateRun, interruption: BaseException) -> None:
    """Say on the terminal, in the results and in the summary that the run was cut short."""
    by_signal = signal_name_of(interruption)
    with signals_held(deliver=False):
        click.echo(f"otp-suite gate: interrupted by {by_signal}; the steps' processes are stopped, the results so far kept", err=True)
        message = f"interrupted by {by_signal}: the gate run stopped before it finished; its results are partial"
        write_result(run.allure_dir, name="gate run interrupted", status="broken", area=AREA_GATE, message=message)
        run.record("interrupted", EXIT_CANNOT_JUDGE, f"by {by_signal}; results so far kept")


def _target_label(run: GateRun) -> str | None:
    if not run.config.is_embedded:
        return None
    where = f" at {run.target.base_url}" if run.target else ""
    return f"embedded reference service{where} (OTP_BASE_URL unset)"


def _fresh_dir(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
