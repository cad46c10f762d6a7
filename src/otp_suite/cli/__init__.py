"""The ``otp-suite`` command line: one module per subcommand."""

from __future__ import annotations

import click

from otp_suite import __version__
from otp_suite.cli.contract import contract
from otp_suite.cli.gate import gate
from otp_suite.cli.load import load
from otp_suite.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
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
