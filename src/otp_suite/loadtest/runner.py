"""Running the locustfile headless (one process, or a master and N workers), then judging the SLOs.

:func:`run_load` is what ``otp-suite load`` and ``otp-suite gate`` call. It refuses targets that
may not take load, checks the target answers, runs Locust with a hard timeout, reads Locust's
CSV and the corrected latency figures the locustfile wrote (otp_suite.loadtest.corrected), judges
every SLO, and writes summary.json, the latency plots and an Allure result.
Exit codes: 0 every SLO held, 1 one was breached, 2 the run could not be judged.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from otp_suite.config import SuiteConfig
from otp_suite.interruption import signal_name_of, signals_held
from otp_suite.loadtest.allure_result import write_allure_result
from otp_suite.loadtest.baseline import BaselineError, baseline_table, compare, parse_max_regression, read_baseline
from otp_suite.loadtest.census import read_census
from otp_suite.loadtest.coverage import chosen_flows, exercised_entries, minimum_run_time_s
from otp_suite.loadtest.corrected import CORRECTED_SUFFIX, SAMPLES_SUFFIX, read_report
from otp_suite.loadtest.locust_stats import EntryStats, merge_corrected, most_frequent_failure, ordered, read_entries, read_history, stats_csv
from otp_suite.loadtest.options import LoadOptions
from otp_suite.loadtest.pacing import DEFAULT_THINK_TIME_S
from otp_suite.loadtest.plot import plot_corrected, plot_latency
from otp_suite.loadtest.safety import LoadRefused, check_load_allowed
from otp_suite.loadtest.mix import parse_flow_mix
from otp_suite.loadtest.slo import NOT_APPLICABLE, SloResult, judge, slo_table
from otp_suite.loadtest.summary import write_summary
from otp_suite.preflight import TargetUnreachable, TokenRefused, check_reachable, check_token_accepted

Echo = Callable[[str], None]

# The suite's exit codes (otp_suite.cli.errors), repeated here so the package does not import the CLI.
EXIT_PASSED, EXIT_FAILED, EXIT_CANNOT_JUDGE = 0, 1, 2


@dataclass(frozen=True)
class LoadOutcome:
    """The verdict of a load run: exit code, every SLO result, where summary.json is, and why."""

    exit_code: int
    slos: tuple[SloResult, ...] = ()
    summary_path: Path | None = None
    reason: str = ""
    entries: tuple[EntryStats, ...] = ()
    census: dict[str, Any] | None = None

    @property
    def breached(self) -> tuple[str, ...]:
        """Names of the SLOs that did not hold."""
        return tuple(result.name for result in self.slos if not result.passed)


@dataclass(frozen=True)
class RunFiles:
    """Where one run's outputs go, under ``<reports>/load``."""

    directory: Path
    csv_prefix: Path = field(init=False)
    html: Path = field(init=False)
    summary: Path = field(init=False)
    plot: Path = field(init=False)
    corrected_plot: Path = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "csv_prefix", self.directory / "locust")
        object.__setattr__(self, "html", self.directory / "locust.html")
        object.__setattr__(self, "summary", self.directory / "summary.json")
        object.__setattr__(self, "plot", self.directory / "latency.png")
        object.__setattr__(self, "corrected_plot", self.directory / "corrected-latency.png")

    def log(self, process: str) -> Path:
        return self.directory / f"{process}.log"

    def clear(self) -> None:
        """Remove a previous run's outputs, so nothing stale is ever read as this run's."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in [*self.directory.glob("locust*"), self.summary, self.plot, self.corrected_plot]:
            if stale.is_file():
                stale.unlink()


def locust_environment(config: SuiteConfig, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the Locust processes: this one's, with every ``OTP_*`` replaced by ``config``'s.

    The resolved config travels as variables, so the locustfile's ``load_config()`` rebuilds the
    same object (no profile lookup: OTP_ENV is dropped).
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTP_")}
    settings: dict[str, object | None] = {
        "OTP_BASE_URL": config.base_url,
        "OTP_JWT_SECRET": config.jwt_secret,
        "OTP_JWT_TOKEN": None if config.jwt_secret else config.jwt_token,
        "OTP_INBOX_URL": config.inbox_url,
        "OTP_FIXED_CODE": config.fixed_code,
        "OTP_TEST_COUNTRY_CODE": config.test_country_code,
        "OTP_TEST_PHONE_PREFIX": config.test_phone_prefix,
        "OTP_ALLOW_LOAD": "1" if config.allow_load else "0",
        "OTP_VERIFY_TLS": "1" if config.verify_tls else "0",
        "OTP_REQUEST_TIMEOUT_S": f"{config.request_timeout_s:g}",
        "OTP_FLOW_MIX": config.flow_mix,
        "OTP_THINK_TIME_S": f"{config.think_time_s if config.think_time_s is not None else DEFAULT_THINK_TIME_S:g}",
        "OTP_SEED": None if config.seed is None else str(config.seed),
        **config.policy.as_environment(),
    }
    env.update({key: str(value) for key, value in settings.items() if value is not None and value != ""})
    env.update(extra or {})
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def locust_commands(config: SuiteConfig, options: LoadOptions, files: RunFiles) -> tuple[list[str], list[list[str]]]:
    """The command of the judging process (local or master) and of each worker.

    In arrival-rate mode each process runs one scheduler, so ``--users`` is the number of processes
    that generate load and the locustfile's shape ignores it.
    """
    assert config.base_url is not None
    base = [sys.executable, "-m", "locust", "-f", str(options.locustfile), "--loglevel", "WARNING"]
    if options.is_arrival_rate:
        base += ["--arrival-rate", f"{options.arrival_rate:g}", "--max-flows", str(options.max_flows)]
    generators = max(1, options.workers + options.remote_workers)
    users, spawn_rate = (generators, float(generators)) if options.is_arrival_rate else (options.users, options.spawn_rate)
    main = [
        *base,
        "--headless",
        "--host", config.base_url,
        "--users", str(users),
        "--spawn-rate", f"{spawn_rate:g}",
        "--run-time", f"{options.run_time_s}s",
        "--shape", options.shape,
        "--shape-params", options.shape_params,
        "--csv", str(files.csv_prefix),
        "--csv-full-history",
        "--html", str(files.html),
        "--only-summary",
        # The SLOs judge failures; Locust's own "any failure = exit 1" would hide a crash.
        "--exit-code-on-error", "0",
    ]  # fmt: skip
    if options.tags:
        main += ["--tags", *options.tags]
    if options.exclude_tags:
        main += ["--exclude-tags", *options.exclude_tags]
    if options.samples_csv:
        base += ["--samples-csv"]  # the workers keep their samples for the master too
        main += ["--samples-csv"]
    if not options.is_distributed:
        return main, []
    # Remote workers must reach the master from other hosts; local ones only over loopback.
    bind_host, port = ("0.0.0.0", options.master_port) if options.remote_workers else ("127.0.0.1", _free_port())  # noqa: S104
    main += [
        "--master", "--master-bind-host", bind_host, "--master-bind-port", str(port),
        "--expect-workers", str(options.workers + options.remote_workers), "--expect-workers-max-wait", str(options.workers_wait_s),
    ]  # fmt: skip
    worker = [*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
    if options.tags:
        worker += ["--tags", *options.tags]
    if options.exclude_tags:
        worker += ["--exclude-tags", *options.exclude_tags]
    return main, [list(worker) for _ in range(options.workers)]


def _redacted(text: str, config: SuiteConfig) -> str:
    for secret in (config.jwt_secret, config.jwt_token):
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def _tail(path: Path, config: SuiteConfig, lines: int = 8) -> str:
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:]
    return _redacted(" | ".join(text), config)


class _Processes:
    """The Locust processes of one run, each with its own log file; all stopped on exit."""

    def __init__(self, env: dict[str, str]) -> None:
        self._env = env
        self.started: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(self, command: list[str], log: Path) -> subprocess.Popen[bytes]:
        handle = log.open("wb")
        process = subprocess.Popen(command, env=self._env, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append((process, handle))
        return process

    def __enter__(self) -> _Processes:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        # Interrupted: Ctrl-C is what lets a Locust master running a shape stop its workers and write
        # its statistics so far (SIGTERM ends such a master at once).
        interrupted = exc_type is not None and issubclass(exc_type, KeyboardInterrupt)
        with signals_held():  # a second Ctrl-C must not leave a worker running
            for process, _ in self.started:
                if process.poll() is None:
                    process.send_signal(signal.SIGINT if interrupted else signal.SIGTERM)
            for process, handle in self.started:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                handle.close()


def _run_locust(config: SuiteConfig, options: LoadOptions, files: RunFiles, echo: Echo) -> str:
    """Run Locust to the end; '' when it finished, else the one-line reason it could not run."""
    main_command, worker_commands = locust_commands(config, options, files)
    env = locust_environment(config, options.extra_env)
    with _Processes(env) as processes:
        main = processes.start(main_command, files.log("locust"))
        for index, command in enumerate(worker_commands):
            processes.start(command, files.log(f"locust-worker-{index}"))
        try:
            code = main.wait(timeout=options.hard_timeout_s)
        except subprocess.TimeoutExpired:
            return f"Locust did not finish within {options.hard_timeout_s:.0f} s (run time {options.run_time_s} s + {options.grace_s:.0f} s grace) and was stopped; see {files.log('locust')}"
    if code != 0:
        tail = _tail(files.log("locust"), config)
        if options.is_distributed and "waiting for workers" in tail.lower():
            return f"not all {options.workers + options.remote_workers} Locust workers joined within {options.workers_wait_s} s; see {files.log('locust')}"
        return f"Locust exited with code {code}: {tail or 'no output'}"
    if not stats_csv(files.csv_prefix).is_file():
        return f"Locust wrote no statistics ({stats_csv(files.csv_prefix)} missing): {_tail(files.log('locust'), config) or 'no output'}"
    return ""


def _preflight_token(config: SuiteConfig) -> str:
    """A token minted with OTP_JWT_SECRET for the preflight's one request (never sent with a valid body)."""
    from fixtures.tokens import mint_token

    return mint_token(config.jwt_secret or "", "load-preflight")


