"""How the CLI reports what stops a run: one ``otp-suite: ...`` line on stderr, exit code 2, no traceback."""

from __future__ import annotations

from typing import NoReturn

import click

from otp_suite.exit_codes import ExitCode


def cannot_judge(reason: str) -> NoReturn:
    """Print ``otp-suite: cannot judge: <reason>`` and exit 2."""
    click.echo(f"otp-suite: cannot judge: {reason}", err=True)
    raise SystemExit(ExitCode.CANNOT_JUDGE)


def usage_error(message: str) -> NoReturn:
    """Print ``otp-suite: <message>`` (a usage or configuration mistake) and exit 2."""
    click.echo(f"otp-suite: {message}", err=True)
    raise SystemExit(ExitCode.CANNOT_JUDGE)


def click_error(error: click.ClickException) -> NoReturn:
    """Click's own errors (bad option value, unknown option or command) as one ``otp-suite:`` line, exit 2.

    Click would print the usage, a hint and the error on three lines; a pipeline's log wants one.
    """
    context = getattr(error, "ctx", None)
    # The subcommand's path without the program's own name (which CliRunner calls "main").
    command = " ".join((context.command_path if context is not None else "").split()[1:])
    where = f"{command}: " if command else ""
    see = f" (see 'otp-suite {command + ' ' if command else ''}--help')"
    click.echo(f"otp-suite: {where}{error.format_message()}{see}", err=True)
    raise SystemExit(ExitCode.CANNOT_JUDGE)


def suite_crashed(error: BaseException) -> NoReturn:
    """A bug of the suite: the traceback goes to a private file, one line to stderr, exit 2."""
    import os
    import tempfile
    import traceback

    # The last net runs before (or without) a SuiteConfig, so the secrets are taken from where they come from.
    from otp_suite.redaction import REDACT as redact

    # The process-wide redactor knows the tokens this run minted; the configured values are added.
    redact.register(os.environ.get("OTP_JWT_SECRET"))
    redact.register(os.environ.get("OTP_JWT_TOKEN"))

    handle, path = tempfile.mkstemp(prefix="otp-suite-crash-", suffix=".txt")  # readable by this user only
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(redact("".join(traceback.format_exception(error))))
    first_line = redact((str(error).strip().splitlines() or [""])[0][:200])
    cannot_judge(f"the suite itself failed ({type(error).__name__}: {first_line}); this is a bug of otp-suite, the details are in {path}")
