"""The SLO model: thresholds, overrides, verdicts and the printed table."""

from __future__ import annotations

import pytest

from otp_suite.loadtest.slo import DEFAULT_SLOS, SloError, SloThreshold, apply_overrides, judge, slo_table


def entry(requests: int = 100, failures: int = 0, p50: float = 5.0, p95: float = 20.0, p99: float = 40.0, rps: float = 5.0) -> dict[str, float]:
    return {"requests": requests, "failures": failures, "error_ratio": failures / requests if requests else 0.0, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "max_ms": p99, "rps": rps}


def test_defaults_cover_latency_and_errors_of_every_operation_and_the_flow_with_a_minimum_flow_throughput():
    names = {slo.name for slo in DEFAULT_SLOS}

    for operation in ("register", "resend", "verify", "flow"):
        assert {f"{operation}.p50_ms", f"{operation}.p95_ms", f"{operation}.p99_ms", f"{operation}.error_ratio"} <= names
    assert "flow.min_rps" in names


def test_a_latency_slo_holds_up_to_its_limit_and_breaks_above_it():
    slo = SloThreshold("verify", "p95_ms", 300)

    assert slo.judge(entry(p95=300)).passed
    assert not slo.judge(entry(p95=301)).passed


def test_min_rps_is_a_floor_and_an_entry_without_requests_breaks_it():
    slo = SloThreshold("flow", "min_rps", 0.2)

    assert slo.judge(entry(rps=0.2)).passed
    assert not slo.judge(None).passed


def test_a_latency_slo_of_an_entry_without_requests_is_not_judged_rather_than_held_or_breached():
    result = SloThreshold("resend", "p95_ms", 300).judge(None)

    assert not result.passed and not result.breached and result.value is None and "not judged" in result.note


def test_error_ratio_is_failures_over_requests():
    result = SloThreshold("flow", "error_ratio", 0.01).judge(entry(requests=200, failures=3))

    assert result.value == pytest.approx(0.015)
    assert not result.passed


def test_overrides_change_add_and_drop_slos():
    slos = {slo.name: slo.limit for slo in apply_overrides(DEFAULT_SLOS, ["verify.p95_ms=250, inbox.p99_ms=50", "flow.min_rps=off"])}

    assert slos["verify.p95_ms"] == 250
    assert slos["inbox.p99_ms"] == 50
    assert "flow.min_rps" not in slos


@pytest.mark.parametrize("text", ["verify.p95=300", "login.p95_ms=300", "verify.p95_ms", "verify.p95_ms=fast", "verify.p95_ms=-1"])
def test_an_unreadable_override_is_refused_with_how_to_write_it(text):
    with pytest.raises(SloError, match="ENTRY.METRIC=LIMIT|limit"):
        apply_overrides(DEFAULT_SLOS, [text])


def test_the_table_shows_every_slo_with_threshold_measured_value_and_verdict():
    results = judge([SloThreshold("verify", "p95_ms", 300), SloThreshold("flow", "error_ratio", 0.01)], {"verify": entry(p95=430), "flow": entry()})

    header, verify_row, flow_row = slo_table(results)
    assert header.split() == ["SLO", "threshold", "measured", "result"]
    assert verify_row.split() == ["verify.p95_ms", "<=", "300", "ms", "430", "ms", "FAIL"]
    assert flow_row.split() == ["flow.error_ratio", "<=", "1.00%", "0.00%", "PASS"]
