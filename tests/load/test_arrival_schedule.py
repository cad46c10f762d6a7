"""The open model's schedule and the correction's rule, on their own (a clock moved by hand), and
two real runs: one whose schedule cannot be kept, one shared by a master's two workers."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from helpers.load import TIGHT_FLOWS, ArrivalRun, QuickRun, arrival_run
from helpers.suite_children import LATENCY_SLOS_OFF
from otp_suite.config import load_config
from otp_suite.loadtest.arrival import ArrivalPlan, ScheduleCounters, dropped_per_entry, keep_schedule
from otp_suite.loadtest.corrected import Sample, correct, percentile
from otp_suite.loadtest.options import load_options


class HandClock:
    """Time that passes only when the schedule sleeps, or when a test says a flow start took long."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Flows:
    """A pool that records what was started, and can be full."""

    def __init__(self, capacity: int = 10_000, stall_at: int | None = None, stall_s: float = 0.0, clock: HandClock | None = None) -> None:
        self.started: list[tuple[str, float]] = []
        self.capacity = capacity
        self.stall_at, self.stall_s, self.clock = stall_at, stall_s, clock

    def full(self) -> bool:
        return len(self.started) >= self.capacity

    def spawn(self, function, name: str, due: float) -> None:  # type: ignore[no-untyped-def]
        self.started.append((name, due))
        if self.clock is not None and len(self.started) == self.stall_at:
            self.clock.now += self.stall_s  # the generator itself froze (e.g. CPU starved)


def schedule(plan: ArrivalPlan, flows: Flows, clock: HandClock, until_s: float) -> ScheduleCounters:
    counters = ScheduleCounters()
    keep_schedule(plan, lambda *a: None, lambda: "direct", counters, flows, until=clock.now + until_s, clock=clock, sleep=clock.sleep)
    return counters


def test_flows_start_at_the_rate_evenly_spaced_for_the_run_time():
    clock, flows = HandClock(), Flows()

    counters = schedule(ArrivalPlan(rate=50, max_in_flight=100), flows, clock, until_s=2.0)

    dues = [due for _, due in flows.started]
    assert counters.scheduled == counters.started == len(dues) == 100
    assert [round(b - a, 9) for a, b in itertools.pairwise(dues)] == [0.02] * 99


def test_two_schedulers_interleave_so_together_they_keep_the_rate():
    zero = 0.0
    first, second = ArrivalPlan(rate=10, max_in_flight=5, share=0, of=2), ArrivalPlan(rate=10, max_in_flight=5, share=1, of=2)

    dues = sorted([first.due(zero, k) for k in range(5)] + [second.due(zero, k) for k in range(5)])

    assert dues == pytest.approx([k / 10 for k in range(10)])


def test_a_flow_due_when_every_slot_is_busy_is_dropped_not_delayed():
    clock, flows = HandClock(), Flows(capacity=30)

    counters = schedule(ArrivalPlan(rate=10, max_in_flight=30), flows, clock, until_s=5.0)

    assert (counters.scheduled, counters.started, counters.dropped) == (50, 30, 20)
    assert counters.dropped_full == {"direct": 20}


def test_flows_whose_moment_passed_while_the_generator_froze_are_dropped_not_burst():
    clock = HandClock()
    flows = Flows(stall_at=10, stall_s=1.05, clock=clock)

    counters = schedule(ArrivalPlan(rate=10, max_in_flight=100, tolerance_s=0.1), flows, clock, until_s=5.0)

    # the 10th start (due at 0.9 s) froze the generator until about 1.95 s: the flows due at 1.0 to
    # 1.8 s are more than the 0.1 s tolerance late and dropped; from 1.9 s the schedule goes on
    assert counters.dropped_late == {"direct": 9}
    assert counters.scheduled == 50 and counters.started == 41


def test_a_dropped_flow_counts_against_every_operation_it_would_have_sent():
    dropped = dropped_per_entry({"direct": 3, "resend": 2})

    assert dropped == {"flow": 5, "register": 5, "inbox": 5, "verify": 5, "resend": 2}


# -- the correction ------------------------------------------------------------------------------


def flow_samples(flow_id: int, late_s: float, step_ms: list[tuple[str, float]], *, scheduled: bool = True) -> list[Sample]:
    steps = [Sample(name, 0.0, ms, flow_id, index, late_s, scheduled, False) for index, (name, ms) in enumerate(step_ms)]
    return [*steps, Sample("flow", 0.0, sum(ms for _, ms in step_ms), flow_id, -1, late_s, scheduled, False)]


def corrected_by(samples: list[Sample], flow_id: int) -> dict[str, float]:
    return {c.sample.name: round(c.corrected_ms, 6) for c in correct(samples) if c.sample.flow_id == flow_id}


def test_a_late_started_flow_charges_its_lateness_to_every_step_and_to_the_flow():
    samples = flow_samples(1, 0.25, [("register", 2), ("inbox", 1), ("verify", 3)])

    assert corrected_by(samples, 1) == {"register": 252, "inbox": 251, "verify": 253, "flow": 256}


