"""The ``otp-suite`` command line: one module per subcommand."""

from __future__ import annotations

from typing import Any

import click

from otp_suite import __version__
from otp_suite.cli.contract import contract
from otp_suite.cli.errors import click_error, suite_crashed
from otp_suite.cli.gate import gate
from otp_suite.cli.load import load
from otp_suite.cli.serve import serve
from otp_suite.cli.token import token


class _SuiteGroup(click.Group):
    """The command group; a usage error or a crash inside the suite ends in exit 2 and one line, never a traceback.

    A bug of the suite says nothing about the target, so it is "could not judge", not "failed".
    """

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as error:
            click_error(error)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except click.ClickException as error:
            click_error(error)
        except (click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as error:  # noqa: BLE001  # the last net: anything else is a bug of the suite
            suite_crashed(error)


@click.group(cls=_SuiteGroup, context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(__version__, prog_name="otp-suite")
def main() -> None:
    """Contract and load tests for an OTP authentication API.

    Every option can also be set with the OTP_* variable shown in its help, or in a profile
    (OTP_ENV names a table of environments.toml).
    """


main.add_command(serve)
main.add_command(contract)
main.add_command(load)
main.add_command(gate)
main.add_command(token)
