"""What one ``OTP_*`` setting is: its variable, parser, default, help text and how it travels.

A setting is declared once, as a field of a frozen dataclass (:class:`otp_suite.config.SuiteConfig`,
or :class:`otp_suite.policy.OtpPolicy` for the target's policy) made with :func:`setting`. Everything
else is derived from that one declaration: the profile key, the parsing of profile and variable
values, the CLI option's ``envvar=``/help/default, and the variables handed to child processes.

Why a small table of our own rather than pydantic-settings: the configuration must stay a plain
frozen dataclass that the service, the locustfile and the contract children rebuild from
variables, every error must be one line naming the variable and the fix, and profiles are TOML
tables keyed by lower-case names; a field's metadata carries all of that in a few lines.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: A parser gets the setting's name (for the message) and the raw value (text, or a TOML value).
Parser = Callable[[str, object], Any]

PREFIX = "OTP_"


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names it and the fix."""


@dataclass(frozen=True)
class Setting:
    """One ``OTP_*`` setting: everything about it except its Python type, which is the field's."""

    variable: str
    help: str
    parse: Parser
    #: How ``--help`` and the README show the default (the field's own default is the value).
    default_text: str
    #: False for settings that choose the profile (OTP_ENV, OTP_PROFILE_FILE): a profile cannot set
    #: them and children do not get them (the profile is already applied).
    in_profile: bool = True
    #: Values the suite must never print (secrets, tokens).
    secret: bool = False

    @property
    def profile_key(self) -> str:
        """The key in an ``environments.toml`` table: the variable without ``OTP_``, lower case."""
        return self.variable.removeprefix(PREFIX).lower()

    def to_text(self, value: object) -> str | None:
        """``value`` as the variable's text for a child process; None (not passed on) when unset."""
        return as_text(value)


def as_text(value: object) -> str | None:
    """A setting's value as the text of its variable, read back to the same value; None when unset."""
    if value is None or value == "" or value == ():
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        # repr round-trips exactly; an integral float is written as the integer people type.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def setting(variable: str, default: Any, parse: Parser, help: str, *, default_text: str | None = None, in_profile: bool = True, secret: bool = False) -> Any:  # noqa: A002 - "help" is click's word
    """A dataclass field declaring the setting ``variable`` (see the module docstring)."""
    described = Setting(
        variable=variable,
        help=help,
        parse=parse,
        default_text=default_text if default_text is not None else (as_text(default) or "unset"),
        in_profile=in_profile,
        secret=secret,
    )
    return dataclasses.field(default=default, repr=not secret, metadata={"setting": described})


def settings_of(cls: type) -> Iterator[tuple[str, Setting]]:
    """``(field name, Setting)`` for every field of the dataclass ``cls`` declared with :func:`setting`."""
    for item in dataclasses.fields(cls):
        described = item.metadata.get("setting")
        if described is not None:
            yield item.name, described


# Parsers: each takes the setting's name and a raw value, returns the typed value or raises
# ConfigError naming the setting, the value and how to write it.


def text(name: str, value: object) -> str:
    """Any text, as given."""
    return str(value)


def number(name: str, value: object) -> float:
    """A number of seconds or a count, zero or more."""
    try:
        result = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{name}={value!r} is not a number; set it to seconds or a count, e.g. {name}=30") from None
    if result < 0 or math.isnan(result):
        raise ConfigError(f"{name}={value!r} must be zero or positive")
    return result


def whole(name: str, value: object) -> int:
    """A whole number, zero or more."""
    result = number(name, value)
    if result != int(result):
        raise ConfigError(f"{name}={value!r} must be a whole number")
    return int(result)


def port(name: str, value: object) -> int:
    """A TCP port, 0 (pick an unused one) to 65535."""
    result = whole(name, value)
    if result > 65535:
        raise ConfigError(f"{name}={value!r} is not a port; use 1 to 65535 (0 picks an unused one)")
    return result


def flag(name: str, value: object) -> bool:
    """A yes/no value: 1/0, true/false, yes/no, on/off."""
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name}={value!r} is not a yes/no value; use 1 or 0")


def words(name: str, value: object) -> tuple[str, ...]:
    """A list: a TOML array, or text separated by commas or spaces."""
    items = value if isinstance(value, (list, tuple)) else re.split(r"[,\s]+", str(value))
    return tuple(str(item).strip() for item in items if str(item).strip())


def path(name: str, value: object) -> Path:
    """A file or folder path."""
    return Path(str(value))


def http_url(name: str, value: object) -> str:
    """An http(s) URL with a host; a trailing slash is dropped."""
    from urllib.parse import urlsplit

    stripped = str(value).strip().rstrip("/")
    parts = urlsplit(stripped)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"{name}={value!r} is not an http(s) URL; use e.g. {name}=https://stage.example.com")
    return stripped


def one_of(*choices: str) -> Parser:
    """A parser accepting exactly one of ``choices``."""

    def parse(name: str, value: object) -> str:
        chosen = str(value).strip()
        if chosen not in choices:
            raise ConfigError(f"{name}={value!r} is not one of {', '.join(choices)}")
        return chosen

    return parse