def test_a_step_held_by_a_stall_charges_what_it_took_beyond_its_median_to_the_steps_after_it():
    healthy = [s for i in range(2, 7) for s in flow_samples(i, 0.0, [("register", 2), ("inbox", 1), ("verify", 3)])]
    stalled = flow_samples(1, 0.0, [("register", 1502), ("inbox", 1), ("verify", 3)])

    assert corrected_by(healthy + stalled, 1) == {"register": 1502, "inbox": 1501, "verify": 1503, "flow": 1506}
    assert corrected_by(healthy + stalled, 2) == {"register": 2, "inbox": 1, "verify": 3, "flow": 6}


def test_in_the_closed_model_nothing_is_scheduled_and_the_corrected_figures_are_locusts_own():
    samples = flow_samples(1, 0.0, [("register", 900), ("inbox", 1), ("verify", 3)], scheduled=False) + flow_samples(2, 0.0, [("register", 2), ("inbox", 1), ("verify", 3)], scheduled=False)

    assert [c.corrected_ms for c in correct(samples)] == [s.latency_ms for s in samples]


def test_percentiles_are_exact_nearest_rank():
    values = [float(v) for v in range(1, 101)]

    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 0.99), percentile(values, 1.0)) == (50, 95, 99, 100)
    assert percentile([7.25], 0.95) == 7.25


# -- the SLOs of an arrival-rate run -------------------------------------------------------------


def test_an_arrival_rate_run_judges_latency_on_the_corrected_figures_and_the_schedule_by_default():
    options = load_options(load_config({}, arrival_rate=100))

    names = {slo.name for slo in options.slos}
    assert {"verify.p95_corrected_ms", "flow.p95_corrected_ms", "flow.dropped_ratio"} <= names
    assert not any(name.endswith((".p50_ms", ".p95_ms", ".p99_ms")) for name in names)


def test_in_an_arrival_rate_run_a_limit_on_locusts_p95_is_a_limit_on_the_corrected_p95():
    options = load_options(load_config({}, arrival_rate=100), slo=["verify.p95_ms=500"])

    limits = {slo.name: slo.limit for slo in options.slos}
    assert limits["verify.p95_corrected_ms"] == 500
    assert "verify.p95_ms" not in limits


def test_a_closed_model_run_may_set_an_slo_on_a_corrected_figure():
    options = load_options(load_config({}), slo=["verify.p95_corrected_ms=500"])

    limits = {slo.name: slo.limit for slo in options.slos}
    assert limits["verify.p95_corrected_ms"] == 500 and limits["verify.p95_ms"] == 300


# -- real runs -----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.solo
@pytest.mark.xdist_group("arrival-runs")
def test_a_schedule_that_cannot_be_kept_drops_flows_and_fails_the_run_naming_it(tmp_path):
    # 50 flows/s, each held 100 ms at verify, but only 2 may run at once: about 20/s can start.
    run = arrival_run(tmp_path, "--arrival-rate", "50", "--max-flows", "2", "--run-time", "4s", *TIGHT_FLOWS, "--fault", "slow_verify:100")

    flow = run.entry("flow")
    assert run.cli.exit_code == 1, run.cli.stdout + run.cli.stderr
    assert "flow.dropped_ratio" in run.cli.stdout.split("SLO breached: ")[1]
    assert run.schedule["dropped"] == flow["dropped"] > 0.3 * run.schedule["scheduled"]
    assert run.entry("register")["dropped"] == flow["dropped"]


@pytest.mark.slow
@pytest.mark.solo
@pytest.mark.xdist_group("arrival-runs")
def test_two_workers_share_the_rate_and_ship_every_sample_to_the_master(tmp_path):
    # The latency and schedule SLOs are this machine's, not the subject: only the error ratios judge.
    run = arrival_run(tmp_path, "--arrival-rate", "40", "--workers", "2", "--run-time", "6s", *TIGHT_FLOWS, "--slo", LATENCY_SLOS_OFF["OTP_SLO"] + ",flow.dropped_ratio=off")

    summary = run.summary()
    corrected_counts = {name: entry["requests"] for name, entry in _corrected_entries(run).items()}
    assert run.cli.exit_code == 0, run.cli.stdout + run.cli.stderr
    assert set(summary["run"]["workers"]["requests_by_worker"]) == {"0", "1"}
    # Each worker's schedule starts when Locust spawns its scheduler, late on a loaded machine (190 of
    # 240 flows were due in one CI run), and never holds more flows than the rate allows; one worker's
    # half alone (120) would not reach the lower bound.
    assert 0.6 * 40 * 6 < run.schedule["scheduled"] <= 40 * 7 and run.schedule["dropped_full"] == {}
    for entry in summary["entries"]:
        assert corrected_counts[entry["name"]] == pytest.approx(entry["requests"], abs=2), entry["name"]
        assert entry["p95_corrected_ms"] is not None


def _corrected_entries(run: QuickRun | ArrivalRun) -> dict[str, Any]:
    import json

    entries: dict[str, Any] = json.loads((run.reports_dir / "load" / "locust_corrected.json").read_text())["entries"]
    return entries
