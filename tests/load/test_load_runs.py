"""Real Locust runs of load/locustfile.py against the reference service, judged by the SLO gate.

Each run is short (8 s) and bounded; the faulty services are the fault catalog's
``slow_verify:400`` (verify 400 ms slower) and ``fail_ratio:0.03`` (3% of requests answer 503).
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET

import pytest

from otp_suite.loadtest.corrected import read_samples
from otp_suite.testdata.phone_numbers import PhoneNumberSource

pytestmark = pytest.mark.slow

JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.")


def test_a_healthy_service_passes_every_default_slo(healthy_load_run):
    run = healthy_load_run.run

    assert run.outcome.exit_code == 0, f"{run.outcome.reason}\n" + "\n".join(run.printed)
    summary = run.summary()
    assert summary["passed"] is True
    assert {"register", "resend", "verify", "flow"} <= {entry["name"] for entry in summary["entries"]}
    assert all(entry["failures"] == 0 and entry["requests"] > 0 for entry in summary["entries"])


def test_summary_json_agrees_with_locusts_csv(healthy_load_run):
    run = healthy_load_run.run

    with (run.load_dir / "locust_stats.csv").open(newline="") as handle:
        csv_rows = {row["Name"]: row for row in csv.DictReader(handle)}
    entries = run.summary()["entries"]
    assert [entry["name"] for entry in entries][:3] == ["register", "resend", "inbox"]
    for entry in entries:
        row = csv_rows[entry["name"]]
        assert entry["requests"] == int(row["Request Count"])
        assert entry["failures"] == int(row["Failure Count"])
        assert entry["rps"] == pytest.approx(float(row["Requests/s"]))
        assert entry["p50_ms"] == pytest.approx(float(row["50%"]))
        assert entry["p95_ms"] == pytest.approx(float(row["95%"]))
        assert entry["p99_ms"] == pytest.approx(float(row["99%"]))
        assert entry["max_ms"] == pytest.approx(float(row["Max Response Time"]))


def hdr_percentile(ordered: list[float], percent: float) -> float:
    """The value HdrHistogram reports at ``percent`` of sorted values: rank round(n x percent / 100), not
    nearest-rank's ceiling (with 55 values, p95 is the 52nd, not the 53rd: 2 % apart in one run)."""
    rank = max(1, int(percent / 100 * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def test_in_the_closed_model_the_corrected_figures_are_locusts_own_samples_unrounded(healthy_load_run):
    # Nothing is scheduled, so every request was due when it was sent: corrected = measured.
    run = healthy_load_run.run
    samples = read_samples(run.load_dir / "locust")
    entries = run.summary()["entries"]

    assert samples and all(row.corrected_ms == row.latency_ms for row in samples)
    # Locust writes its final statistics while the stopped users' last requests may still answer;
    # each user has at most one in flight, so the samples hold every counted request and at most
    # that many more (seen on a loaded machine: 57 samples against Locust's 55).
    in_flight_at_stop = int(run.summary()["run"]["users"])
    for entry in entries:
        mine = sorted(row.latency_ms for row in samples if row.name == entry["name"])
        assert entry["requests"] <= len(mine) <= entry["requests"] + in_flight_at_stop, entry["name"]
        assert entry["p95_corrected_ms"] == pytest.approx(hdr_percentile(mine, 95), rel=0.001)  # 3 significant digits
        assert entry["dropped"] == 0


def test_every_number_sent_an_otp_lies_in_the_test_range_and_none_twice_across_flows(healthy_load_run):
    config, run = healthy_load_run.target.config, healthy_load_run.run

    sent = healthy_load_run.target.recorder.numbers
    in_range = PhoneNumberSource(config.test_country_code, config.test_phone_prefix)
    assert run.outcome.exit_code == 0, run.outcome.reason
    assert sent, "the run sent no OTP requests"
    assert [number for number in sent if not in_range.contains(*number)] == []
    # register + at most one resend per flow: no number is reused by another flow
    assert max(sent.count(number) for number in set(sent)) <= 2


def test_no_secret_or_token_appears_in_any_output(healthy_load_run):
    run, secret = healthy_load_run.run, healthy_load_run.target.secret

    outputs = [*run.load_dir.iterdir(), *run.allure_dir.iterdir()]
    assert run.outcome.exit_code == 0, run.outcome.reason
    leaking = [path.name for path in outputs if secret.encode() in path.read_bytes() or JWT_SHAPE.search(path.read_bytes().decode("latin-1"))]
    printed = "\n".join(run.printed)
    assert leaking == []
    assert secret not in printed and not JWT_SHAPE.search(printed)


def test_allure_and_junit_hold_one_result_per_slo_with_the_run_files_attached(healthy_load_run):
    run = healthy_load_run.run

    results = [json.loads(path.read_text()) for path in run.allure_dir.glob("*-result.json")]
    cases = ET.parse(run.load_dir / "junit.xml").getroot().iter("testcase")

    expected = sorted(f"{slo.name} {slo.comparison} {slo.threshold:g}" for slo in run.outcome.slos)
    assert sorted(result["name"] for result in results) == expected
    assert sorted(case.attrib["name"] for case in cases) == expected
    assert {result["status"] for result in results} == {"passed"}
    attached = {attachment["name"]: attachment for attachment in results[0]["attachments"]}
    assert {"locust_stats.csv", "locust.html", "latency.png"} <= set(attached)
    assert (run.allure_dir / attached["latency.png"]["source"]).read_bytes().startswith(b"\x89PNG")


def test_a_verify_400_ms_slower_breaches_the_verify_latency_slo(embedded_load_target, run_quick_load):
    with embedded_load_target("slow_verify:400") as config:
        run = run_quick_load(config)

    assert run.outcome.exit_code == 1
    assert "verify.p95_ms" in run.outcome.breached
    assert "verify.p95_ms" in run.outcome.reason
    assert run.summary()["passed"] is False


def test_three_percent_of_requests_failing_breaches_the_flow_error_slo(embedded_load_target, run_quick_load):
    with embedded_load_target("fail_ratio:0.03") as config:
        run = run_quick_load(config)

    assert run.outcome.exit_code == 1
    assert "flow.error_ratio" in run.outcome.breached
    assert "flow.error_ratio" in run.outcome.reason


def test_a_master_with_two_workers_merges_requests_from_both(embedded_load_target, run_quick_load):
    with embedded_load_target("") as config:
        run = run_quick_load(config, workers=2, run_time_s=10)

    census = run.outcome.census
    assert run.outcome.exit_code == 0, f"{run.outcome.reason}\n" + "\n".join(run.printed)
    assert census is not None and census["workers_joined"] == 2
    assert set(census["requests_by_worker"]) == {"0", "1"}
    assert all(count > 0 for count in census["requests_by_worker"].values())
    merged = sum(entry["requests"] for entry in run.summary()["entries"] if entry["name"] != "flow")
    assert merged == sum(census["requests_by_worker"].values())
    # the workers shipped their samples: the master computed corrected figures for every entry
    assert all(entry["p95_corrected_ms"] is not None for entry in run.summary()["entries"])
    assert any("2 of 2 workers joined" in line for line in run.printed)
