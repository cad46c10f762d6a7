"""The abort-on-breach watch on synthetic figures: it stops only on a breach beyond doubt, sustained,
and never in a run's first seconds."""

from __future__ import annotations

import pytest

from otp_suite.loadtest.breach_watch import BEYOND_DOUBT, FIRST_CHECK_S, HOLDS, SUSTAIN_S, BreachWatch
from otp_suite.loadtest.latency_histograms import CORRECTED, LOCUST, new_histogram, record_ms
from otp_suite.loadtest.live_figures import EntryNow
from otp_suite.loadtest.slo import SloThreshold

VERIFY_P95 = SloThreshold("verify", "p95_ms", 300.0)


def _verify(latencies: list[float], failures: int = 0) -> dict[str, EntryNow]:
    histogram = new_histogram()
    for value in latencies:
        record_ms(histogram, value)
    return {"verify": EntryNow(len(latencies), failures, {LOCUST: histogram, CORRECTED: histogram})}


def _first_stop(watch: BreachWatch, figures: dict[str, EntryNow], *, until_s: float) -> float | None:
    """The second at which the watch, looking once a second, stops the run; None if it never does."""
    second = 0.0
    while second <= until_s:
        if watch.look(second, figures) is not None:
            return second
        second += 1
    return None


@pytest.fixture
def watch() -> BreachWatch:
    return BreachWatch((VERIFY_P95, SloThreshold("verify", "error_ratio", 0.01)))


def test_a_sustained_breach_stops_the_run_after_the_first_check_and_the_sustain_window(watch):
    slow = _verify([420.0 + index % 7 for index in range(200)])

    stopped_at = _first_stop(watch, slow, until_s=120)

    assert stopped_at == FIRST_CHECK_S + SUSTAIN_S
    assert watch.states["verify.p95_ms"] == BEYOND_DOUBT


def test_a_few_slow_requests_among_many_fast_ones_never_stop_the_run(watch):
    mostly_fast = _verify([20.0] * 190 + [900.0] * 10)  # p95 at the edge of the slow ones: not beyond doubt

    assert _first_stop(watch, mostly_fast, until_s=120) is None


def test_too_few_samples_for_the_percentile_never_stop_the_run(watch):
    assert _first_stop(watch, _verify([900.0] * 15), until_s=120) is None


def test_a_run_that_holds_its_slos_is_never_stopped(watch):
    healthy = _verify([5.0 + index % 11 for index in range(2000)])

    assert _first_stop(watch, healthy, until_s=600) is None
    assert watch.states["verify.p95_ms"] == HOLDS


def test_an_error_ratio_beyond_doubt_stops_the_run(watch):
    failing = _verify([5.0] * 300, failures=30)

    assert _first_stop(watch, failing, until_s=120) == FIRST_CHECK_S + SUSTAIN_S