def _cannot_run(reason: str, echo: Echo) -> LoadOutcome:
    # The caller prints the reason (the CLI as "otp-suite: cannot judge: ..." on stderr).
    return LoadOutcome(EXIT_CANNOT_JUDGE, reason=reason)


def run_load(config: SuiteConfig, options: LoadOptions, *, reports_dir: Path, allure_dir: Path, echo: Echo) -> LoadOutcome:
    """Load ``config``'s target (already resolved: base_url set) as ``options`` say, and judge the SLOs.

    Writes ``<reports_dir>/load/`` (Locust CSV and HTML, summary.json, latency.png, logs) and one
    Allure result into ``allure_dir``. Never raises for a run that cannot be judged: exit code 2,
    with the one-line reason in ``LoadOutcome.reason`` (not echoed).
    """
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
        reason = _run_locust(config, options, files, echo)
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
    table = _entry_table(entries)
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
        code = EXIT_FAILED
    elif versus is not None and versus.regressed:
        reason, code = versus.reason(), EXIT_FAILED
    elif unjudged:
        reason = _not_judged_reason(unjudged, config, options, needed_s)
        code = EXIT_CANNOT_JUDGE
    else:
        not_applicable = sum(1 for result in results if result.status == NOT_APPLICABLE)
        reason = f"all {len(results) - not_applicable} SLOs hold" + (f" ({not_applicable} not applicable: their flows are not played)" if not_applicable else "")
        code = EXIT_PASSED
    echo(f"load: {reason} (summary: {summary})")
    return LoadOutcome(code, results, summary, reason, tuple(entries), census)


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


