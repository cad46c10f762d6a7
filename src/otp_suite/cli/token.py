"""``otp-suite token``: print a token for the configured target, for curl, ``st run`` and Locust's web UI."""

from __future__ import annotations

import click

from otp_suite.cli.errors import usage_error
from otp_suite.cli.options import env_option, setting_option
from otp_suite.config import ConfigError, load_config

#: HS256's shortest key (RFC 7518, section 3.2): the README's "at least 32 bytes".
MIN_SECRET_BYTES = 32


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
    from otp_suite.testdata.tokens import mint_token

    try:
        config = load_config(**settings)
    except ConfigError as error:
        usage_error(str(error))
    if config.jwt_secret and len(config.jwt_secret.encode()) < MIN_SECRET_BYTES:
        # A token it printed would work against the embedded service, and teach a secret HS256 calls too weak (RFC 7518).
        usage_error(f"OTP_JWT_SECRET is {len(config.jwt_secret.encode())} bytes; HS256 needs at least {MIN_SECRET_BYTES}: use the target's real secret, or make one with export OTP_JWT_SECRET=$(openssl rand -hex 32)")
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
