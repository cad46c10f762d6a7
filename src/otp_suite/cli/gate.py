"""``otp-suite gate`` (not built yet)."""

import click


@click.command()
def gate() -> None:
    """Not built yet."""
    raise SystemExit(2)
