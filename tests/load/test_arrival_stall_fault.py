"""The ``stall`` fault, whose arithmetic the correction is checked against: its clock and its window.

The service's clock is moved by hand; only the hold itself takes real time (a few tenths of a second).
Which requests were held, and for how long, is read from the service (its ``stall_holds``): on a
busy machine every request takes longer, so a request's measured time cannot tell a short hold
from a slow answer. The measured time of the held request only has to cover its hold.
"""

from __future__ import annotations

import time

import pytest

from helpers.service import REGISTER

#: Held requests wait this long here: measurable, yet short.
HOLD_S = 0.4


def timed_register(api, number, **options) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    api.register(number, **options)
    return time.monotonic() - started


def test_the_stall_counts_from_the_first_request_for_a_number_not_from_the_boot_or_a_probe(start_service, number):
    api = start_service(fault=f"stall:10:{HOLD_S + 0.2}")
    api.clock.advance(60)  # long after boot: a window counted from boot would be over
    api.post(REGISTER, {}, token=None)  # a probe without a token (as the load runner's preflight) starts nothing
    api.post(REGISTER, {})  # nor the runner's token probe: a token and the body {}, seconds before Locust starts
    api.clock.advance(10.2)  # a window counted from the probes would hold the next request

    first = timed_register(api, number)  # the load's first request: time zero of the stall
    api.clock.advance(10.2)  # inside [10, 10.6): held until 10.6
    held = timed_register(api, number)
    api.clock.advance(0.5)  # past the window
    after = timed_register(api, number)

    assert api.service.app.stall_holds == pytest.approx([HOLD_S]), "only the request inside [10, 10.6) is held, until 10.6"
    assert held >= HOLD_S * 0.9, f"first {first:.3f} s, held {held:.3f} s, after {after:.3f} s"


def test_a_stall_start_above_1e9_is_a_unix_time(start_service, number):
    at = 2_000_000_000.0  # a fixed moment; the service's clock is moved to it
    api = start_service(fault=f"stall:{at:.0f}:{HOLD_S}")
    api.clock.advance(at - api.clock())  # no request with a token came first: the window is absolute

    held = timed_register(api, number)

    assert api.service.app.stall_holds == pytest.approx([HOLD_S])
    assert held >= HOLD_S * 0.9
