"""Command-line options made from the settings model, so each option's variable, help and default
are the setting's own (otp_suite.config.SuiteConfig), and the values reach load_config unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from otp_suite.config import SETTINGS

F = TypeVar("F", bound=Callable[..., Any])


def setting_option(name: str, *param_decls: str, dest: str | None = None, **attrs: Any) -> Callable[[F], F]:
    """``click.option`` for the setting ``name`` (a SuiteConfig field): envvar, help and shown default from the model.

    The option's own default is None ("not given"), so the profile still applies; the value goes
    to :func:`otp_suite.config.load_config` as an override, through the setting's parser.
    ``dest`` names the command's parameter when it is not the field's name.
    """
    described = SETTINGS[name]
    # The default is the model's, shown in the help text: the option's own default stays None.
    attrs["help"] = f"{attrs.get('help', described.help)}  [default: {described.default_text}]"
    return click.option(*param_decls, dest or name, default=None, envvar=described.variable, show_envvar=True, **attrs)


def env_option() -> Callable[[F], F]:
    """``--env NAME``: the profile (OTP_ENV), on every command that reads configuration."""
    return setting_option("env_name", "--env", metavar="PROFILE")
