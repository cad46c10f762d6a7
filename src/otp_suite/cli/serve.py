"""``otp-suite serve``: run the reference service in the foreground."""

from __future__ import annotations

import os

import click

from otp_suite.cli.errors import cannot_judge
from otp_suite.config import ConfigError, is_loopback_url, load_config
from otp_suite.service import ServiceSettings, create_app
from otp_suite.service.faults import UnknownFault, parse_faults
from otp_suite.service.asgi import INBOX_VARIABLE
from otp_suite.service.server import serve as serve_forever
from otp_suite.service.server import serve_with_granian


@click.command()
@click.option("--host", default="127.0.0.1", envvar="OTP_SERVE_HOST", show_envvar=True, help="Address to bind; loopback unless you mean to expose it.")
@click.option("--port", default=8000, type=click.IntRange(0, 65535), envvar="OTP_SERVE_PORT", show_envvar=True, help="Port to bind; 0 picks an unused one.")
@click.option("--inbox/--no-inbox", default=True, envvar="OTP_SERVE_INBOX", show_envvar=True, help="Expose the test inbox GET /__test__/otp.")
@click.option("--fault", default="", envvar="OTP_FAULT", show_envvar=True, help="Break rules on purpose: comma-separated names from the fault catalog (see --list-faults).")
@click.option("--server", "server_name", type=click.Choice(["granian", "uvicorn"]), default="granian", envvar="OTP_SERVE_SERVER", show_envvar=True, help="HTTP server; granian measured ~1.5x uvicorn's throughput here (benchmarks/bench_server_stack.py).")
@click.option("--list-faults", is_flag=True, help="Print the fault catalog and exit.")
def serve(host: str, port: int, inbox: bool, fault: str, server_name: str, list_faults: bool) -> None:
    """Run the reference OTP service (policy from OTP_TTL_S and friends, secret from OTP_JWT_SECRET).

    OTP_FIXED_CODE makes every OTP that fixed code, like many stage environments.
    """
    from otp_suite.service.faults import CATALOG

    if list_faults:
        for name, rule in CATALOG.items():
            click.echo(f"{name:26} {rule}")
        return
    try:
        config = load_config()
        faults = parse_faults(fault)
    except (ConfigError, UnknownFault) as error:
        cannot_judge(str(error))
    if not config.jwt_secret:
        cannot_judge("OTP_JWT_SECRET is not set; the service needs it to check tokens (e.g. OTP_JWT_SECRET=$(openssl rand -hex 32))")
    if not is_loopback_url(f"http://{host}/"):
        click.echo(f"warning: binding {host}, not loopback; the test inbox exposes OTPs to anyone who can reach it", err=True)
    settings = ServiceSettings(jwt_secret=config.jwt_secret, policy=config.policy, inbox_enabled=inbox, fixed_code=config.fixed_code, faults=faults)
    announce = lambda line: click.echo(line, nl=True)  # noqa: E731 - click.echo flushes, so a parent sees the URL at once
    try:
        if server_name == "granian":
            # The worker process builds the app from the same, now validated, variables.
            os.environ["OTP_FAULT"] = fault
            os.environ[INBOX_VARIABLE] = "1" if inbox else "0"
            serve_with_granian(host, port, announce=announce)
        else:
            serve_forever(create_app(settings), host, port, announce=announce)
    except OSError as error:
        cannot_judge(f"cannot bind {host}:{port} ({error.strerror}); pick another --port / OTP_SERVE_PORT")
