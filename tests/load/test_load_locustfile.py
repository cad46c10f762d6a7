"""``locust -f load/locustfile.py`` works on its own: headless, and from Locust's web UI."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from otp_suite.polling import poll_until
from otp_suite.ports import free_port

pytestmark = pytest.mark.slow


def test_plain_locust_headless_runs_every_flow_against_the_embedded_service(standalone_locust, tmp_path):
    with standalone_locust("--headless", "-u", "4", "-r", "4", "-t", "5s", "--csv", "plain", "--only-summary") as locust:
        code = locust.wait(timeout=60)

    with (tmp_path / "plain_stats.csv").open(newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    assert code == 0
    for name in ("register", "resend", "inbox", "verify", "flow"):
        assert int(rows[name]["Request Count"]) > 0, name
        assert int(rows[name]["Failure Count"]) == 0, name


def test_the_web_ui_starts_a_swarm_whose_flows_succeed(standalone_locust):
    port = free_port()
    ui = f"http://127.0.0.1:{port}"
    with standalone_locust("--web-host", "127.0.0.1", "--web-port", str(port)):
        _wait_for(lambda: httpx.get(ui + "/", timeout=2).status_code == 200, "the web UI to answer")
        started = httpx.post(ui + "/swarm", data={"user_count": "3", "spawn_rate": "3"}, timeout=5)
        flows = _wait_for(lambda: _flow_entry(ui) if (_flow_entry(ui) or {}).get("num_requests", 0) >= 3 else None, "3 flows in the UI's stats")
        httpx.post(ui + "/stop", timeout=5)

    assert started.json()["success"] is True
    assert flows["num_failures"] == 0


def _flow_entry(ui: str) -> dict[str, Any] | None:
    stats = httpx.get(ui + "/stats/requests", timeout=2).json()["stats"]
    return next((entry for entry in stats if entry["name"] == "flow"), None)


T = TypeVar("T")


def _wait_for(probe: Callable[[], T | None], what: str, deadline_s: float = 30.0) -> T:
    return poll_until(probe, deadline_s=deadline_s, what=what, interval_s=0.2, retry_on=(httpx.TransportError,))


def _register_counts(stats_csv: Path) -> tuple[int, int]:
    with stats_csv.open(newline="") as handle:
        row = next(row for row in csv.DictReader(handle) if row["Name"] == "register")
    return int(row["Request Count"]), int(row["Failure Count"])


def test_certificates_are_verified_by_default_so_a_self_signed_target_fails(standalone_locust, self_signed_https_service, tmp_path):
    target = self_signed_https_service
    with standalone_locust("--headless", "-u", "2", "-r", "2", "-t", "3s", "--csv", "tls", "--only-summary", OTP_BASE_URL=target.url, OTP_JWT_SECRET=target.secret) as locust:
        locust.wait(timeout=60)

    requests, failures = _register_counts(tmp_path / "tls_stats.csv")
    failure_messages = (tmp_path / "tls_failures.csv").read_text()
    assert requests > 0 and failures == requests
    assert "CERTIFICATE_VERIFY_FAILED" in failure_messages or "SSL" in failure_messages


def test_otp_verify_tls_0_opts_out_of_certificate_checks(standalone_locust, self_signed_https_service, tmp_path):
    target = self_signed_https_service
    with standalone_locust("--headless", "-u", "2", "-r", "2", "-t", "3s", "--csv", "tls", "--only-summary", OTP_BASE_URL=target.url, OTP_JWT_SECRET=target.secret, OTP_VERIFY_TLS="0") as locust:
        locust.wait(timeout=60)

    requests, failures = _register_counts(tmp_path / "tls_stats.csv")
    assert requests > 0 and failures == 0
