"""How the CLI reports a run it could not judge: one line on stderr, exit code 2, no traceback."""

from __future__ import annotations

from typing import NoReturn

import click

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_CANNOT_JUDGE = 2


def cannot_judge(reason: str) -> NoReturn:
    """Print ``otp-suite: cannot judge: <reason>`` and exit 2."""
    click.echo(f"otp-suite: cannot judge: {reason}", err=True)
    raise SystemExit(EXIT_CANNOT_JUDGE)


def suite_crashed(error: BaseException) -> NoReturn:
    """A bug of the suite: the traceback goes to a private file, one line to stderr, exit 2."""
    import os
    import tempfile
    import traceback

    # The last net runs before (or without) a SuiteConfig, so the secrets are taken from where they come from.
    secrets = [value for value in (os.environ.get("OTP_JWT_SECRET"), os.environ.get("OTP_JWT_TOKEN")) if value]

    def redact(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "[redacted]")
        return text

    handle, path = tempfile.mkstemp(prefix="otp-suite-crash-", suffix=".txt")  # readable by this user only
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(redact("".join(traceback.format_exception(error))))
    first_line = redact((str(error).strip().splitlines() or [""])[0][:200])
    cannot_judge(f"the suite itself failed ({type(error).__name__}: {first_line}); this is a bug of otp-suite, the details are in {path}")
