"""Ctrl-C and SIGTERM: a run stops, stops its children and keeps what it has, without a traceback.

A command runs inside :func:`signals_interrupt`: SIGINT and SIGTERM both raise
:class:`RunInterrupted` (a ``KeyboardInterrupt``) in the main thread, so every ``finally`` and
context manager on the way out runs and stops the child processes (pytest, Locust, the embedded
service). Code that stops a child or scrubs secrets runs inside :func:`signals_held`, so a second
Ctrl-C cannot cut it half way and leave a process running or a token in a report.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator, Mapping

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunInterrupted(KeyboardInterrupt):
    """The run was stopped by a signal; ``signal_name`` is ``SIGINT`` or ``SIGTERM``."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


def signal_name_of(interruption: BaseException) -> str:
    """``SIGINT`` or ``SIGTERM`` for an interruption (a bare KeyboardInterrupt is Ctrl-C)."""
    return getattr(interruption, "signal_name", "SIGINT")


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise :class:`RunInterrupted` (main thread only)."""
    if not _in_main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise RunInterrupted(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, interrupt) for sig in _SIGNALS}
    try:
        yield
    finally:
        _restore(previous)


@contextlib.contextmanager
def signals_held(*, deliver: bool = True) -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then deliver the first one held.

    Held signals are dropped when the block ends with an exception (usually the interruption
    being handled: the run is stopping already) or when ``deliver`` is False (a last, bounded
    step such as the final scrub and summary, which must not be cut).
    """
    if not _in_main_thread():
        yield
        return
    held: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: held.append(signum)) for sig in _SIGNALS}
    try:
        yield
    except BaseException:
        _restore(previous)
        raise
    _restore(previous)
    if held and deliver:
        signal.raise_signal(held[0])


def _restore(previous: Mapping[signal.Signals, object]) -> None:
    for sig, handler in previous.items():
        # None: a handler installed outside Python; the default is the closest to it.
        signal.signal(sig, signal.SIG_DFL if handler is None else handler)  # type: ignore[arg-type]
