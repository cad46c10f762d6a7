"""The ``otp-suite`` command line: one module per subcommand."""

from __future__ import annotations

import importlib
from typing import Any

import click

from otp_suite import __version__
from otp_suite.cli.errors import click_error, suite_crashed

#: Subcommand name -> the module that defines it (a command of that name). Imported when used:
#: ``otp-suite contract`` need not pay for the load runner's imports, and the other way round.
SUBCOMMANDS = {name: f"otp_suite.cli.{name}" for name in ("serve", "contract", "load", "gate", "token")}


class _SuiteGroup(click.Group):
    """The command group; a usage error or a crash inside the suite ends in exit 2 and one line, never a traceback.

    A bug of the suite says nothing about the target, so it is "could not judge", not "failed".
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The subcommands, in the order ``--help`` lists them."""
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The subcommand ``cmd_name``, its module imported now; None for an unknown name."""
        module = SUBCOMMANDS.get(cmd_name)
        if module is None:
            return None
        command = getattr(importlib.import_module(module), cmd_name)
        assert isinstance(command, click.Command)
        return command

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
