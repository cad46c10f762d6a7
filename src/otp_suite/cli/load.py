"""``otp-suite load``: Locust load on the OTP flow, judged against SLOs.

Option names follow Locust's own (--users, --spawn-rate, --run-time, --tags, --exclude-tags), so
``otp-suite load --run-time 30s`` is a smoke run with the default settings.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from otp_suite.cli.errors import cannot_judge
from otp_suite.config import ConfigError, load_config
from otp_suite.interruption import signal_name_of, signals_interrupt
from otp_suite.loadtest import EMBEDDED_LOAD_POLICY, load_options, run_load
from otp_suite.loadtest.options import MAX_WORKERS
from otp_suite.loadtest.safety import LoadRefused, check_load_allowed
from otp_suite.loadtest.shapes import SHAPES
from otp_suite.service.faults import UnknownFault, parse_faults
from otp_suite.target import resolved_target


@click.command()
@click.option("-u", "--users", type=click.IntRange(min=1), envvar="OTP_LOAD_USERS", show_envvar=True, help="Peak number of concurrent virtual users (Locust's --users).  [default: 10]")
@click.option("-r", "--spawn-rate", type=click.FloatRange(min=0, min_open=True), envvar="OTP_LOAD_SPAWN_RATE", show_envvar=True, help="Users started per second (Locust's --spawn-rate).  [default: 5]")
@click.option("-t", "--run-time", envvar="OTP_LOAD_RUN_TIME", show_envvar=True, help="Stop after this long: 30s, 5m, 1h30m (Locust's --run-time); every run stops by itself.  [default: 30s]")
@click.option("--arrival-rate", type=click.FloatRange(min=0), envvar="OTP_ARRIVAL_RATE", show_envvar=True, help="Open model: start this many flows per second on schedule, whatever the response times (--users and --shape are then unused); flows that cannot start on time are dropped and fail the run above 1%. SLOs default to latency corrected for coordinated omission.  [default: 0, Locust's closed model]")
@click.option("--max-flows", type=click.IntRange(min=0), envvar="OTP_ARRIVAL_MAX_FLOWS", show_envvar=True, help="Open model: at most this many flows running at once per load process; a flow due when all are busy is dropped.  [default: rate x (request timeout + 5 s)]")
@click.option("--shape", type=click.Choice(sorted(SHAPES)), envvar="OTP_LOAD_SHAPE", show_envvar=True, help="Load shape over --users and --run-time.  [default: steady]")
@click.option("--shape-params", envvar="OTP_LOAD_SHAPE_PARAMS", show_envvar=True, help="Shape parameters KEY=VALUE,...: ramp start_users,ramp_s; step steps,step_s; spike base_users,spike_at_s,spike_s; soak ramp_s.")
@click.option("-T", "--tags", multiple=True, envvar="OTP_LOAD_TAGS", show_envvar=True, help="Run only these flows (Locust's --tags): direct, resend, wrong_otp. Repeatable.")
@click.option("-E", "--exclude-tags", multiple=True, envvar="OTP_LOAD_EXCLUDE_TAGS", show_envvar=True, help="Leave out these flows (Locust's --exclude-tags). Repeatable.")
@click.option("--flow-mix", envvar="OTP_FLOW_MIX", show_envvar=True, help="Weights of the flows, e.g. direct=2,resend=2,wrong_otp=1 (the default).")
@click.option("--think-time", type=click.FloatRange(min=0), envvar="OTP_THINK_TIME_S", show_envvar=True, help="Mean human pause between steps and flows, seconds; the resend cooldown is always waited out.  [default: 1]")
@click.option("--workers", type=click.IntRange(0, MAX_WORKERS), envvar="OTP_LOAD_WORKERS", show_envvar=True, help="Run a Locust master and this many worker processes on this machine (0: one process).  [default: 0]")
@click.option("--expect-workers", type=click.IntRange(0, MAX_WORKERS), default=0, envvar="OTP_LOAD_EXPECT_WORKERS", show_envvar=True, help="Wait for this many workers started on other machines (locust -f load/locustfile.py --worker --master-host <this host>) (Locust's --expect-workers).")
@click.option("--master-bind-port", type=click.IntRange(1, 65535), default=5557, envvar="OTP_LOAD_MASTER_BIND_PORT", show_envvar=True, help="Port the master listens on for --expect-workers (on all interfaces) (Locust's --master-bind-port).")
@click.option("--slo", multiple=True, envvar="OTP_SLO", show_envvar=True, help="Override an SLO: ENTRY.METRIC=LIMIT or =off, e.g. verify.p95_ms=250, verify.p95_corrected_ms=500, flow.error_ratio=0.005, flow.min_rps=5, flow.dropped_ratio=0.01. Repeatable.")
@click.option("--samples-csv/--no-samples-csv", default=None, envvar="OTP_LOAD_SAMPLES_CSV", show_envvar=True, help="Also write every request to <reports-dir>/load/locust_samples.csv (memory grows with the run: for short runs; the latency histograms do not grow).  [default: off]")
@click.option("--baseline", type=click.Path(path_type=Path), envvar="OTP_BASELINE", show_envvar=True, help="Compare with an earlier run's summary.json (e.g. the last green run's reports/load/summary.json): p50/p95/p99 and error ratio per operation and flow; a regression beyond --max-regression exits 1.")
@click.option("--max-regression", multiple=True, envvar="OTP_MAX_REGRESSION", show_envvar=True, help="Allowed growth against --baseline: ENTRY.FIGURE=N%, e.g. verify.p95=20% or *.p99=50% (FIGURE p50, p95, p99, error_ratio). Repeatable.  [default: p50 and p95 25%, p99 50%, error_ratio 100%; changes under 50 ms or 1 point are noise]")
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path), envvar="OTP_REPORTS_DIR", show_envvar=True, help="Reports go to <dir>/load (CSV, HTML, summary.json, latency.png).  [default: reports]")
@click.option("--alluredir", type=click.Path(file_okay=False, path_type=Path), envvar="OTP_ALLURE_DIR", show_envvar=True, help="Allure results directory.  [default: <reports-dir>/allure-results]")
@click.option("--fault", default="", envvar="OTP_FAULT", show_envvar=True, help="Embedded service only: break it on purpose (fault catalog, e.g. slow_verify:400) to see the gate fail.")
def load(
    users: int | None,
    spawn_rate: float | None,
    run_time: str | None,
    arrival_rate: float | None,
    max_flows: int | None,
    shape: str | None,
    shape_params: str | None,
    tags: tuple[str, ...],
    exclude_tags: tuple[str, ...],
    flow_mix: str | None,
    think_time: float | None,
    workers: int | None,
    expect_workers: int,
    master_bind_port: int,
    slo: tuple[str, ...],
    samples_csv: bool | None,
    baseline: Path | None,
    max_regression: tuple[str, ...],
    reports_dir: Path | None,
    alluredir: Path | None,
    fault: str,
) -> None:
    """Load the OTP flow (register, resend, verify) with Locust and judge the SLOs.

    Target: OTP_BASE_URL, or the embedded reference service when it is unset. A target that is
    not on loopback is refused unless OTP_ALLOW_LOAD=1 or the profile allows it. With
    --arrival-rate, flows start on schedule (open model) and latency is also measured from each
    request's intended start (corrected for coordinated omission).
    With --baseline, the run is also compared with an earlier one: a figure that grew beyond
    --max-regression (and beyond the noise guard) fails it, named.
    Exit 0: every SLO held (and nothing regressed); 1: an SLO was breached or a figure regressed
    (named); 2: the run could not be judged (an SLO without samples is never counted as held),
    also when interrupted (Ctrl-C, SIGTERM): Locust and the service are stopped and summary.json
    keeps the figures so far, marked "interrupted": true.
    """
    try:
        config = load_config(flow_mix=flow_mix, think_time_s=think_time, reports_dir=reports_dir)
        options = load_options(
            config,
            users=users,
            spawn_rate=spawn_rate,
            run_time=run_time,
            shape=shape,
            shape_params=shape_params,
            tags=tags,
            exclude_tags=exclude_tags,
            workers=workers,
            remote_workers=expect_workers,
            master_port=master_bind_port,
            slo=slo,
            arrival_rate=arrival_rate,
            max_flows=max_flows,
            samples_csv=samples_csv,
            baseline=baseline,
            max_regression=max_regression,
        )
        if not config.is_embedded:
            assert config.base_url is not None
            check_load_allowed(config.base_url, config)
        if fault and not config.is_embedded:
            raise ConfigError(f"--fault / OTP_FAULT={fault!r} breaks the embedded service only; unset OTP_BASE_URL or drop the fault")
        parse_faults(fault)
    except (ConfigError, LoadRefused, UnknownFault) as error:
        cannot_judge(str(error))
    allure_dir = alluredir or config.reports_dir / "allure-results"
    try:
        with signals_interrupt(), resolved_target(config, policy=EMBEDDED_LOAD_POLICY, fault=fault) as target:
            if config.is_embedded:
                click.echo(f"load: no OTP_BASE_URL; using the embedded reference service at {target.base_url}")
            outcome = run_load(target, options, reports_dir=config.reports_dir, allure_dir=allure_dir, echo=click.echo)
    except KeyboardInterrupt as interruption:
        summary = config.reports_dir / "load" / "summary.json"
        kept = f", the figures so far are in {summary} (marked \"interrupted\": true)" if _marked_interrupted(summary) else ""
        cannot_judge(f"interrupted by {signal_name_of(interruption)}; Locust and the service are stopped{kept}")
    except (RuntimeError, TimeoutError) as error:
        cannot_judge(f"the embedded reference service did not start: {error}")
    except OSError as error:
        cannot_judge(f"the run could not write its results ({error}); check that OTP_REPORTS_DIR={config.reports_dir} is a writable folder")
    if outcome.exit_code == 2:
        cannot_judge(outcome.reason)
    raise SystemExit(outcome.exit_code)


def _marked_interrupted(summary: Path) -> bool:
    """Whether ``summary`` is this run's, written when it was interrupted (not a finished run's from before)."""
    try:
        return json.loads(summary.read_text(encoding="utf-8")).get("interrupted") is True
    except (OSError, ValueError, AttributeError):
        return False
