"""A load run from start to verdict: checks, the Locust run, figures, SLOs, baseline, outputs.

The Locust processes themselves are :mod:`otp_suite.loadtest.locust_processes`; the console
table :mod:`otp_suite.loadtest.console_table`. :func:`run_load` is what ``otp-suite load`` and ``otp-suite gate`` call. It refuses targets that
may not take load, checks the target answers, runs Locust with a hard timeout, reads Locust's
CSV and the corrected latency figures the locustfile wrote (otp_suite.loadtest.corrected), judges
every SLO, and writes summary.json, the latency plots, one Allure result per SLO and
``load/junit.xml`` (one case per SLO, written on every outcome, interruption included).
Exit codes: 0 every SLO held, 1 one was breached, 2 the run could not be judged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from otp_suite.config import SuiteConfig
from otp_suite.exit_codes import ExitCode
from otp_suite.interruption import signal_name_of, signals_held
from otp_suite.loadtest.allure_result import write_allure_result
from otp_suite.loadtest.baseline import BaselineError, BaselineVerdict, baseline_table, compare, parse_max_regression, read_baseline
from otp_suite.loadtest.census import read_census
from otp_suite.loadtest.console_table import entry_table
from otp_suite.loadtest.corrected import CorrectedReport, read_report
from otp_suite.loadtest.coverage import chosen_flows, exercised_entries, minimum_run_time_s
from otp_suite.loadtest.locust_processes import run_locust
from otp_suite.loadtest.locust_stats import EntryStats, merge_corrected, most_frequent_failure, ordered, read_entries, read_history
from otp_suite.loadtest.mix import parse_flow_mix
from otp_suite.loadtest.options import LoadOptions
from otp_suite.loadtest.pacing import DEFAULT_THINK_TIME_S
from otp_suite.loadtest.plot import plot_corrected, plot_latency
from otp_suite.loadtest.safety import LoadRefused, check_load_allowed
from otp_suite.loadtest.slo import NOT_APPLICABLE, SloResult, judge, slo_table
from otp_suite.loadtest.slo_junit import write_load_junit
from otp_suite.loadtest.summary import write_summary
from otp_suite.preflight import PreflightFailed, TargetChecked, check_target
from otp_suite.report.paths import ReportPaths

Echo = Callable[[str], None]


@dataclass(frozen=True)
class LoadOutcome:
    """The verdict of a load run: exit code, every SLO result, where summary.json is, and why."""

    exit_code: int
    slos: tuple[SloResult, ...] = ()
    summary_path: Path | None = None
    reason: str = ""
    entries: tuple[EntryStats, ...] = ()
    census: dict[str, Any] | None = None
    #: Against a baseline: "" when nothing regressed, else why; None without a baseline.
    regression: str | None = None

    @property
    def breached(self) -> tuple[str, ...]:
        """Names of the SLOs that did not hold."""
        return tuple(result.name for result in self.slos if not result.passed)


class _CannotJudge(Exception):
    """A step found the run cannot be judged; ``str()`` is the one-line reason (exit 2)."""


@dataclass(frozen=True)
class _Run:
    """What the steps of one load run share."""

    config: SuiteConfig
    options: LoadOptions
    paths: ReportPaths
    allure_dir: Path
    echo: Echo
    #: The flows the run plays, and the run time every SLO needs to be sampled.
    flows: tuple[str, ...]
    needed_s: int
    started_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    def broken(self, reason: str) -> _CannotJudge:
        """Record ``reason`` as the run's broken Allure result; the error to raise."""
        _write_allure(self, (), broken_reason=reason)
        return _CannotJudge(reason)


@dataclass(frozen=True)
class _Figures:
    """What Locust measured: every entry (Locust's figures, with the corrected ones merged in)."""

    by_name: dict[str, EntryStats]
    entries: list[EntryStats]
    corrected: CorrectedReport | None
    census: dict[str, Any] | None

    @property
    def aborted(self) -> dict[str, Any] | None:
        """Why the run stopped before its run time (--abort-on-breach), or None."""
        return self.corrected.aborted if self.corrected is not None else None


