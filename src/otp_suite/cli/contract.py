"""``otp-suite contract``: hold a target to the contract; exit 0 (holds), 1 (broken), 2 (cannot judge)."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from otp_suite.cli.errors import cannot_judge
from otp_suite.cli.options import env_option, setting_option
from otp_suite.config import ConfigError, load_config
from otp_suite.exit_codes import ExitCode
from otp_suite.interruption import signal_name_of, signals_interrupt
from otp_suite.report.paths import ReportPaths
from otp_suite.report.results_writer import RESULT_SUFFIX


@click.command()
@setting_option("base_url", "--base-url")
@env_option()
@setting_option("seed", "--seed")
@setting_option("max_examples", "--max-examples")
@setting_option("max_wait_s", "--max-wait")
@setting_option("inbox_url", "--inbox-url")
@setting_option("fixed_code", "--fixed-code")
@setting_option("request_timeout_s", "--request-timeout")
@setting_option("verify_tls", "--verify-tls/--no-verify-tls")
@setting_option("ca_bundle", "--ca-bundle", metavar="PEM_FILE")
@setting_option("spec_path", "--spec")
@setting_option("contract_depth", "--depth", type=click.Choice(["quick", "full"]))
@setting_option("contract_select", "--select", "-k")
@setting_option("reports_dir", "--reports-dir", help="Where every output goes: allure-results/, contract/junit.xml, logs/.")
def contract(**options: object) -> None:
    """Run the contract suite (Schemathesis, scenario flows, security checks) against a target.

    Secrets come from OTP_JWT_SECRET or OTP_JWT_TOKEN only (never options, which ``ps`` shows).
    Exit 0: every check held; 1: the target breaks the contract; 2: the run could not judge,
    also when interrupted (Ctrl-C, SIGTERM): the children are stopped and the results so far kept.
    """
    from otp_suite.contract.runner import run_contract
    from otp_suite.target import resolved_target

    try:
        config = load_config(**options)
    except ConfigError as error:
        cannot_judge(str(error))
    paths = ReportPaths(Path(config.reports_dir))
    allure_dir = paths.allure_results
    # A fresh run's results only: Allure would merge stale results of earlier runs into the report,
    # and an earlier gate's report would stand beside them showing its old failures.
    shutil.rmtree(allure_dir, ignore_errors=True)
    paths.clear_gate_outputs()
    junit_path = paths.contract_junit
    try:
        with signals_interrupt(), resolved_target(config) as resolved:
            outcome = run_contract(
                resolved,
                allure_dir=allure_dir,
                junit_path=junit_path,
                echo=click.echo,
            )
    except KeyboardInterrupt as interruption:
        kept = f"; the results so far are kept in {allure_dir}, marked 'contract run interrupted'" if any(allure_dir.glob(f"*{RESULT_SUFFIX}")) else " before any contract test ran"
        cannot_judge(f"interrupted by {signal_name_of(interruption)}{kept}")
    except (RuntimeError, TimeoutError, OSError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        if not config.is_embedded and isinstance(error, OSError):
            # With a configured target nothing is started: an OSError is the reports folder or the system.
            cannot_judge(f"the run could not write or start what it needs ({detail}); check that OTP_REPORTS_DIR={paths.root} is a writable folder")
        cannot_judge(f"the embedded reference service did not start ({detail})")
    if outcome.exit_code == ExitCode.CANNOT_JUDGE:
        cannot_judge(outcome.reason or "unknown reason")
    for line in outcome.skip_report():
        click.echo(line)
    click.echo(outcome.summary())
    raise SystemExit(outcome.exit_code)
