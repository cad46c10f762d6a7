"""The baseline verdict (issue 15): a run compared with a stored earlier run of the same target.

Real Locust runs against the embedded reference service: a first run is the baseline; a second
run of the same healthy service passes it (the noise guard keeps scheduler jitter from flagging);
a run whose verify is 400 ms slower (fault ``slow_verify:400``) exits 1 naming verify. The SLOs are
turned off for the slow run, so the exit code comes from the comparison alone.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from helpers.load import QUICK_RUN, QuickRun, quick_config, quick_load
from otp_suite.config import SuiteConfig
from otp_suite.loadtest import EMBEDDED_LOAD_POLICY
from otp_suite.loadtest.baseline import BaselineError, Comparison, baseline_table, compare, parse_max_regression
from otp_suite.loadtest.slo import apply_overrides
from otp_suite.target import resolved_target

pytestmark = pytest.mark.slow

SLOS_OFF = tuple(f"{entry}.{metric}=off" for entry in ("register", "resend", "verify", "flow") for metric in ("p50_ms", "p95_ms", "p99_ms"))


@pytest.fixture(scope="module")
def baseline_path(tmp_path_factory: pytest.TempPathFactory, embedded_load_target_module: Callable[[str], AbstractContextManager[SuiteConfig]]) -> Path:
    """summary.json of a healthy run, kept where later runs do not overwrite it."""
    with embedded_load_target_module("") as config:
        run = quick_load(config, tmp_path_factory.mktemp("baseline-run"), slos=apply_overrides(QUICK_RUN.slos, SLOS_OFF))
    assert run.outcome.exit_code == 0, run.outcome.reason
    assert run.outcome.summary_path is not None, run.outcome.reason
    kept = tmp_path_factory.mktemp("kept") / "summary.json"
    shutil.copy(run.outcome.summary_path, kept)
    return kept


@pytest.fixture(scope="module")
def embedded_load_target_module() -> Callable[[str], AbstractContextManager[SuiteConfig]]:
    """``with embedded_load_target_module("slow_verify:400") as config:`` the embedded service, shared by the module's runs."""
    return lambda fault: resolved_target(quick_config(), policy=EMBEDDED_LOAD_POLICY, fault=fault)


@pytest.fixture(scope="module")
def slow_verify_run(tmp_path_factory: pytest.TempPathFactory, embedded_load_target_module: Callable[[str], AbstractContextManager[SuiteConfig]], baseline_path: Path) -> QuickRun:
    with embedded_load_target_module("slow_verify:400") as config:
        return quick_load(config, tmp_path_factory.mktemp("slow"), baseline=baseline_path, max_regression=("verify.p50=20%",), slos=apply_overrides(QUICK_RUN.slos, SLOS_OFF))


def test_two_runs_of_the_same_service_pass_each_other(embedded_load_target_module, baseline_path, tmp_path):
    with embedded_load_target_module("") as config:
        run = quick_load(config, tmp_path, baseline=baseline_path, slos=apply_overrides(QUICK_RUN.slos, SLOS_OFF))

    assert run.outcome.exit_code == 0, run.outcome.reason + "\n" + "\n".join(run.printed)
    comparison = run.summary()["baseline"]
    assert comparison["regressed"] == [] and len(comparison["comparisons"]) >= 16


def test_a_verify_400_ms_slower_than_its_baseline_exits_1_naming_verify(slow_verify_run):
    outcome = slow_verify_run.outcome

    assert outcome.exit_code == 1, outcome.reason
    assert not outcome.breached  # every latency SLO is off: the comparison alone fails the run
    assert "verify.p50" in outcome.reason and "slower than the baseline" in outcome.reason
    regressed = slow_verify_run.summary()["baseline"]["regressed"]
    assert "verify.p50" in regressed and not any(name.startswith(("register.", "inbox.")) for name in regressed)


