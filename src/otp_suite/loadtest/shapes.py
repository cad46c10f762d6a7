"""Load shapes by name: how many virtual users should run at each moment of a run.

A shape is a pure function of the elapsed time (so it can be tested without Locust); the
locustfile's one ``LoadTestShape`` asks :func:`plan` every second. Every shape ends at the run
time: a run always stops by itself.

    steady  spawn ``users`` at ``spawn_rate`` and hold them
    ramp    grow from ``start_users`` (default 1) to ``users`` over ``ramp_s`` (default the whole run), then hold
    step    ``steps`` (default 4) equal steps up to ``users``, each ``step_s`` long (default run time / steps)
    spike   hold ``base_users`` (default users / 5), jump to ``users`` at ``spike_at_s`` (default 1/3 of the run)
            for ``spike_s`` (default 1/6 of the run), then back
    soak    ramp up gently over ``ramp_s`` (default 10% of the run, at most 5 min), then hold for a long run
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

#: (users, spawn rate per second), or None when the run is over
Tick = tuple[int, float] | None


class ShapeError(ValueError):
    """A shape name or parameter is not valid; the message names it and the fix."""


@dataclass(frozen=True)
class ShapeSpec:
    """A shape by name, with the run's users, spawn rate and run time, and its own parameters."""

    name: str = "steady"
    users: int = 10
    spawn_rate: float = 5.0
    run_time_s: float = 30.0
    params: Mapping[str, float] = field(default_factory=dict)

    def param(self, key: str, default: float) -> float:
        """Parameter ``key`` of this shape, or ``default``."""
        return float(self.params.get(key, default))


def _steady(spec: ShapeSpec, t: float) -> Tick:
    return (spec.users, spec.spawn_rate)


def _ramp(spec: ShapeSpec, t: float) -> Tick:
    start = int(spec.param("start_users", 1))
    ramp_s = spec.param("ramp_s", spec.run_time_s)
    share = 1.0 if ramp_s <= 0 else min(1.0, t / ramp_s)
    users = start + math.floor((spec.users - start) * share)
    return (max(1, users), max(spec.spawn_rate, 1.0))


def _step(spec: ShapeSpec, t: float) -> Tick:
    steps = max(1, int(spec.param("steps", 4)))
    step_s = spec.param("step_s", spec.run_time_s / steps)
    current = min(steps, int(t // step_s) + 1) if step_s > 0 else steps
    return (max(1, math.ceil(spec.users * current / steps)), spec.spawn_rate)


def _spike(spec: ShapeSpec, t: float) -> Tick:
    base = int(spec.param("base_users", max(1, spec.users // 5)))
    spike_at = spec.param("spike_at_s", spec.run_time_s / 3)
    spike_s = spec.param("spike_s", spec.run_time_s / 6)
    if spike_at <= t < spike_at + spike_s:
        # A spike arrives at once: spawn every extra user within a second.
        return (spec.users, max(spec.spawn_rate, float(spec.users)))
    return (max(1, base), max(spec.spawn_rate, float(spec.users)))


def _soak(spec: ShapeSpec, t: float) -> Tick:
    ramp_s = spec.param("ramp_s", min(300.0, spec.run_time_s / 10))
    rate = spec.users / ramp_s if ramp_s > 0 else float(spec.users)
    return (spec.users, max(0.1, min(spec.spawn_rate, rate)))


SHAPES: dict[str, tuple[Callable[[ShapeSpec, float], Tick], frozenset[str]]] = {
    "steady": (_steady, frozenset()),
    "ramp": (_ramp, frozenset({"start_users", "ramp_s"})),
    "step": (_step, frozenset({"steps", "step_s"})),
    "spike": (_spike, frozenset({"base_users", "spike_at_s", "spike_s"})),
    "soak": (_soak, frozenset({"ramp_s"})),
}


def plan(spec: ShapeSpec, elapsed_s: float) -> Tick:
    """Users and spawn rate ``elapsed_s`` into the run, or None once the run time is over."""
    if elapsed_s >= spec.run_time_s:
        return None
    shape, _ = SHAPES[spec.name]
    return shape(spec, elapsed_s)


def parse_shape_params(name: str, text: str | None) -> dict[str, float]:
    """``"steps=5,step_s=10"`` -> ``{"steps": 5.0, "step_s": 10.0}``, checked against shape ``name``."""
    if name not in SHAPES:
        raise ShapeError(f"load shape {name!r} is unknown; use one of {', '.join(SHAPES)} (--shape / OTP_LOAD_SHAPE)")
    allowed = SHAPES[name][1]
    params: dict[str, float] = {}
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise ShapeError(f"shape parameter {item!r} is not valid for shape {name!r} (its parameters: {known}); write KEY=NUMBER")
        try:
            number = float(value)
        except ValueError:
            raise ShapeError(f"shape parameter {key}={value!r} is not a number") from None
        if number < 0 or math.isnan(number):
            raise ShapeError(f"shape parameter {key}={value!r} must be zero or positive")
        params[key] = number
    return params
