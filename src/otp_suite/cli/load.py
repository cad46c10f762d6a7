"""``otp-suite load``: Locust load on the OTP flow, judged against SLOs.

Option names follow Locust's own (--users, --spawn-rate, --run-time, --tags, --exclude-tags), so
``otp-suite load --run-time 30s`` is a smoke run with the default settings.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from otp_suite.cli.errors import cannot_judge
from otp_suite.cli.options import env_option, setting_option
from otp_suite.config import SETTINGS, ConfigError, load_config
from otp_suite.exit_codes import ExitCode
from otp_suite.interruption import signal_name_of, signals_interrupt
from otp_suite.loadtest import EMBEDDED_LOAD_POLICY, load_options, run_load
from otp_suite.loadtest.options import MAX_WORKERS
from otp_suite.loadtest.safety import LoadRefused, check_load_allowed
from otp_suite.loadtest.shapes import SHAPES
from otp_suite.report.paths import ReportPaths
from otp_suite.service.faults import UnknownFault, parse_faults
from otp_suite.target import resolved_target


@click.command()
@env_option()
@setting_option("load_users", "-u", "--users", type=click.IntRange(min=1))
@setting_option("load_spawn_rate", "-r", "--spawn-rate", type=click.FloatRange(min=0, min_open=True))
@setting_option("load_run_time", "-t", "--run-time")
@setting_option("arrival_rate", "--arrival-rate", type=click.FloatRange(min=0))
@setting_option("arrival_max_flows", "--max-flows", type=click.IntRange(min=0))
@setting_option("load_shape", "--shape", type=click.Choice(sorted(SHAPES)))
@setting_option("load_shape_params", "--shape-params")
@setting_option("load_tags", "-T", "--tags", multiple=True, help=SETTINGS["load_tags"].help + " Repeatable.")
@setting_option("load_exclude_tags", "-E", "--exclude-tags", multiple=True, help=SETTINGS["load_exclude_tags"].help + " Repeatable.")
@setting_option("flow_mix", "--flow-mix")
@setting_option("think_time_s", "--think-time", type=click.FloatRange(min=0))
@setting_option("load_workers", "--workers", type=click.IntRange(0, MAX_WORKERS))
@setting_option("load_expect_workers", "--expect-workers", type=click.IntRange(0, MAX_WORKERS))
@setting_option("load_master_bind_port", "--master-bind-port", type=click.IntRange(1, 65535))
@setting_option("slo", "--slo", multiple=True, help=SETTINGS["slo"].help + " Repeatable.")
@setting_option("load_samples_csv", "--samples-csv/--no-samples-csv")
@setting_option("abort_on_breach", "--abort-on-breach/--no-abort-on-breach")
@setting_option("metrics_port", "--metrics-port", type=click.IntRange(0, 65535))
@setting_option("metrics_host", "--metrics-host")
@setting_option("baseline", "--baseline", type=click.Path(path_type=Path))
@setting_option("max_regression", "--max-regression", multiple=True, help=SETTINGS["max_regression"].help + " Repeatable; changes under 50 ms or 1 point are noise.")
@setting_option("reports_dir", "--reports-dir", type=click.Path(file_okay=False, path_type=Path), help="Reports go to <dir>/load (CSV, HTML, summary.json, latency.png).")
@setting_option("allure_dir", "--alluredir", type=click.Path(file_okay=False, path_type=Path))
@setting_option("fault", "--fault", help="Embedded service only: break it on purpose (fault catalog, e.g. slow_verify:400) to see the gate fail.")
def load(slo: tuple[str, ...], max_regression: tuple[str, ...], **settings: object) -> None:
    """Load the OTP flow (register, resend, verify) with Locust and judge the SLOs.

    Target: OTP_BASE_URL, or the embedded reference service when it is unset. A target that is
    not on loopback is refused unless OTP_ALLOW_LOAD=1 or the profile allows it. With
    --arrival-rate, flows start on schedule (open model) and latency is also measured from each
    request's intended start (corrected for coordinated omission).
    With --baseline, the run is also compared with an earlier one: a figure that grew beyond
    --max-regression (and beyond both runs' 99% confidence intervals) fails it, named.
    With --abort-on-breach, a run whose SLO is breached beyond doubt stops early (exit 1, named);
    with --metrics-port, live Prometheus metrics are served at /metrics during the run.
    Exit 0: every SLO held (and nothing regressed); 1: an SLO was breached or a figure regressed
    (named); 2: the run could not be judged (an SLO without samples is never counted as held),
    also when interrupted (Ctrl-C, SIGTERM): Locust and the service are stopped and summary.json
    keeps the figures so far, marked "interrupted": true.
    """
    try:
        config = load_config(**settings)
        options = load_options(config, slo=slo, max_regression=max_regression)
        if not config.is_embedded:
            assert config.base_url is not None
            check_load_allowed(config.base_url, config)
        if config.fault and not config.is_embedded:
            raise ConfigError(f"--fault / OTP_FAULT={config.fault!r} breaks the embedded service only; unset OTP_BASE_URL or drop the fault")
        parse_faults(config.fault)
    except (ConfigError, LoadRefused, UnknownFault) as error:
        cannot_judge(str(error))
    paths = ReportPaths(config.reports_dir)
    allure_dir = config.allure_dir or paths.allure_results
    # An earlier gate's report would stand beside this run's results, showing its old verdict.
    paths.clear_gate_outputs()
    try:
        with signals_interrupt(), resolved_target(config, policy=EMBEDDED_LOAD_POLICY, fault=config.fault) as target:
            if config.is_embedded:
                click.echo(f"load: no OTP_BASE_URL; using the embedded reference service at {target.base_url}")
            outcome = run_load(target, options, reports_dir=config.reports_dir, allure_dir=allure_dir, echo=click.echo)
    except KeyboardInterrupt as interruption:
        summary = paths.load_summary
        kept = f', the figures so far are in {summary} (marked "interrupted": true)' if _marked_interrupted(summary) else ""
        cannot_judge(f"interrupted by {signal_name_of(interruption)}; Locust and the service are stopped{kept}")
    except (RuntimeError, TimeoutError) as error:
        cannot_judge(f"the embedded reference service did not start: {error}")
    except OSError as error:
        cannot_judge(f"the run could not write its results ({error}); check that OTP_REPORTS_DIR={config.reports_dir} is a writable folder")
    if outcome.exit_code == ExitCode.CANNOT_JUDGE:
        cannot_judge(outcome.reason)
    raise SystemExit(outcome.exit_code)


def _marked_interrupted(summary: Path) -> bool:
    """Whether ``summary`` is this run's, written when it was interrupted (not a finished run's from before)."""
    try:
        return json.loads(summary.read_text(encoding="utf-8")).get("interrupted") is True
    except (OSError, ValueError, AttributeError):
        return False
