"""Waiting for something to become true with a deadline, instead of sleeping for a guessed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll_until(probe: Callable[[], T | None], *, deadline_s: float, what: str, interval_s: float = 0.05, retry_on: tuple[type[BaseException], ...] = ()) -> T:
    """Call ``probe`` until it returns a truthy value and return that value.

    An exception in ``retry_on`` counts as "not yet". Raises :class:`TimeoutError` naming ``what``
    when ``deadline_s`` seconds pass first. ``interval_s`` is the polling interval, not a wait
    for anything: the condition itself decides.
    """
    give_up = time.monotonic() + deadline_s
    while True:
        try:
            value = probe()
        except retry_on:
            value = None
        if value:
            return value
        if time.monotonic() > give_up:
            raise TimeoutError(f"{what} did not happen within {deadline_s:g} s")
        time.sleep(interval_s)