def test_the_summary_json_comparison_agrees_with_the_closing_table(slow_verify_run):
    comparisons = slow_verify_run.summary()["baseline"]["comparisons"]
    # The closing table starts at its "vs baseline" header; the SLO table above it shares some names.
    printed = "\n".join(slow_verify_run.printed).splitlines()
    start = next(index for index, line in enumerate(printed) if line.startswith("vs baseline"))
    table = [line.split() for line in printed[start + 1 :] if line.split() and line.split()[0] in {c["name"] for c in comparisons}]

    assert len(table) == len(comparisons)
    for row, comparison in zip(table, comparisons, strict=True):
        assert row[0] == comparison["name"]
        assert row[-1].lower() == comparison["verdict"] or " ".join(row[-2:]).lower() == comparison["verdict"]
        if comparison["change"] is not None:
            assert f"{comparison['change']:+.0%}" in row


def test_a_change_below_the_noise_floor_never_regresses_however_large_in_percent():
    before = {"entries": [{"name": "verify", "requests": 500, "p95_ms": 2.0, "p50_ms": 1.0, "p99_ms": 3.0, "error_ratio": 0.0}]}
    now = [{"name": "verify", "requests": 500, "p95_ms": 20.0, "p50_ms": 1.0, "p99_ms": 3.0, "error_ratio": 0.0}]

    verdict = compare(before, now, parse_max_regression(["verify.p95=20%"]), arrival=False)

    p95 = next(c for c in verdict.comparisons if c.name == "verify.p95")
    assert isinstance(p95, Comparison) and p95.verdict == "noise" and not verdict.regressed


def test_a_threshold_that_is_not_a_percentage_is_refused_naming_it():
    with pytest.raises(BaselineError, match="verify.p95=fast"):
        parse_max_regression(["verify.p95=fast"])


def test_a_tail_percentile_of_too_few_requests_is_not_judged():
    # 100 requests leave 5 above the p95: one slow request moves it by multiples.
    before = {"entries": [{"name": "verify", "requests": 100, "p50_ms": 10.0, "p95_ms": 50.0, "p99_ms": 60.0, "error_ratio": 0.0}]}
    now = [{"name": "verify", "requests": 100, "p50_ms": 10.0, "p95_ms": 400.0, "p99_ms": 600.0, "error_ratio": 0.0}]

    verdict = compare(before, now, parse_max_regression([]), arrival=False)

    figures = {c.name: c.verdict for c in verdict.comparisons}
    assert figures["verify.p95"] == figures["verify.p99"] == "few requests" and not verdict.regressed


def test_a_tail_percentile_of_enough_requests_is_judged():
    before = {"entries": [{"name": "verify", "requests": 2000, "p50_ms": 10.0, "p95_ms": 50.0, "p99_ms": 60.0, "error_ratio": 0.0}]}
    now = [{"name": "verify", "requests": 2000, "p50_ms": 10.0, "p95_ms": 400.0, "p99_ms": 600.0, "error_ratio": 0.0}]

    verdict = compare(before, now, parse_max_regression([]), arrival=False)

    assert {c.name for c in verdict.regressed} == {"verify.p95", "verify.p99"}


def test_the_closing_table_shows_no_change_for_zero_to_zero_and_from_0_for_a_new_error():
    before = {
        "entries": [
            {"name": "verify", "requests": 2000, "p50_ms": 10.0, "p95_ms": 50.0, "p99_ms": 60.0, "error_ratio": 0.0},
            {"name": "register", "requests": 2000, "p50_ms": 10.0, "p95_ms": 50.0, "p99_ms": 60.0, "error_ratio": 0.0},
        ]
    }
    now = [
        {"name": "verify", "requests": 2000, "p50_ms": 10.0, "p95_ms": 50.0, "p99_ms": 60.0, "error_ratio": 0.0},
        {"name": "register", "requests": 2000, "p50_ms": 10.0, "p95_ms": 50.0, "p99_ms": 60.0, "error_ratio": 0.02},
    ]

    rows = {line.split()[0]: line.split() for line in baseline_table(compare(before, now, parse_max_regression([]), arrival=False))[1:]}

    assert rows["verify.error_ratio"][3] == "+0%"
    assert rows["register.error_ratio"][3:5] == ["from", "0"]
