"""When a request was handled, as far as its sender can tell, and comparisons that may be undecided.

The reference service knows the exact time of every request; a client only knows that the target
handled it between sending and receiving, widened by a margin for a target whose clock is coarse.
A :class:`Moment` is that interval. Comparing two moments with a policy duration (was the OTP older
than its lifetime?) is then True, False, or ``None``: undecided, when the boundary falls inside
the uncertainty. The model branches on ``None`` and keeps the branch the target's answer matches.
"""

from __future__ import annotations

from dataclasses import dataclass

#: True, False, or None (the boundary falls inside the exchange's uncertainty).
Maybe = bool | None


@dataclass(frozen=True)
class Moment:
    """The target handled a request at some time between ``earliest`` and ``latest`` (seconds)."""

    earliest: float
    latest: float

    @classmethod
    def exact(cls, at: float) -> Moment:
        """A moment known exactly (the reference service's own clock)."""
        return cls(at, at)

    @classmethod
    def of_exchange(cls, sent_at: float, received_at: float, margin_s: float) -> Moment:
        """The moment of a request sent at ``sent_at`` and answered at ``received_at``, widened by ``margin_s``."""
        return cls(sent_at - margin_s, received_at + margin_s)


def elapsed_range(now: Moment, then: Moment) -> tuple[float, float]:
    """The least and the most time that can have passed from ``then`` to ``now``."""
    return now.earliest - then.latest, now.latest - then.earliest


def older_than(now: Moment, then: Moment, span_s: float) -> Maybe:
    """Has more than ``span_s`` passed from ``then`` to ``now`` (elapsed > span)?"""
    least, most = elapsed_range(now, then)
    if least > span_s:
        return True
    if most <= span_s:
        return False
    return None


def within(now: Moment, then: Moment, span_s: float) -> Maybe:
    """Is ``now`` less than ``span_s`` after ``then`` (elapsed < span)?"""
    least, most = elapsed_range(now, then)
    if most < span_s:
        return True
    if least >= span_s:
        return False
    return None


def wait_range(now: Moment, then: Moment, span_s: float) -> tuple[float, float]:
    """The least and the most time left at ``now`` until ``span_s`` after ``then`` (never below 0)."""
    least, most = elapsed_range(now, then)
    return max(0.0, span_s - most), max(0.0, span_s - least)
