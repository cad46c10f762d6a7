"""Corrected latency proves itself on a known stall: real arrival-rate runs of the locustfile.

The target is the embedded reference service with the fault ``stall:4:2``: every response is held
from 4 s to 6 s after the load's first request. The schedule is 100 direct flows per second for
10 s, without pauses, so a flow's register, inbox read and verify follow each other at once.

The true p95, from the stall's arithmetic
-----------------------------------------
Flows are due every 1/R s (R = 100/s) over the run, N of them (N = R x 10 s, about 1000). A flow
due at t in the stall [S, S + L) (S = 4 s, L = 2 s) has its register held until S + L; the inbox
read and the verify it sends right after are fast, but they were *due* at about t, so measured
from their intended start each of them, and the flow, takes S + L - t: spread evenly over (0, L].
Every other flow takes its normal few milliseconds. R x L of the N flows are in the stall, and the
share of all of them taking longer than x (0 < x < L) is R (L - x) / N. The p95 is the x where
that share is 5%:

    p95 = L - 0.05 N / R = 2 s - 0.05 x 10 s = 1.5 s

(N is taken from the run, so flows cut off at its end do not bias it.) The service's own few
milliseconds and the catch-up after the stall add a little; the issue allows 15%.

What Locust reports for the same run: the open model starts registers on time, so Locust's register
(and flow, the sum of a flow's requests) figures see the stall too. But Locust measures a request
from when it was *sent*, and a flow's inbox read and verify are sent only once its register has
answered, after the stall: those are the requests a closed model never sends during a stall, and
Locust's p95 for them stays at milliseconds.
"""

from __future__ import annotations

import pytest

from load_fixtures import STALL_LENGTH_S, STALL_RATE, STALL_RUN_S

pytestmark = pytest.mark.slow

ENTRIES = ("register", "inbox", "verify", "flow")


def true_stall_p95_ms(flows: int) -> float:
    """p95 = L - 0.05 N / R (see the module docstring), in ms."""
    return (STALL_LENGTH_S - 0.05 * flows / STALL_RATE) * 1000


@pytest.mark.parametrize("entry", ENTRIES)
def test_the_corrected_p95_of_a_2_s_stall_is_within_15_percent_of_its_arithmetic(stall_arrival_run, entry):
    figures = stall_arrival_run.entry(entry)

    expected = true_stall_p95_ms(int(figures["requests"]))
    assert figures["requests"] >= 0.95 * STALL_RATE * STALL_RUN_S, stall_arrival_run.cli.stdout
    assert figures["p95_corrected_ms"] == pytest.approx(expected, rel=0.15)


@pytest.mark.parametrize("entry", ["inbox", "verify"])
def test_locusts_own_p95_of_the_requests_sent_after_the_stall_is_far_below_the_truth(stall_arrival_run, entry):
    figures = stall_arrival_run.entry(entry)

    expected = true_stall_p95_ms(int(figures["requests"]))
    assert figures["p95_ms"] < expected / 10
    assert figures["p95_corrected_ms"] > expected * 0.85


def test_a_p95_slo_of_500_ms_fails_the_stall_run_naming_the_corrected_figure(stall_arrival_run):
    cli = stall_arrival_run.cli

    assert cli.exit_code == 1, cli.stdout + cli.stderr
    breached = [slo["name"] for slo in stall_arrival_run.summary()["slos"] if not slo["passed"]]
    assert "verify.p95_corrected_ms" in breached
    assert "SLO breached: " in cli.stdout and "verify.p95_corrected_ms" in cli.stdout


def test_the_schedule_is_kept_through_the_stall_with_no_flow_dropped(stall_arrival_run):
    schedule = stall_arrival_run.schedule

    assert schedule["dropped"] == 0
    assert schedule["scheduled"] == pytest.approx(STALL_RATE * STALL_RUN_S, rel=0.02)
    assert all(stall_arrival_run.entry(name)["dropped"] == 0 for name in ENTRIES)


@pytest.mark.parametrize("entry", ["verify", "flow"])
@pytest.mark.parametrize("percentile", ["p50", "p95"])
def test_without_a_stall_corrected_and_locusts_figures_agree_within_10_percent(steady_arrival_run, entry, percentile):
    # verify takes 50 ms here (slow_verify:50), as a real service's would: register and inbox
    # answer in under a millisecond on loopback, where Locust rounds to whole milliseconds and a
    # timer's sub-millisecond jitter is already more than 10%, so they are not compared. p99 is
    # not compared either: on this shared 2-core machine 1% of flows meet a pause of the generator
    # or the service (~20 ms), which the corrected figure rightly charges to every later step of
    # the flow as well, while Locust charges it once.
    figures = steady_arrival_run.entry(entry)

    assert steady_arrival_run.cli.exit_code == 0, steady_arrival_run.cli.stdout
    assert figures[f"{percentile}_corrected_ms"] == pytest.approx(figures[f"{percentile}_ms"], rel=0.10)


def test_a_steady_arrival_run_keeps_its_schedule_and_passes_the_corrected_default_slos(steady_arrival_run):
    summary = steady_arrival_run.summary()

    judged = {slo["name"] for slo in summary["slos"]}
    assert steady_arrival_run.cli.exit_code == 0, steady_arrival_run.cli.stdout
    assert {"verify.p95_corrected_ms", "flow.p95_corrected_ms", "flow.dropped_ratio"} <= judged
    assert not {"verify.p95_ms", "flow.p95_ms"} & judged
    assert steady_arrival_run.schedule["dropped"] == 0
