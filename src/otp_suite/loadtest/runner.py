"""A load run from start to verdict: checks, the Locust run, figures, SLOs, baseline, outputs.

The Locust processes themselves are :mod:`otp_suite.loadtest.locust_processes`; the console
table :mod:`otp_suite.loadtest.console_table`. :func:`run_load` is what ``otp-suite load`` and ``otp-suite gate`` call. It refuses targets that
may not take load, checks the target answers, runs Locust with a hard timeout, reads Locust's
CSV and the corrected latency figures the locustfile wrote (otp_suite.loadtest.corrected), judges
every SLO, and writes summary.json, the latency plots and an Allure result.
Exit codes: 0 every SLO held, 1 one was breached, 2 the run could not be judged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from otp_suite.config import SuiteConfig
from otp_suite.exit_codes import ExitCode
from otp_suite.interruption import signal_name_of, signals_held
from otp_suite.loadtest.allure_result import write_allure_result
from otp_suite.loadtest.baseline import BaselineError, baseline_table, compare, parse_max_regression, read_baseline
from otp_suite.loadtest.census import read_census
from otp_suite.loadtest.console_table import entry_table
from otp_suite.loadtest.corrected import CORRECTED_SUFFIX, SAMPLES_SUFFIX, read_report
from otp_suite.loadtest.coverage import chosen_flows, exercised_entries, minimum_run_time_s
from otp_suite.loadtest.locust_processes import RunFiles, run_locust
from otp_suite.loadtest.locust_stats import EntryStats, merge_corrected, most_frequent_failure, ordered, read_entries, read_history, stats_csv
from otp_suite.loadtest.mix import parse_flow_mix
from otp_suite.loadtest.options import LoadOptions
from otp_suite.loadtest.pacing import DEFAULT_THINK_TIME_S
from otp_suite.loadtest.plot import plot_corrected, plot_latency
from otp_suite.loadtest.safety import LoadRefused, check_load_allowed
from otp_suite.loadtest.slo import NOT_APPLICABLE, SloResult, judge, slo_table
from otp_suite.loadtest.slo_junit import write_load_junit
from otp_suite.loadtest.summary import write_summary
from otp_suite.preflight import TargetUnreachable, TokenRefused, check_reachable, check_token_accepted
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


def _preflight_token(config: SuiteConfig) -> str:
    """A token minted with OTP_JWT_SECRET for the preflight's one request (never sent with a valid body)."""
    from otp_suite.testdata.tokens import mint_token

    return mint_token(config.jwt_secret or "", "load-preflight")


def _cannot_run(reason: str, echo: Echo) -> LoadOutcome:
    # The caller prints the reason (the CLI as "otp-suite: cannot judge: ..." on stderr).
    return LoadOutcome(ExitCode.CANNOT_JUDGE, reason=reason)


def run_load(config: SuiteConfig, options: LoadOptions, *, reports_dir: Path, allure_dir: Path, echo: Echo) -> LoadOutcome:
    """Load ``config``'s target (already resolved: base_url set) as ``options`` say, and judge the SLOs.

    Writes ``<reports_dir>/load/`` (Locust CSV and HTML, summary.json, latency.png, logs, junit.xml:
    a case per SLO) and the Allure results into ``allure_dir``. Never raises for a run that cannot be
    judged: exit code 2, with the one-line reason in ``LoadOutcome.reason`` (not echoed).
    """
    junit = ReportPaths(Path(reports_dir)).load_junit
    try:
        outcome = _judged_run(config, options, reports_dir=reports_dir, allure_dir=allure_dir, echo=echo)
    except KeyboardInterrupt as interruption:
        with signals_held():
            write_load_junit(junit, ExitCode.CANNOT_JUDGE, (), f"interrupted by {signal_name_of(interruption)} before the run time was over; SLOs not judged")
        raise
    write_load_junit(junit, outcome.exit_code, outcome.slos, outcome.reason, regression=outcome.regression)
    return outcome


