"""Issue 26's check of the baseline verdict, on a stage 50 ms away (the reference service behind the
delaying proxy): same-build runs pass their baseline, one of them with a core busy; a verify 12 ms
slower exits 1 naming verify. benchmarks/bench_baseline_verdict.py measures the rates over more runs."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers.load import QuickRun, busy_core, quick_config, quick_load
from otp_suite.loadtest import EMBEDDED_LOAD_POLICY
from otp_suite.target import resolved_target
from otp_suite.testdata.delaying_proxy import delayed_link

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("far-stage-baseline")]

ROUND_TRIP_S, RUN_S = 0.050, 20
#: About 110 verifies per run, as in the issue: 10 users, the default think time of 1 s.
FAR_RUN = {"users": 10, "spawn_rate": 10.0, "run_time_s": RUN_S, "tags": ("direct", "wrong_otp"), "slos": (), "measure_every_slo": False}

FarRun = Callable[..., QuickRun]


@pytest.fixture(scope="module")
def far_run(tmp_path_factory: pytest.TempPathFactory) -> FarRun:
    """``far_run(fault="", baseline=None, busy=False)``: one run through a 50 ms link, optionally with a core kept busy."""

    def run(fault: str = "", baseline: Path | None = None, busy: bool = False) -> QuickRun:
        config = dataclasses.replace(quick_config(), think_time_s=1.0)
        with resolved_target(config, policy=EMBEDDED_LOAD_POLICY, fault=fault) as service, delayed_link(str(service.base_url), round_trip_s=ROUND_TRIP_S) as link:
            target = dataclasses.replace(service, base_url=link.url, inbox_url=None)
            with busy_core(RUN_S + 60) if busy else contextlib.nullcontext():
                return quick_load(target, tmp_path_factory.mktemp("far"), baseline=baseline, **FAR_RUN)

    return run


@pytest.fixture(scope="module")
def far_baseline(far_run: FarRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """summary.json of a healthy run through the link, kept aside."""
    run = far_run()
    assert run.outcome.exit_code == 0, run.outcome.reason
    assert run.outcome.summary_path is not None, run.outcome.reason
    kept = tmp_path_factory.mktemp("far-baseline") / "summary.json"
    shutil.copy(run.outcome.summary_path, kept)
    return kept


def test_a_same_build_run_with_a_core_busy_passes_its_baseline(far_run, far_baseline):
    run = far_run(baseline=far_baseline, busy=True)

    assert run.outcome.exit_code == 0, run.outcome.reason
    assert run.summary()["baseline"]["regressed"] == []


def test_a_verify_12_ms_slower_than_its_baseline_exits_1_naming_verify(far_run, far_baseline):
    run = far_run(fault="slow_verify:12", baseline=far_baseline)

    regressed = run.summary()["baseline"]["regressed"]
    assert run.outcome.exit_code == 1, run.outcome.reason
    assert "verify.p50" in regressed and "verify.p50" in run.outcome.reason
    assert not any(name.startswith(("register.", "inbox.")) for name in regressed), json.dumps(regressed)
