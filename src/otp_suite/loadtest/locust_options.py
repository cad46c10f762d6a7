"""The suite's settings on Locust's own command line and web UI, derived from their declaration.

``locust -f load/locustfile.py`` takes a few of the suite's settings as Locust options, so a run
started by hand or from the web UI can change them. Each option is made from its setting in
:class:`otp_suite.config.SuiteConfig` (variable, help text, default), and its value goes through
the setting's own parser into the run's configuration: one declaration, one precedence (profile <
variables < options), whichever way the run is started.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from otp_suite.config import SETTINGS, SuiteConfig
from otp_suite.setting import flag

#: Locust option -> the SuiteConfig field it sets. Adding one here is all the locustfile needs.
LOCUST_SETTINGS: dict[str, str] = {
    "--shape": "load_shape",
    "--shape-params": "load_shape_params",
    "--arrival-rate": "arrival_rate",
    "--max-flows": "arrival_max_flows",
    "--samples-csv": "load_samples_csv",
    "--abort-on-breach": "abort_on_breach",
    "--metrics-port": "metrics_port",
}


def _dest(option: str) -> str:
    """The attribute of Locust's parsed options that holds ``option``'s value."""
    return option.removeprefix("--").replace("-", "_")


def add_setting_arguments(parser: Any, *, choices: dict[str, list[str]] | None = None) -> None:
    """Add every option of :data:`LOCUST_SETTINGS` to Locust's argument ``parser``.

    The option's own default is None ("not given"), so the profile and the variables still apply;
    ``--help`` shows the setting's default. ``choices`` restricts an option's values (by option).
    """
    group = parser.add_argument_group("otp-suite")
    for option, name in LOCUST_SETTINGS.items():
        described = SETTINGS[name]
        # argparse formats help with %: a setting's "99%" would break --help.
        text = f"{described.help} ({described.variable}; default {described.default_text})".replace("%", "%%")
        if described.parse is flag:
            group.add_argument(option, action="store_true", default=None, env_var=described.variable, help=text)
        else:
            group.add_argument(option, default=None, env_var=described.variable, help=text, choices=(choices or {}).get(option))


def with_locust_options(config: SuiteConfig, parsed_options: Any) -> SuiteConfig:
    """``config`` with the values given as Locust options (command line or web UI) laid over it.

    Each value goes through its setting's parser (the web UI sends text); an option left unset
    keeps ``config``'s value. The resolved values are written back into ``parsed_options``, so the
    web UI shows, and Locust's own code reads, the value the run uses.
    Raises :class:`otp_suite.config.ConfigError` naming the setting and the fix.
    """
    changes: dict[str, Any] = {}
    for option, name in LOCUST_SETTINGS.items():
        given = getattr(parsed_options, _dest(option), None)
        if given is not None and given != "":
            described = SETTINGS[name]
            changes[name] = described.parse(described.variable, given)
    resolved = dataclasses.replace(config, **changes) if changes else config
    for option, name in LOCUST_SETTINGS.items():
        setattr(parsed_options, _dest(option), getattr(resolved, name))
    return resolved