def _judged_run(config: SuiteConfig, options: LoadOptions, *, reports_dir: Path, allure_dir: Path, echo: Echo) -> LoadOutcome:
    if config.base_url is None:
        return _cannot_run("no target: resolve the config first (otp_suite.target.resolved_target)", echo)
    try:
        check_load_allowed(config.base_url, config)
    except LoadRefused as refusal:
        return _cannot_run(str(refusal), echo)
    if not (config.jwt_secret or config.jwt_token):
        return _cannot_run("load runs need OTP_JWT_SECRET (a token is minted per virtual user) or OTP_JWT_TOKEN", echo)
    if config.fixed_code is None and config.resolved_inbox_url() is None:
        return _cannot_run("no way to read OTPs: set OTP_INBOX_URL or OTP_FIXED_CODE", echo)
    try:
        check_reachable(config)
        # Every virtual user would be refused: that is a setup problem, not a breached SLO.
        check_token_accepted(config, config.jwt_token or _preflight_token(config))
    except (TargetUnreachable, TokenRefused) as unreachable:
        return _cannot_run(str(unreachable), echo)

    try:
        # Read before this run's outputs replace the last run's: the baseline may be that very file.
        baseline = read_baseline(options.baseline) if options.baseline is not None else None
        regression_limits = parse_max_regression(options.max_regression)
    except BaselineError as error:
        return _cannot_run(str(error), echo)
    flows = chosen_flows(parse_flow_mix(config.flow_mix), options.tags, options.exclude_tags)
    options, needed_s = _long_enough(config, options, flows, echo)
    files = RunFiles(Path(reports_dir) / "load")
    files.clear()
    started_ms = int(time.time() * 1000)
    processes = f"a master and {options.workers + options.remote_workers} workers" if options.is_distributed else "one process"
    if options.remote_workers:
        processes += f" ({options.remote_workers} joining on port {options.master_port})"
    if options.is_arrival_rate:
        echo(f"load: {options.arrival_rate:g} flows/s on schedule (open model) for {options.run_time_s} s on {processes} -> {config.base_url}")
    else:
        echo(f"load: {options.users} users (spawn {options.spawn_rate:g}/s, shape {options.shape}) for {options.run_time_s} s on {processes} -> {config.base_url}")
    try:
        reason = run_locust(config, options, files)
    except KeyboardInterrupt as interruption:
        with signals_held():
            _keep_interrupted_run(interruption, config, options, files, started_ms, allure_dir)
        raise
    census = read_census(files.csv_prefix)
    if census is not None:
        by_worker = ", ".join(f"worker {k}: {v}" for k, v in census["requests_by_worker"].items())
        echo(f"load: {census['workers_joined']} of {options.workers + options.remote_workers} workers joined; requests by worker: {by_worker or 'none'}")
    if reason:
        _write_allure(allure_dir, (), files, started_ms, config, options, broken_reason=reason)
        return _cannot_run(reason, echo)

    corrected = read_report(files.csv_prefix)
    by_name = read_entries(files.csv_prefix)
    if corrected is not None:
        by_name = merge_corrected(by_name, corrected.entries, corrected.dropped)
    else:
        echo(f"load: warning: Locust wrote no corrected latency figures ({files.csv_prefix}{CORRECTED_SUFFIX} missing); corrected SLOs cannot be judged")
    entries = ordered(by_name)
    if not any(entry.requests for entry in entries if entry.name != "flow"):
        reason = "Locust sent no requests (are all flows excluded by --tags/--exclude-tags, or the flow mix all 0?)"
        _write_allure(allure_dir, (), files, started_ms, config, options, broken_reason=reason)
        return _cannot_run(reason, echo)
    refused_tls = _tls_refused(files.csv_prefix)
    if refused_tls is not None:
        # The load generator could not trust the target: a setup problem, not a breached SLO.
        reason = f"the load's requests failed TLS verification ({refused_tls}); if a private CA signed the target's certificate, set OTP_CA_BUNDLE to that CA's PEM file (target {config.base_url})"
        _write_allure(allure_dir, (), files, started_ms, config, options, broken_reason=reason)
        return _cannot_run(reason, echo)
    exercised = exercised_entries(flows, reads_inbox=config.fixed_code is None)
    results = judge(options.slos, {name: entry.as_dict() for name, entry in by_name.items()}, exercised)
    load_label = f"{options.arrival_rate:g} flows/s (open model)" if options.is_arrival_rate else f"{options.users} users, {options.shape}"
    plot_latency(read_history(files.csv_prefix), files.plot, title=f"{config.base_url}: {load_label}")
    plot_corrected(corrected.intervals if corrected is not None else [], files.corrected_plot, title=f"{config.base_url}: {load_label}, Locust's figures vs corrected")
    schedule = corrected.schedule if corrected is not None else None
    if schedule is not None:
        echo(f"load: schedule: {schedule['scheduled']} flows due, {schedule['started']} started on time, {schedule['dropped']} dropped (latest start {schedule['max_late_ms']:.0f} ms after due)")
    run_info = {
        "target": config.base_url,
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
        "workers": census,
        "stats_csv": str(stats_csv(files.csv_prefix)),
        "corrected_json": f"{files.csv_prefix}{CORRECTED_SUFFIX}",
        "samples_csv": f"{files.csv_prefix}{SAMPLES_SUFFIX}" if options.samples_csv else None,
        "latency_precision": "HdrHistogram, 3 significant digits",
        "html": str(files.html),
    }
    versus = None if baseline is None else compare(baseline, [entry.as_dict() for entry in entries], regression_limits, arrival=options.is_arrival_rate)
    summary = write_summary(files.summary, entries, results, run=run_info, baseline=versus)
    table = entry_table(entries)
    _write_allure(allure_dir, results, files, started_ms, config, options, entry_table=table)

    for line in table:
        echo(line)
    for line in slo_table(results):
        echo(line)
    if versus is not None:
        for line in baseline_table(versus):
            echo(line)
    breached = [result.name for result in results if result.breached]
    unjudged = [result.name for result in results if not result.judged]
    if breached:
        reason = "SLO breached: " + ", ".join(breached) + f" (target {config.base_url})"
        failure = most_frequent_failure(files.csv_prefix)
        if failure is not None:
            reason += f"; most frequent failure: {failure[0]} ({failure[1]} times)"
        if unjudged:
            reason += f"; not judged: {', '.join(unjudged)}"
        if versus is not None and versus.regressed:
            reason += "; " + versus.reason()
        code = ExitCode.BROKEN
    elif versus is not None and versus.regressed:
        reason, code = versus.reason(), ExitCode.BROKEN
    elif unjudged:
        reason = _not_judged_reason(unjudged, config, options, needed_s)
        code = ExitCode.CANNOT_JUDGE
    else:
        not_applicable = sum(1 for result in results if result.status == NOT_APPLICABLE)
        reason = f"all {len(results) - not_applicable} SLOs hold" + (f" ({not_applicable} not applicable: their flows are not played)" if not_applicable else "")
        code = ExitCode.HOLDS
    echo(f"load: {reason} (summary: {summary})")
    regression = None if versus is None else (versus.reason() if versus.regressed else "")
    return LoadOutcome(code, results, summary, reason, tuple(entries), census, regression)


