"""Why a contract check was skipped, as one of a few causes the verdict groups skips by.

A skip is never the target's doing: a check whose skip would hang on the target's own answer fails
instead (issue 22). What is left are skips the run's configuration or its own timing causes, and
each says which, as a ``[cause]`` prefix of its reason that :func:`cause_of` reads back from JUnit.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import NoReturn


class SkipCause(StrEnum):
    """A cause of skips; the value is the prefix tag, :attr:`label` what the verdict prints."""

    DEPTH = "depth"
    MAX_WAIT = "max-wait"
    POLICY = "policy"
    SETUP = "setup"
    TIMING = "timing"

    @property
    def label(self) -> str:
        """What the verdict calls this cause."""
        return _LABELS[self]


_LABELS = {
    SkipCause.DEPTH: "quick depth (OTP_CONTRACT_DEPTH=quick)",
    SkipCause.MAX_WAIT: "a wait longer than OTP_MAX_WAIT_S",
    SkipCause.POLICY: "the target's policy leaves no room for the check",
    SkipCause.SETUP: "configuration (no minting secret, a fixed OTP code, the test range)",
    SkipCause.TIMING: "the run's own lateness (a busy machine) or the clock margin",
}
#: The label of skips whose reason names no cause (a plugin's or pytest's own).
UNTAGGED = "other (the reason names no cause)"


def tagged(cause: SkipCause, reason: str) -> str:
    """``reason`` with its cause as a ``[cause]`` prefix."""
    return f"[{cause.value}] {reason}"


def skip(cause: SkipCause, reason: str) -> NoReturn:
    """Skip the calling test for ``reason``, tagged with its ``cause``."""
    import pytest  # only the contract run's tests skip; readers of causes need no pytest

    pytest.skip(tagged(cause, reason))


def cause_of(reason: str) -> SkipCause | None:
    """The cause a skip ``reason`` is tagged with (anywhere in it: JUnit may put the file first), or None."""
    for cause in SkipCause:
        if f"[{cause.value}] " in reason:
            return cause
    return None


def untagged(reason: str) -> str:
    """``reason`` without its ``[cause]`` tag (the verdict prints the cause as a heading instead)."""
    cause = cause_of(reason)
    return reason.replace(f"[{cause.value}] ", "", 1) if cause else reason


def grouped_by_cause(reasons: Iterable[str]) -> dict[str, list[str]]:
    """Skip reasons (``test id: reason``) by the label of their cause, most frequent first."""
    groups: dict[str, list[str]] = {}
    for reason in reasons:
        cause = cause_of(reason)
        groups.setdefault(cause.label if cause else UNTAGGED, []).append(reason)
    return dict(sorted(groups.items(), key=lambda item: -len(item[1])))
