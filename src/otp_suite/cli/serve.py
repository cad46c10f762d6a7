"""``otp-suite serve``: run the reference service in the foreground."""

from __future__ import annotations

import os

import click

from otp_suite.cli.errors import cannot_judge
from otp_suite.cli.options import env_option, setting_option
from otp_suite.config import ConfigError, is_loopback_url, load_config
from otp_suite.service import ServiceSettings, create_app
from otp_suite.service.faults import UnknownFault, parse_faults
from otp_suite.service.server import serve as serve_forever
from otp_suite.service.server import serve_with_granian


@click.command()
@env_option()
@setting_option("serve_host", "--host", dest="host")
@setting_option("serve_port", "--port", dest="port", type=click.IntRange(0, 65535))
@setting_option("serve_inbox", "--inbox/--no-inbox", dest="inbox")
@setting_option("fault", "--fault", help="Break rules on purpose: comma-separated names from the fault catalog (see --list-faults).")
@setting_option("serve_server", "--server", dest="server_name", type=click.Choice(["granian", "uvicorn"]))
@click.option("--list-faults", is_flag=True, help="Print the fault catalog and exit.")
def serve(env_name: str | None, host: str | None, port: int | None, inbox: bool | None, fault: str | None, server_name: str | None, list_faults: bool) -> None:
    """Run the reference OTP service (policy from OTP_TTL_S and friends, secret from OTP_JWT_SECRET).

    OTP_FIXED_CODE makes every OTP that fixed code, like many stage environments.
    """
    from otp_suite.service.faults import CATALOG

    if list_faults:
        for name, rule in CATALOG.items():
            click.echo(f"{name:26} {rule}")
        return
    try:
        config = load_config(env_name=env_name, serve_host=host, serve_port=port, serve_inbox=inbox, fault=fault, serve_server=server_name)
        faults = parse_faults(config.fault)
    except (ConfigError, UnknownFault) as error:
        cannot_judge(str(error))
    if not config.jwt_secret:
        cannot_judge("OTP_JWT_SECRET is not set; the service needs it to check tokens (e.g. OTP_JWT_SECRET=$(openssl rand -hex 32))")
    host, port, inbox = config.serve_host, config.serve_port, config.serve_inbox
    if not is_loopback_url(f"http://{host}/"):
        click.echo(f"warning: binding {host}, not loopback; the test inbox exposes OTPs to anyone who can reach it", err=True)
    settings = ServiceSettings(jwt_secret=config.jwt_secret, policy=config.policy, inbox_enabled=inbox, fixed_code=config.fixed_code, faults=faults)
    announce = lambda line: click.echo(line, nl=True)  # click.echo flushes, so a parent sees the URL at once
    try:
        if config.serve_server == "granian":
            # The worker process builds the app from the same, now validated, configuration.
            resolved = config.to_environment()
            for variable in [name for name in os.environ if name.startswith("OTP_")]:
                del os.environ[variable]
            os.environ.update(resolved)
            serve_with_granian(host, port, announce=announce)
        else:
            serve_forever(create_app(settings), host, port, announce=announce)
    except OSError as error:
        cannot_judge(f"cannot bind {host}:{port} ({error.strerror}); pick another --port / OTP_SERVE_PORT")
