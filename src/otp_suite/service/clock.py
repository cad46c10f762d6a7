"""Clocks for the reference service: the real one, and one that tests move by hand."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Returns the current time in seconds since the epoch (JWT claims use the same scale)."""

    def __call__(self) -> float: ...


def system_clock() -> float:
    """The wall clock."""
    return time.time()


class ManualClock:
    """A clock that stands still until :meth:`advance` moves it; lets tests skip OTP lifetimes."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        with self._lock:
            self._now += seconds