def run_load(config: SuiteConfig, options: LoadOptions, *, reports_dir: Path, allure_dir: Path, echo: Echo, checked: TargetChecked | None = None) -> LoadOutcome:
    """Load ``config``'s target (already resolved: base_url set) as ``options`` say, and judge the SLOs.

    Writes ``<reports_dir>/load/`` (Locust CSV and HTML, summary.json, latency.png, logs, junit.xml:
    a case per SLO) and the Allure results into ``allure_dir``. Never raises for a run that cannot be
    judged: exit code 2, with the one-line reason in ``LoadOutcome.reason`` (not echoed). The JUnit
    file is written whatever happens: a verdict, a run that cannot be judged, an interruption.
    ``checked``: the target's preflight, already made by the caller (the gate), is not repeated.
    """
    junit = ReportPaths(Path(reports_dir)).load_junit
    try:
        outcome = _judged_run(config, options, reports_dir=reports_dir, allure_dir=allure_dir, echo=echo, checked=checked)
    except KeyboardInterrupt as interruption:
        with signals_held():
            write_load_junit(junit, ExitCode.CANNOT_JUDGE, (), f"interrupted by {signal_name_of(interruption)} before the run time was over; SLOs not judged")
        raise
    write_load_junit(junit, outcome.exit_code, outcome.slos, outcome.reason, regression=outcome.regression)
    return outcome


def _judged_run(config: SuiteConfig, options: LoadOptions, *, reports_dir: Path, allure_dir: Path, echo: Echo, checked: TargetChecked | None) -> LoadOutcome:
    """The load run's steps, in order: preflight, baseline, plan, the Locust run, TLS refusals, SLOs,
    plots, summary, Allure results, console tables, verdict.
    """
    try:
        _preflight(config, checked)
        baseline, regression_limits = _read_baseline(options)
        run = _plan(config, options, reports_dir=reports_dir, allure_dir=allure_dir, echo=echo)
        figures = _run_locust(run)
        _refuse_untrusted_target(run)
        results = _judge_slos(run, figures)
        _plot(run, figures)
        histograms = figures.corrected.histograms if figures.corrected is not None else {}
        versus = None if baseline is None else compare(baseline, [entry.as_dict() for entry in figures.entries], regression_limits, arrival=run.options.is_arrival_rate, now_histograms=histograms)
        summary = _write_summary(run, figures, results, versus)
        table = entry_table(figures.entries)
        _write_allure(run, results, entry_table=table)
        _print_tables(echo, table, results, versus)
    except _CannotJudge as error:
        return LoadOutcome(ExitCode.CANNOT_JUDGE, reason=str(error))
    code, reason = _verdict(run, results, versus, figures.aborted)
    echo(f"load: {reason} (summary: {summary})")
    regression = None if versus is None else (versus.reason() if versus.regressed else "")
    return LoadOutcome(code, results, summary, reason, tuple(figures.entries), figures.census, regression)


def _preflight(config: SuiteConfig, checked: TargetChecked | None) -> None:
    """Refuse a target that may not take load, or cannot be judged, before any load is sent."""
    if config.base_url is None:
        raise _CannotJudge("no target: resolve the config first (otp_suite.target.resolved_target)")
    try:
        check_load_allowed(config.base_url, config)
    except LoadRefused as refusal:
        raise _CannotJudge(str(refusal)) from None
    if config.fixed_code is None and config.resolved_inbox_url() is None:
        raise _CannotJudge("no way to read OTPs: set OTP_INBOX_URL or OTP_FIXED_CODE")
    try:
        check_target(config, checked)
    except PreflightFailed as error:
        raise _CannotJudge(str(error)) from None


def _read_baseline(options: LoadOptions) -> tuple[dict[str, Any] | None, dict[tuple[str, str], float]]:
    """The baseline's summary (or None) and the regression limits."""
    try:
        # Read before this run's outputs replace the last run's: the baseline may be that very file.
        baseline = read_baseline(options.baseline) if options.baseline is not None else None
        return baseline, parse_max_regression(options.max_regression)
    except BaselineError as error:
        raise _CannotJudge(str(error)) from None


