"""The baseline's noise guard with histograms: each percentile's confidence interval from its
HdrHistogram (order statistics), error ratios by Wilson's interval. Histograms are built from
seeded samples, so each case is the same every time."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from otp_suite.loadtest.baseline import BaselineVerdict, compare, parse_max_regression
from otp_suite.loadtest.latency_histograms import encode, new_histogram, record_ms
from otp_suite.loadtest.percentile_interval import percentile_interval, rank_bounds, ratio_interval

Latencies = Callable[[int], list[float]]


def _summary(name: str, latencies: list[float], failures: int = 0) -> tuple[dict[str, Any], str]:
    histogram = new_histogram()
    for value in latencies:
        record_ms(histogram, value)
    entry = {"name": name, "requests": len(latencies), "p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "error_ratio": failures / len(latencies)}
    return entry, encode(histogram)


def _verdict(before: list[float], now: list[float], *, failures: tuple[int, int] = (0, 0)) -> BaselineVerdict:
    old_entry, old_histogram = _summary("verify", before, failures[0])
    new_entry, new_histogram = _summary("verify", now, failures[1])
    baseline = {"entries": [old_entry], "histograms": {"verify": {"locust": old_histogram}}}
    return compare(baseline, [new_entry], parse_max_regression([]), arrival=False, now_histograms={"verify": {"locust": new_histogram}})


@pytest.fixture
def far_stage_verify() -> Latencies:
    """``far_stage_verify(seed)``: 110 verify latencies of a stage 50 ms away, 53 to 56 ms."""

    def latencies(seed: int) -> list[float]:
        draw = random.Random(seed)
        return [53.0 + draw.uniform(0, 3) for _ in range(110)]

    return latencies


@pytest.fixture
def spread_latencies() -> Latencies:
    """``spread_latencies(seed)``: 400 latencies of a busy machine, log-normal around 60 ms with a long tail."""

    def latencies(seed: int) -> list[float]:
        draw = random.Random(seed)
        return [draw.lognormvariate(4.1, 0.6) for _ in range(400)]

    return latencies


def test_a_verify_12_ms_slower_on_a_far_stage_regresses_naming_verify(far_stage_verify):
    verdict = _verdict(far_stage_verify(1), [value + 12 for value in far_stage_verify(2)])

    assert "verify.p50" in {c.name for c in verdict.regressed}
    assert "verify.p50" in verdict.reason()


def test_two_samples_of_one_spread_distribution_do_not_flag_each_other(spread_latencies):
    flagged = [seed for seed in range(20) if _verdict(spread_latencies(seed), spread_latencies(seed + 100)).regressed]

    assert flagged == []


def test_a_percentile_of_too_few_samples_for_its_rank_is_not_judged(far_stage_verify):
    verdict = _verdict(far_stage_verify(1), [value + 300 for value in far_stage_verify(2)])

    assert {c.name: c.verdict for c in verdict.comparisons}["verify.p99"] == "few requests"


def test_the_interval_of_a_percentile_holds_it_and_narrows_with_samples():
    few, many = new_histogram(), new_histogram()
    for index in range(200):
        record_ms(few, 10 + index * 0.1)
    for index in range(20_000):
        record_ms(many, 10 + index * 0.001)

    narrow, wide = percentile_interval(many, 50), percentile_interval(few, 50)

    assert wide is not None and narrow is not None
    assert wide.low < wide.point < wide.high and narrow.low <= narrow.point <= narrow.high
    assert narrow.high - narrow.low < wide.high - wide.low
    assert rank_bounds(300, 0.99) is None


def test_an_error_ratio_beyond_its_interval_regresses_and_one_within_it_does_not(far_stage_verify):
    latencies = far_stage_verify(1)

    worse = _verdict(latencies, latencies, failures=(0, 30))
    same = _verdict(latencies, latencies, failures=(1, 2))

    assert "verify.error_ratio" in {c.name for c in worse.regressed}
    assert not same.regressed
    interval = ratio_interval(1, 110)
    assert interval is not None and interval.low < 1 / 110 < interval.high
