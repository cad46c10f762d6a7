"""How the CLI reports a run it could not judge: one line on stderr, exit code 2, no traceback."""

from __future__ import annotations

import click

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_CANNOT_JUDGE = 2


def cannot_judge(reason: str) -> "NoReturn":  # type: ignore[name-defined]  # noqa: F821
    """Print ``otp-suite: cannot judge: <reason>`` and exit 2."""
    click.echo(f"otp-suite: cannot judge: {reason}", err=True)
    raise SystemExit(EXIT_CANNOT_JUDGE)