def _plan(config: SuiteConfig, options: LoadOptions, *, reports_dir: Path, allure_dir: Path, echo: Echo) -> _Run:
    """The run's flows and run time, its folder emptied of the last run's outputs, and its first line."""
    flows = chosen_flows(parse_flow_mix(config.flow_mix), options.tags, options.exclude_tags)
    options, needed_s = _long_enough(config, options, flows, echo)
    paths = ReportPaths(Path(reports_dir))
    paths.clear_load_outputs()
    run = _Run(config, options, paths, Path(allure_dir), echo, flows, needed_s)
    echo(_run_line(config, options))
    return run


def _run_line(config: SuiteConfig, options: LoadOptions) -> str:
    """What is about to run, in one line."""
    processes = f"a master and {options.workers + options.remote_workers} workers" if options.is_distributed else "one process"
    if options.remote_workers:
        processes += f" ({options.remote_workers} joining on port {options.master_port})"
    if options.is_arrival_rate:
        return f"load: {options.arrival_rate:g} flows/s on schedule (open model) for {options.run_time_s} s on {processes} -> {config.base_url}"
    return f"load: {options.users} users (spawn {options.spawn_rate:g}/s, shape {options.shape}) for {options.run_time_s} s on {processes} -> {config.base_url}"


def _run_locust(run: _Run) -> _Figures:
    """Run Locust to the end and read what it measured; an interrupted run keeps its figures so far."""
    try:
        reason = run_locust(run.config, run.options, run.paths.locust)
    except KeyboardInterrupt as interruption:
        with signals_held():
            _keep_interrupted_run(interruption, run)
        raise
    census = read_census(run.paths.locust.prefix)
    if census is not None:
        by_worker = ", ".join(f"worker {k}: {v}" for k, v in census["requests_by_worker"].items())
        run.echo(f"load: {census['workers_joined']} of {run.options.workers + run.options.remote_workers} workers joined; requests by worker: {by_worker or 'none'}")
    if reason:
        raise run.broken(reason)
    corrected = read_report(run.paths.locust.prefix)
    by_name = read_entries(run.paths.locust.prefix)
    if corrected is not None:
        by_name = merge_corrected(by_name, corrected.entries, corrected.dropped)
    else:
        run.echo(f"load: warning: Locust wrote no corrected latency figures ({run.paths.locust.corrected_json} missing); corrected SLOs cannot be judged")
    entries = ordered(by_name)
    if not any(entry.requests for entry in entries if entry.name != "flow"):
        raise run.broken("Locust sent no requests (are all flows excluded by --tags/--exclude-tags, or the flow mix all 0?)")
    figures = _Figures(by_name, entries, corrected, census)
    if figures.aborted:
        run.echo(f"load: stopped before its run time (--abort-on-breach): {figures.aborted['reason']}")
    return figures


#: Words of a TLS verification failure in Locust's failures (geventhttpclient raises ssl's errors).
_TLS_FAILURE = ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "SSLCertVerificationError")


def _tls_refused(csv_prefix: Path) -> str | None:
    """The most frequent failure of the run when it is a TLS verification failure, else None."""
    failure = most_frequent_failure(csv_prefix)
    return failure[0] if failure is not None and any(word in failure[0] for word in _TLS_FAILURE) else None


def _refuse_untrusted_target(run: _Run) -> None:
    """Cannot judge when the load generator could not trust the target: a setup problem, not a breached SLO."""
    refused_tls = _tls_refused(run.paths.locust.prefix)
    if refused_tls is not None:
        raise run.broken(f"the load's requests failed TLS verification ({refused_tls}); if a private CA signed the target's certificate, set OTP_CA_BUNDLE to that CA's PEM file (target {run.config.base_url})")


def _judge_slos(run: _Run, figures: _Figures) -> tuple[SloResult, ...]:
    """Every SLO's verdict; an SLO of a flow the run does not play is not applicable."""
    exercised = exercised_entries(run.flows, reads_inbox=run.config.fixed_code is None)
    return tuple(judge(run.options.slos, {name: entry.as_dict() for name, entry in figures.by_name.items()}, exercised))


