"""``otp-suite contract`` (not built yet)."""

import click


@click.command()
def contract() -> None:
    """Not built yet."""
    raise SystemExit(2)
