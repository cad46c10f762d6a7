"""``otp-suite token``: print a token for the configured target, for curl, ``st run`` and Locust's web UI."""

from __future__ import annotations

import click

from otp_suite.cli.errors import usage_error
from otp_suite.cli.options import env_option, setting_option
from otp_suite.config import ConfigError, load_config


@click.command()
@env_option()
@setting_option("token_user_id", "--user-id")
@setting_option("token_client_id", "--client-id")
@setting_option("token_lifetime_s", "--lifetime", type=click.FloatRange(min=1))
def token(**settings: object) -> None:
    """Print a user token (the user-jwt-token header's value) minted with OTP_JWT_SECRET.

    The secret comes from OTP_JWT_SECRET (never an option, which ``ps`` shows); with only
    OTP_JWT_TOKEN configured, that token is printed. Use it as

      TOKEN=$(otp-suite token); curl -H "user-jwt-token: $TOKEN" ...
    """
    from fixtures.tokens import mint_token

    try:
        config = load_config(**settings)
    except ConfigError as error:
        usage_error(str(error))
    if config.jwt_secret:
        lifetime_s = int(config.token_lifetime_s)
        if config.token_client_id:
            click.echo(mint_token(config.jwt_secret, config.token_user_id, client_id=config.token_client_id, lifetime_s=lifetime_s))
        else:
            click.echo(mint_token(config.jwt_secret, config.token_user_id, lifetime_s=lifetime_s))
    elif config.jwt_token:
        click.echo(config.jwt_token)
    else:
        usage_error("OTP_JWT_SECRET is not set; set it to the target's signing secret (for `otp-suite serve`, the secret it was started with), e.g. export OTP_JWT_SECRET=$(openssl rand -hex 32)")