def _load_label(options: LoadOptions) -> str:
    return f"{options.arrival_rate:g} flows/s (open model)" if options.is_arrival_rate else f"{options.users} users, {options.shape}"


def _plot(run: _Run, figures: _Figures) -> None:
    """latency.png (Locust's history) and corrected-latency.png (Locust's figures vs the corrected ones)."""
    title = f"{run.config.base_url}: {_load_label(run.options)}"
    plot_latency(read_history(run.paths.locust.prefix), run.paths.latency_plot, title=title)
    plot_corrected(figures.corrected.intervals if figures.corrected is not None else [], run.paths.corrected_latency_plot, title=f"{title}, Locust's figures vs corrected")


def _write_summary(run: _Run, figures: _Figures, results: tuple[SloResult, ...], versus: BaselineVerdict | None) -> Path:
    """summary.json: every entry, every SLO, how the run was made, and the baseline comparison."""
    options, paths = run.options, run.paths
    schedule = figures.corrected.schedule if figures.corrected is not None else None
    if schedule is not None:
        run.echo(f"load: schedule: {schedule['scheduled']} flows due, {schedule['started']} started on time, {schedule['dropped']} dropped (latest start {schedule['max_late_ms']:.0f} ms after due)")
    run_info = {
        "target": run.config.base_url,
        "model": "arrival-rate (open)" if options.is_arrival_rate else "users (closed)",
        "arrival_rate": options.arrival_rate or None,
        "schedule": schedule,
        "users": options.users,
        "spawn_rate": options.spawn_rate,
        "run_time_s": options.run_time_s,
        "shape": options.shape,
        "shape_params": options.shape_params,
        "tags": list(options.tags),
        "exclude_tags": list(options.exclude_tags),
        "workers": figures.census,
        "stats_csv": str(paths.locust.stats_csv),
        "corrected_json": str(paths.locust.corrected_json),
        "samples_csv": str(paths.locust.samples_csv) if options.samples_csv else None,
        "latency_precision": "HdrHistogram, 3 significant digits",
        "html": str(paths.locust.html),
        "aborted": figures.aborted,
    }
    return write_summary(paths.load_summary, figures.entries, results, run=run_info, baseline=versus, histograms=figures.corrected.histograms if figures.corrected is not None else None)


def _print_tables(echo: Echo, table: list[str], results: tuple[SloResult, ...], versus: BaselineVerdict | None) -> None:
    """The entries, the SLOs and the baseline comparison on the console."""
    for line in [*table, *slo_table(results), *(baseline_table(versus) if versus is not None else [])]:
        echo(line)


def _verdict(run: _Run, results: tuple[SloResult, ...], versus: BaselineVerdict | None, aborted: dict[str, Any] | None = None) -> tuple[int, str]:
    """(exit code, reason): 1 an SLO breached (or the run stopped on one) or a figure regressed, 2 an SLO not judged, 0 all hold."""
    breached = [result.name for result in results if result.breached]
    if aborted is not None:
        # Stopped on a breach beyond doubt: that SLO failed the run, whatever the shortened run's figures say.
        breached += [] if aborted["slo"] in breached else [str(aborted["slo"])]
        aborted_note = f"; stopped at {aborted['at_s']:.0f} s of {run.options.run_time_s} s (--abort-on-breach): {aborted['reason']}"
    else:
        aborted_note = ""
    unjudged = [result.name for result in results if not result.judged]
    regressed = versus is not None and versus.regressed
    if breached:
        reason = "SLO breached: " + ", ".join(breached) + f" (target {run.config.base_url})"
        failure = most_frequent_failure(run.paths.locust.prefix)
        if failure is not None:
            reason += f"; most frequent failure: {failure[0]} ({failure[1]} times)"
        if unjudged:
            reason += f"; not judged: {', '.join(unjudged)}"
        if versus is not None and regressed:
            reason += "; " + versus.reason()
        return ExitCode.BROKEN, reason + aborted_note
    if versus is not None and regressed:
        return ExitCode.BROKEN, versus.reason()
    if unjudged:
        return ExitCode.CANNOT_JUDGE, _not_judged_reason(unjudged, run.config, run.options, run.needed_s)
    not_applicable = sum(1 for result in results if result.status == NOT_APPLICABLE)
    return ExitCode.HOLDS, f"all {len(results) - not_applicable} SLOs hold" + (f" ({not_applicable} not applicable: their flows are not played)" if not_applicable else "")


