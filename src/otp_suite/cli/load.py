"""``otp-suite load`` (not built yet)."""

import click


@click.command()
def load() -> None:
    """Not built yet."""
    raise SystemExit(2)
