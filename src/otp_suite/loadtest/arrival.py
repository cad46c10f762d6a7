"""The open model: flows started at a fixed arrival rate, whatever the service's response times.

Locust's users are a closed model: each waits for its answer before it sends again, so a service
that stalls is asked less and its slow period is under-sampled (coordinated omission). In
arrival-rate mode one scheduler per load-generator process starts flow number ``k`` of its share
at ``zero + (k * of + share) / rate`` (processes interleave, so together they keep ``rate``), each
in a greenlet of its own, so a stalled flow never holds back the next one.

A flow is **dropped** (counted, never run, like k6's dropped iterations) when it cannot start on
time: ``max_in_flight`` flows are already running (no capacity), or the scheduler itself woke
more than ``tolerance_s`` after the flow was due (the generator is overloaded). A run whose
dropped share exceeds its ``flow.dropped_ratio`` SLO did not keep the schedule and fails.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: How late past its due time a flow may still start; later than this it is dropped. Generous
#: against scheduling jitter of a busy generator (milliseconds), tight against a real backlog.
DEFAULT_TOLERANCE_S = 0.1
#: Running flows per scheduler at most, when not set: enough for every flow started during a
#: stall as long as a request may wait (the request timeout) plus the flow's own pauses.
FLOW_PAUSE_ALLOWANCE_S = 5.0
MIN_IN_FLIGHT = 10
#: The event loop's timers fire up to a millisecond late (epoll counts in whole ms): wake this much
#: early so flows start around their due time rather than always just after it.
TIMER_LEAD_S = 0.001

#: The operations each flow sends: a dropped flow counts as dropped for each of them.
FLOW_OPERATIONS: dict[str, tuple[str, ...]] = {
    "direct": ("register", "inbox", "verify"),
    "resend": ("register", "resend", "inbox", "verify"),
    "wrong_otp": ("register", "inbox", "verify"),
}


class ArrivalError(ValueError):
    """An arrival-rate setting is not valid; the message names it and the fix."""


def default_max_in_flight(rate: float, request_timeout_s: float, of: int = 1) -> int:
    """Room for every flow of this process's share that could be waiting at once."""
    return max(MIN_IN_FLIGHT, math.ceil(rate / max(1, of) * (request_timeout_s + FLOW_PAUSE_ALLOWANCE_S)))


@dataclass(frozen=True)
class ArrivalPlan:
    """One scheduler's part of an arrival-rate run: ``rate`` flows/s in all, this is share ``share`` of ``of``."""

    rate: float
    max_in_flight: int
    share: int = 0
    of: int = 1
    tolerance_s: float = DEFAULT_TOLERANCE_S

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ArrivalError(f"--arrival-rate / OTP_ARRIVAL_RATE={self.rate:g} must be above 0 flows per second")
        if self.max_in_flight < 1:
            raise ArrivalError(f"--max-flows / OTP_ARRIVAL_MAX_FLOWS={self.max_in_flight} must be at least 1")
        if not 0 <= self.share < self.of:
            raise ArrivalError(f"scheduler share {self.share} is not below the number of schedulers {self.of}; start every worker with --expect-workers set on the master")

    def due(self, zero: float, k: int) -> float:
        """When this scheduler's ``k``-th flow is due (epoch seconds), counting from ``zero``."""
        return zero + (k * self.of + self.share) / self.rate


@dataclass
class ScheduleCounters:
    """What one scheduler (or, merged, all of them) did with the flows that came due."""

    scheduled: int = 0
    started: int = 0
    dropped_late: Counter[str] = field(default_factory=Counter)
    dropped_full: Counter[str] = field(default_factory=Counter)
    max_late_s: float = 0.0

    @property
    def dropped(self) -> int:
        return sum(self.dropped_late.values()) + sum(self.dropped_full.values())

    def dropped_by_flow(self) -> Counter[str]:
        return self.dropped_late + self.dropped_full

    def as_dict(self) -> dict[str, Any]:
        """The form shipped from workers and written for the runner."""
        return {
            "scheduled": self.scheduled,
            "started": self.started,
            "dropped": self.dropped,
            "dropped_late": dict(self.dropped_late),
            "dropped_full": dict(self.dropped_full),
            "max_late_ms": round(self.max_late_s * 1000, 3),
        }

    def add(self, other: Mapping[str, Any]) -> None:
        """Add another scheduler's counters (an :meth:`as_dict`)."""
        self.scheduled += int(other.get("scheduled", 0))
        self.started += int(other.get("started", 0))
        self.dropped_late.update(other.get("dropped_late", {}))
        self.dropped_full.update(other.get("dropped_full", {}))
        self.max_late_s = max(self.max_late_s, float(other.get("max_late_ms", 0.0)) / 1000)

    def take(self) -> dict[str, Any]:
        """The counters so far, then zero (what a worker ships to the master each report)."""
        snapshot = self.as_dict()
        self.scheduled = self.started = 0
        self.dropped_late.clear()
        self.dropped_full.clear()
        self.max_late_s = 0.0
        return snapshot


def dropped_per_entry(dropped_by_flow: Mapping[str, int]) -> dict[str, int]:
    """Dropped flows -> per entry, how many of its requests were never sent (``flow``: the flows)."""
    per_entry: Counter[str] = Counter({"flow": sum(dropped_by_flow.values())})
    for flow, count in dropped_by_flow.items():
        for operation in FLOW_OPERATIONS.get(flow, ()):
            per_entry[operation] += count
    return dict(per_entry)


def flow_chooser(mix: Mapping[str, int], tags: Sequence[str] | None, exclude_tags: Sequence[str] | None, rng: random.Random | None = None) -> Callable[[], str]:
    """A function naming the next flow to start: the mix's weights, limited by Locust's --tags / --exclude-tags."""
    names = [name for name, weight in mix.items() if weight > 0 and (not tags or name in tags) and name not in (exclude_tags or ())]
    if not names:
        raise ArrivalError("the flow mix and --tags / --exclude-tags leave no flow to start; give a selected flow a weight above 0")
    weights = [mix[name] for name in names]
    chooser = rng or random.Random()
    if len(names) == 1:
        return lambda: names[0]
    return lambda: chooser.choices(names, weights)[0]


def keep_schedule(
    plan: ArrivalPlan,
    start_flow: Callable[[str, float], Any],
    choose_flow: Callable[[], str],
    counters: ScheduleCounters,
    pool: Any,
    *,
    until: float | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Any] | None = None,
) -> None:
    """Start ``start_flow(name, due)`` in ``pool`` at every due time of ``plan`` until ``until`` (epoch s) or until killed.

    Never catches up by bursting: a flow whose moment has passed by more than the tolerance is
    dropped, not started late, so a generator that fell behind shows as dropped flows.
    """
    if sleep is None:
        import gevent

        sleep = gevent.sleep
    zero = clock()
    k = 0
    while True:
        due = plan.due(zero, k)
        k += 1
        if until is not None and due >= until:
            return
        wait = due - clock() - TIMER_LEAD_S
        if wait > 0:
            sleep(wait)
        name = choose_flow()
        counters.scheduled += 1
        late = clock() - due
        if late > plan.tolerance_s:
            counters.dropped_late[name] += 1
        elif pool.full():
            counters.dropped_full[name] += 1
        else:
            counters.max_late_s = max(counters.max_late_s, late)
            counters.started += 1
            pool.spawn(start_flow, name, due)