def _long_enough(config: SuiteConfig, options: LoadOptions, flows: tuple[str, ...], echo: Echo) -> tuple[LoadOptions, int]:
    """``options`` lengthened, when allowed, so that every operation with an SLO is sampled; and the run time that needs.

    Lengthened up to OTP_MAX_WAIT_S only: the suite never waits longer than that for the API's clock.
    """
    think_s = config.think_time_s if config.think_time_s is not None else DEFAULT_THINK_TIME_S
    needed_s = minimum_run_time_s(flows, resend_cooldown_s=config.policy.resend_cooldown_s, think_time_s=think_s)
    if not options.measure_every_slo or options.run_time_s >= needed_s:
        return options, needed_s
    longer_s = max(options.run_time_s, min(needed_s, int(config.max_wait_s)))
    if longer_s > options.run_time_s:
        echo(
            f"load: run time {options.run_time_s} s -> {longer_s} s, so that every operation with an SLO is sampled (resend cooldown {config.policy.resend_cooldown_s:g} s plus margin; at most OTP_MAX_WAIT_S={config.max_wait_s:g} s)"
        )
    return replace(options, run_time_s=longer_s), needed_s


def _not_judged_reason(unjudged: list[str], config: SuiteConfig, options: LoadOptions, needed_s: int) -> str:
    """Why SLOs could not be judged, and the fix."""
    names = ", ".join(unjudged)
    if options.run_time_s < needed_s:
        bound = f" (OTP_MAX_WAIT_S={config.max_wait_s:g} s allows no longer)" if options.measure_every_slo else ""
        fix = f"run at least {needed_s} s (--run-time / OTP_LOAD_RUN_TIME; the resend cooldown is {config.policy.resend_cooldown_s:g} s){bound}, or turn them off (--slo NAME=off)"
    else:
        fix = "see the log and the failures; or turn them off (--slo NAME=off) if the run is not meant to measure them"
    return f"SLOs not judged, no samples in {options.run_time_s} s: {names}; {fix}"


def _keep_interrupted_run(interruption: BaseException, run: _Run) -> None:
    """Write summary.json and the Allure result of a run cut short: Locust's figures so far, no SLO verdict."""
    by_signal = signal_name_of(interruption)
    paths, options = run.paths, run.options
    try:
        entries = ordered(read_entries(paths.locust.prefix)) if paths.locust.stats_csv.is_file() else []
    except (OSError, ValueError, KeyError):
        entries = []  # a CSV cut mid-write: the summary still says the run was interrupted
    run_info = {"target": run.config.base_url, "users": options.users, "run_time_s": options.run_time_s, "shape": options.shape, "stats_csv": str(paths.locust.stats_csv)}
    write_summary(paths.load_summary, entries, (), run=run_info, interrupted_by=by_signal)
    reason = f"interrupted by {by_signal} before the run time was over; figures so far in {paths.load_summary}, SLOs not judged"
    _write_allure(run, (), broken_reason=reason)


def _write_allure(run: _Run, results: tuple[SloResult, ...] | tuple[()], *, broken_reason: str = "", entry_table: list[str] | None = None) -> None:
    paths, options = run.paths, run.options
    locust = paths.locust
    attachments = [locust.stats_csv, locust.failures_csv, locust.html, paths.latency_plot, paths.corrected_latency_plot, locust.corrected_json, paths.load_summary]
    load = f"{options.arrival_rate:g} flows/s on schedule (open model)" if options.is_arrival_rate else f"{options.users} users, shape {options.shape}"
    description = f"Locust load run against {run.config.base_url}: {load}, {options.run_time_s} s, workers {options.workers or 'none'}"
    write_allure_result(run.allure_dir, results, attachments, started_ms=run.started_ms, description=description, broken_reason=broken_reason, entry_table=entry_table or ())