def _entry_table(entries: list[EntryStats]) -> list[str]:
    """Locust's own figures per entry, and beside them the corrected ones (c-) and the dropped requests."""
    rows = [("entry", "requests", "failures", "dropped", "rps", "p50", "p95", "p99", "max", "c-p50", "c-p95", "c-p99", "c-max")]

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"

    for e in entries:
        rows.append(
            (e.name, str(e.requests), str(e.failures), str(e.dropped), f"{e.rps:.2f}", f"{e.p50_ms:g}", f"{e.p95_ms:g}", f"{e.p99_ms:g}", ms(e.max_ms),
             ms(e.p50_corrected_ms), ms(e.p95_corrected_ms), ms(e.p99_corrected_ms), ms(e.max_corrected_ms))
        )  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]


def _write_allure(allure_dir: Path, results: tuple[SloResult, ...] | tuple[()], files: RunFiles, started_ms: int, config: SuiteConfig, options: LoadOptions, *, broken_reason: str = "", entry_table: list[str] | None = None) -> None:
    attachments = [stats_csv(files.csv_prefix), Path(f"{files.csv_prefix}_failures.csv"), files.html, files.plot, files.corrected_plot, Path(f"{files.csv_prefix}{CORRECTED_SUFFIX}"), files.summary]
    load = f"{options.arrival_rate:g} flows/s on schedule (open model)" if options.is_arrival_rate else f"{options.users} users, shape {options.shape}"
    description = f"Locust load run against {config.base_url}: {load}, {options.run_time_s} s, workers {options.workers or 'none'}"
    write_allure_result(Path(allure_dir), results, attachments, started_ms=started_ms, description=description, broken_reason=broken_reason, entry_table=entry_table or ())
