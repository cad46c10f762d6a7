"""Load is for loopback targets, unless the environment says it may take it."""

from __future__ import annotations

from otp_suite.config import SuiteConfig, is_loopback_url


class LoadRefused(Exception):
    """The target may not be load-tested; ``str()`` says why and how to allow it."""


def check_load_allowed(url: str, config: SuiteConfig) -> None:
    """Raise :class:`LoadRefused` unless ``url`` is on loopback or ``config.allow_load`` is set.

    ``OTP_ALLOW_LOAD=1`` (or ``allow_load = true`` in the OTP_ENV profile) allows other hosts.
    """
    if not url:
        raise LoadRefused("no target to load: set OTP_BASE_URL (or leave it unset for the embedded service)")
    if is_loopback_url(url) or config.allow_load:
        return
    raise LoadRefused(f"refusing to load-test {url}: it is not a loopback address; set OTP_ALLOW_LOAD=1 (or allow_load = true in the OTP_ENV profile) if this environment may take load")
