"""``otp-suite gate``: may this build go to stage? The command line of :mod:`otp_suite.gating`.

Exit 0 when every check and SLO holds, 1 when the target breaks the contract or an SLO, 2 when
the run could not judge (bad configuration, unreachable target, interrupted, no report).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from otp_suite.cli.errors import EXIT_PASSED, cannot_judge
from otp_suite.config import ConfigError, load_config
from otp_suite.gating import GateCannotStart, GateOptions, run_gate
from otp_suite.interruption import signals_interrupt


@click.command()
@click.option("--base-url", default=None, envvar="OTP_BASE_URL", show_envvar=True, help="The environment to gate, e.g. https://stage.example.com. Unset: the embedded reference service.")
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path), default=None, envvar="OTP_REPORTS_DIR", show_envvar=True, help="Where every output goes: allure-results/, allure-report/index.html, contract/junit.xml, load/, logs/.  [default: reports/]")
@click.option("--history-dir", type=click.Path(file_okay=False, path_type=Path), default=None, envvar="OTP_REPORT_HISTORY", show_envvar=True, help="Report history kept across runs for trends; cache it in CI.  [default: <reports-dir>/history]")
@click.option("--load/--no-load", "with_load", default=True, envvar="OTP_GATE_LOAD", show_envvar=True, help="Run the load smoke and its SLOs after the contract suite.")
@click.option("--smoke-users", type=click.IntRange(1, 200), default=5, envvar="OTP_GATE_SMOKE_USERS", show_envvar=True, help="Concurrent users of the load smoke.")
@click.option("--smoke-run-time", type=click.FloatRange(1, 600), default=15.0, envvar="OTP_GATE_SMOKE_RUN_TIME", show_envvar=True, help="Seconds the load smoke runs.")
@click.option("--arrival-rate", type=click.FloatRange(min=0), default=0.0, envvar="OTP_ARRIVAL_RATE", show_envvar=True, help="Run the load smoke in the open model at this many flows per second; its latency SLOs then judge percentiles corrected for coordinated omission (0: closed model of --smoke-users).")
@click.option("--report/--no-report", "with_report", default=True, envvar="OTP_GATE_REPORT", show_envvar=True, help="Build the single-file HTML report (needs Node.js and `npm ci`).")
def gate(base_url: str | None, reports_dir: Path | None, history_dir: Path | None, with_load: bool, smoke_users: int, smoke_run_time: float, arrival_rate: float, with_report: bool) -> None:
    """Gate a deployment: contract suite, then a short load smoke with SLOs, then one report.

    Runs against OTP_BASE_URL, or the embedded reference service when it is unset.
    Exit 0: all checks and SLOs hold; 1: the target fails the contract or an SLO; 2: could not judge,
    also when interrupted (Ctrl-C, SIGTERM; 1 if a step had already found a failure): the steps'
    processes are stopped, the results so far are marked interrupted and the report is built from them.
    """
    environ = dict(os.environ)
    if base_url:
        environ["OTP_BASE_URL"] = base_url
    try:
        config = load_config(environ, reports_dir=reports_dir)
    except ConfigError as error:
        cannot_judge(str(error))
    options = GateOptions(with_load=with_load, smoke_users=smoke_users, smoke_run_time_s=smoke_run_time, arrival_rate=arrival_rate, with_report=with_report, history_dir=history_dir)
    # Ctrl-C or SIGTERM: the steps' children are stopped on the way out, the results so far are
    # marked interrupted, and the report is still built from them (exit 2: could not judge).
    try:
        with signals_interrupt():
            run = run_gate(config, options, say=click.echo, warn=lambda line: click.echo(line, err=True))
    except GateCannotStart as error:
        cannot_judge(str(error))
    if run.exit_code != EXIT_PASSED:
        click.echo(run.closing_diagnosis(), err=True)
    raise SystemExit(run.exit_code)
