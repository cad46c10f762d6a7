"""``otp-suite contract``: hold a target to the contract; exit 0 (holds), 1 (broken), 2 (cannot judge)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click

from otp_suite.cli.errors import EXIT_CANNOT_JUDGE, cannot_judge
from otp_suite.config import ConfigError, load_config
from otp_suite.interruption import signal_name_of, signals_interrupt
from otp_suite.report.paths import ReportPaths

#: option name -> the OTP_* variable it sets (validated by load_config like the variable itself)
_OPTION_VARIABLES = {
    "base_url": "OTP_BASE_URL",
    "env_name": "OTP_ENV",
    "seed": "OTP_SEED",
    "max_examples": "OTP_MAX_EXAMPLES",
    "max_wait": "OTP_MAX_WAIT_S",
    "spec": "OTP_SPEC",
    "reports_dir": "OTP_REPORTS_DIR",
    "inbox_url": "OTP_INBOX_URL",
    "fixed_code": "OTP_FIXED_CODE",
    "request_timeout": "OTP_REQUEST_TIMEOUT_S",
}


@click.command()
@click.option("--base-url", envvar="OTP_BASE_URL", show_envvar=True, help="Target base URL; unset runs the embedded reference service.")
@click.option("--env", "env_name", envvar="OTP_ENV", show_envvar=True, help="Profile name in environments.toml; variables and options override it.")
@click.option("--seed", envvar="OTP_SEED", show_envvar=True, help="Seed of the generated cases; the run prints the one it used, so a failure can be replayed.")
@click.option("--max-examples", envvar="OTP_MAX_EXAMPLES", show_envvar=True, help="Schemathesis fuzzing examples per operation (default 30).")
@click.option("--max-wait", envvar="OTP_MAX_WAIT_S", show_envvar=True, help="Longest wait for the target's clock (lifetime, cooldown) before a test is skipped, seconds.")
@click.option("--inbox-url", envvar="OTP_INBOX_URL", show_envvar=True, help="Test inbox URL (default <base>/__test__/otp).")
@click.option("--fixed-code", envvar="OTP_FIXED_CODE", show_envvar=True, help="The environment's fixed test OTP, when it has no inbox.")
@click.option("--request-timeout", envvar="OTP_REQUEST_TIMEOUT_S", show_envvar=True, help="Seconds to wait for each answer of the target (default 10).")
@click.option("--verify-tls/--no-verify-tls", default=None, envvar="OTP_VERIFY_TLS", show_envvar=True, help="Check the target's TLS certificate (default on); turn off only for a self-signed test target.")
@click.option("--spec", envvar="OTP_SPEC", show_envvar=True, help="OpenAPI file (default openapi.yaml of the project).")
@click.option("--select", "-k", "select", envvar="OTP_CONTRACT_SELECT", show_envvar=True, help="Run only the tests matching this pytest -k expression, e.g. 'security' or 'lockout'.")
@click.option("--reports-dir", envvar="OTP_REPORTS_DIR", show_envvar=True, help="Where Allure results (allure-results/) and JUnit XML (contract/junit.xml) go.")
def contract(select: str | None, verify_tls: bool | None, **options: str | None) -> None:
    """Run the contract suite (Schemathesis, scenario flows, security checks) against a target.

    Secrets come from OTP_JWT_SECRET or OTP_JWT_TOKEN only (never options, which ``ps`` shows).
    Exit 0: every check held; 1: the target breaks the contract; 2: the run could not judge,
    also when interrupted (Ctrl-C, SIGTERM): the children are stopped and the results so far kept.
    """
    from otp_suite.contract.runner import run_contract
    from otp_suite.target import resolved_target

    environ = dict(os.environ)
    environ.update({_OPTION_VARIABLES[name]: str(value) for name, value in options.items() if value is not None})
    if verify_tls is not None:
        environ["OTP_VERIFY_TLS"] = "1" if verify_tls else "0"
    try:
        config = load_config(environ)
    except ConfigError as error:
        cannot_judge(str(error))
    paths = ReportPaths(Path(config.reports_dir))
    allure_dir = paths.allure_results
    # A fresh run's results only: Allure would merge stale results of earlier runs into the report.
    shutil.rmtree(allure_dir, ignore_errors=True)
    junit_path = paths.contract_junit
    try:
        with signals_interrupt(), resolved_target(config) as resolved:
            outcome = run_contract(
                resolved,
                allure_dir=allure_dir,
                junit_path=junit_path,
                echo=click.echo,
                pytest_args=("-k", select) if select else (),
            )
    except KeyboardInterrupt as interruption:
        kept = f"; the results so far are kept in {allure_dir}, marked 'contract run interrupted'" if any(allure_dir.glob("*-result.json")) else " before any contract test ran"
        cannot_judge(f"interrupted by {signal_name_of(interruption)}{kept}")
    except (RuntimeError, TimeoutError, OSError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        if not config.is_embedded and isinstance(error, OSError):
            # With a configured target nothing is started: an OSError is the reports folder or the system.
            cannot_judge(f"the run could not write or start what it needs ({detail}); check that OTP_REPORTS_DIR={paths.root} is a writable folder")
        cannot_judge(f"the embedded reference service did not start ({detail})")
    if outcome.exit_code == EXIT_CANNOT_JUDGE:
        cannot_judge(outcome.reason or "unknown reason")
    click.echo(outcome.summary())
    raise SystemExit(outcome.exit_code)