#: Words of a TLS verification failure in Locust's failures (geventhttpclient raises ssl's errors).
_TLS_FAILURE = ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "SSLCertVerificationError")


def _tls_refused(csv_prefix: Path) -> str | None:
    """The most frequent failure of the run when it is a TLS verification failure, else None."""
    failure = most_frequent_failure(csv_prefix)
    return failure[0] if failure is not None and any(word in failure[0] for word in _TLS_FAILURE) else None


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
        echo(f"load: run time {options.run_time_s} s -> {longer_s} s, so that every operation with an SLO is sampled (resend cooldown {config.policy.resend_cooldown_s:g} s plus margin; at most OTP_MAX_WAIT_S={config.max_wait_s:g} s)")
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


def _keep_interrupted_run(interruption: BaseException, config: SuiteConfig, options: LoadOptions, files: RunFiles, started_ms: int, allure_dir: Path) -> None:
    """Write summary.json and the Allure result of a run cut short: Locust's figures so far, no SLO verdict."""
    by_signal = signal_name_of(interruption)
    try:
        entries = ordered(read_entries(files.csv_prefix)) if stats_csv(files.csv_prefix).is_file() else []
    except (OSError, ValueError, KeyError):
        entries = []  # a CSV cut mid-write: the summary still says the run was interrupted
    run_info = {"target": config.base_url, "users": options.users, "run_time_s": options.run_time_s, "shape": options.shape, "stats_csv": str(stats_csv(files.csv_prefix))}
    write_summary(files.summary, entries, (), run=run_info, interrupted_by=by_signal)
    reason = f"interrupted by {by_signal} before the run time was over; figures so far in {files.summary}, SLOs not judged"
    _write_allure(allure_dir, (), files, started_ms, config, options, broken_reason=reason)


def _write_allure(allure_dir: Path, results: tuple[SloResult, ...] | tuple[()], files: RunFiles, started_ms: int, config: SuiteConfig, options: LoadOptions, *, broken_reason: str = "", entry_table: list[str] | None = None) -> None:
    attachments = [stats_csv(files.csv_prefix), Path(f"{files.csv_prefix}_failures.csv"), files.html, files.plot, files.corrected_plot, Path(f"{files.csv_prefix}{CORRECTED_SUFFIX}"), files.summary]
    load = f"{options.arrival_rate:g} flows/s on schedule (open model)" if options.is_arrival_rate else f"{options.users} users, shape {options.shape}"
    description = f"Locust load run against {config.base_url}: {load}, {options.run_time_s} s, workers {options.workers or 'none'}"
    write_allure_result(Path(allure_dir), results, attachments, started_ms=started_ms, description=description, broken_reason=broken_reason, entry_table=entry_table or ())
