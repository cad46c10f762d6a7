"""No SLO passes unmeasured (issue 12, item 4): an SLO without samples is "not judged", never held.

Real Locust runs against a reference service whose resend cooldown (6 s) is longer than a short
run: a 5 s run makes no resend request, so the resend SLOs cannot be judged (exit 2, named);
lengthened to one cooldown plus margin, the same run samples resend and every SLO is judged.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import replace

import pytest

from helpers.load import QUICK_RUN, QUICK_THINK_TIME_S, quick_config
from otp_suite.config import SuiteConfig
from otp_suite.loadtest.coverage import chosen_flows, exercised_entries, minimum_run_time_s
from otp_suite.loadtest.mix import parse_flow_mix
from otp_suite.loadtest.slo import NOT_APPLICABLE, NOT_JUDGED, SloThreshold, apply_overrides, judge
from otp_suite.policy import OtpPolicy
from otp_suite.service import ServiceSettings, create_app
from otp_suite.service.server import ServiceThread

#: A cooldown longer than the short run below, short enough for a lengthened run to stay quick.
SLOW_RESEND_POLICY = OtpPolicy(ttl_s=120.0, max_verify_attempts=5, resend_cooldown_s=6.0, max_sends_per_window=10, send_window_s=3600.0)
SHORT_RUN_S = 5
#: Only the SLOs this module is about, and the error ratios: on a busy shared machine an in-process
#: service's latency is no part of the rule under test (a loaded CI machine measured resend's p50 at
#: 170 ms), so resend's latency limits are a minute: judged, yet no machine's slowness breaks them.
RESEND_SLOS = apply_overrides(
    QUICK_RUN.slos,
    [f"{entry}.{metric}=off" for entry in ("register", "verify", "flow") for metric in ("p50_ms", "p95_ms", "p99_ms")] + [f"resend.{metric}=60000" for metric in ("p50_ms", "p95_ms", "p99_ms")],
)


@pytest.fixture(scope="module")
def slow_resend_target() -> Iterator[SuiteConfig]:
    """A healthy reference service whose resend cooldown outlasts a 5 s run."""
    secret = secrets.token_urlsafe(32)
    with ServiceThread(create_app(ServiceSettings(jwt_secret=secret, policy=SLOW_RESEND_POLICY))) as service:
        yield quick_config(base_url=service.url, jwt_secret=secret, policy=SLOW_RESEND_POLICY)


def test_an_slo_of_an_entry_the_run_meant_to_request_but_did_not_is_not_judged_and_not_held():
    result = SloThreshold("resend", "p95_ms", 300).judge(None, applicable=True)

    assert result.status == NOT_JUDGED and not result.passed and not result.judged and not result.breached


def test_an_slo_of_a_flow_left_out_by_tags_is_not_applicable_and_does_not_change_the_verdict():
    flows = chosen_flows(parse_flow_mix(None), tags=("direct",))

    results = judge([SloThreshold("resend", "p95_ms", 300)], {}, exercised_entries(flows))

    assert flows == ("direct",) and results[0].status == NOT_APPLICABLE and results[0].passed


def test_the_minimum_run_time_covers_one_cooldown_plus_margin_only_when_resend_is_played():
    with_resend = minimum_run_time_s(("direct", "resend"), resend_cooldown_s=30.0, think_time_s=1.0)
    without = minimum_run_time_s(("direct",), resend_cooldown_s=30.0, think_time_s=1.0)

    assert 30 * 1.05 < with_resend <= 60 and without < 10


@pytest.mark.slow
def test_a_run_shorter_than_the_cooldown_cannot_judge_the_resend_slos_and_says_so(slow_resend_target, run_quick_load):
    # The run may be lengthened only up to OTP_MAX_WAIT_S (3 s here): it stays too short for a resend.
    config = replace(slow_resend_target, max_wait_s=3.0)

    run = run_quick_load(config, run_time_s=SHORT_RUN_S, slos=RESEND_SLOS)

    assert run.outcome.exit_code == 2, f"{run.outcome.reason}\n" + "\n".join(run.printed)
    unjudged = {result.name for result in run.outcome.slos if result.status == NOT_JUDGED}
    assert unjudged == {"resend.p50_ms", "resend.p95_ms", "resend.p99_ms", "resend.error_ratio"}
    assert "resend.p95_ms" in run.outcome.reason and "OTP_MAX_WAIT_S" in run.outcome.reason
    slos = {slo["name"]: slo for slo in run.summary()["slos"]}
    assert run.summary()["passed"] is False and slos["resend.p95_ms"]["status"] == NOT_JUDGED
    assert any("NOT JUDGED" in line for line in run.printed)


@pytest.mark.slow
def test_a_run_lengthened_to_one_cooldown_plus_margin_judges_every_slo(slow_resend_target, run_quick_load):
    needed = minimum_run_time_s(("direct", "resend", "wrong_otp"), resend_cooldown_s=6.0, think_time_s=QUICK_THINK_TIME_S)

    run = run_quick_load(slow_resend_target, run_time_s=SHORT_RUN_S, slos=RESEND_SLOS)

    assert run.outcome.exit_code == 0, f"{run.outcome.reason}\n" + "\n".join(run.printed)
    assert all(result.judged for result in run.outcome.slos)
    resend = next(entry for entry in run.summary()["entries"] if entry["name"] == "resend")
    assert resend["requests"] > 0
    assert run.summary()["run"]["run_time_s"] == needed > SHORT_RUN_S


@pytest.mark.slow
def test_a_run_time_the_user_named_is_kept_and_the_unmeasured_slos_are_not_judged(slow_resend_target, run_quick_load):
    run = run_quick_load(slow_resend_target, run_time_s=SHORT_RUN_S, measure_every_slo=False, slos=RESEND_SLOS)

    assert run.outcome.exit_code == 2
    assert "run at least" in run.outcome.reason and "--slo NAME=off" in run.outcome.reason
