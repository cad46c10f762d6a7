"""``otp-suite gate``: may this build go to stage? The command line of :mod:`otp_suite.gating`.

Exit 0 when every check and SLO holds, 1 when the target breaks the contract or an SLO, 2 when
the run could not judge (bad configuration, unreachable target, interrupted, no report).
"""

from __future__ import annotations

from pathlib import Path

import click

from otp_suite.cli.errors import cannot_judge
from otp_suite.cli.options import env_option, setting_option
from otp_suite.config import ConfigError, load_config
from otp_suite.exit_codes import ExitCode
from otp_suite.gating import GateCannotStart, run_gate
from otp_suite.interruption import signals_interrupt


@click.command()
@env_option()
@setting_option("base_url", "--base-url", help="The environment to gate, e.g. https://stage.example.com. Unset: the embedded reference service.")
@setting_option("reports_dir", "--reports-dir", type=click.Path(file_okay=False, path_type=Path), help="Where every output goes: allure-results/, allure-report/index.html, contract/junit.xml, load/, logs/.")
@setting_option("report_history", "--history-dir", dest="history_dir", type=click.Path(file_okay=False, path_type=Path))
@setting_option("contract_depth", "--depth", dest="depth", type=click.Choice(["quick", "full"]))
@setting_option("gate_load", "--load/--no-load", dest="with_load")
@setting_option("gate_smoke_users", "--smoke-users", dest="smoke_users", type=click.IntRange(1, 200))
@setting_option("gate_smoke_run_time", "--smoke-run-time", dest="smoke_run_time", type=click.FloatRange(1, 600))
@setting_option(
    "arrival_rate",
    "--arrival-rate",
    type=click.FloatRange(min=0),
    help="Run the load smoke in the open model at this many flows per second; its latency SLOs then judge percentiles corrected for coordinated omission (0: closed model of --smoke-users).",
)
@setting_option("gate_report", "--report/--no-report", dest="with_report")
def gate(
    env_name: str | None,
    base_url: str | None,
    reports_dir: Path | None,
    history_dir: Path | None,
    depth: str | None,
    with_load: bool | None,
    smoke_users: int | None,
    smoke_run_time: float | None,
    arrival_rate: float | None,
    with_report: bool | None,
) -> None:
    """Gate a deployment: contract suite, then a short load smoke with SLOs, then one report.

    Runs against OTP_BASE_URL, or the embedded reference service when it is unset.
    Exit 0: all checks and SLOs hold; 1: the target fails the contract or an SLO; 2: could not judge,
    also when interrupted (Ctrl-C, SIGTERM; 1 if a step had already found a failure): the steps'
    processes are stopped, the results so far are marked interrupted and the report is built from them.
    """
    try:
        config = load_config(
            env_name=env_name, base_url=base_url, reports_dir=reports_dir, report_history=history_dir, contract_depth=depth,
            gate_load=with_load, gate_smoke_users=smoke_users, gate_smoke_run_time=smoke_run_time, arrival_rate=arrival_rate,
            gate_report=with_report,
        )  # fmt: skip
    except ConfigError as error:
        cannot_judge(str(error))
    # Ctrl-C or SIGTERM: the steps' children are stopped on the way out, the results so far are
    # marked interrupted, and the report is still built from them (exit 2: could not judge).
    try:
        with signals_interrupt():
            run = run_gate(config, say=click.echo, warn=lambda line: click.echo(line, err=True))
    except GateCannotStart as error:
        cannot_judge(str(error))
    if run.exit_code != ExitCode.HOLDS:
        click.echo(run.closing_diagnosis(), err=True)
    raise SystemExit(run.exit_code)
