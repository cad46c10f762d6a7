"""``--metrics-port``: during a real run the judging Locust process serves Prometheus text at /metrics,
read with the official parser, and (where Debian's ``prometheus`` is installed) scraped by a real
Prometheus server (issue 26)."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from helpers.load import QuickRun, quick_load
from otp_suite.loadtest import EMBEDDED_LOAD_POLICY
from otp_suite.loadtest.slo import SloThreshold
from otp_suite.polling import poll_until
from otp_suite.ports import free_port
from otp_suite.target import resolved_target

pytestmark = pytest.mark.slow

#: Long enough for two scrapes apart and for a Prometheus server to start and scrape a few times.
RUN_S = 30
#: One SLO a busy machine cannot breach: its state must read "holds" (0) whatever the latency.
LOOSE_SLO = SloThreshold("verify", "p95_ms", 60_000.0)
OPERATIONS = ("register", "resend", "verify")


@dataclass
class MetricsRun:
    """A load run going on in a thread, serving its metrics on ``port``."""

    port: int
    thread: threading.Thread
    finished: list[QuickRun]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"


@pytest.fixture(scope="module")
def metrics_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MetricsRun]:
    """A RUN_S healthy run with --metrics-port and one loose SLO, in a thread; joined (and its outcome checked) at the end."""
    from helpers.load import quick_config

    port, finished = free_port(), []
    directory = tmp_path_factory.mktemp("metrics-run")

    def run() -> None:
        with resolved_target(quick_config(metrics_port=port), policy=EMBEDDED_LOAD_POLICY) as config:
            finished.append(quick_load(config, directory, run_time_s=RUN_S, measure_every_slo=False, slos=(LOOSE_SLO,)))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield MetricsRun(port, thread, finished)
    thread.join(timeout=RUN_S + 120)
    assert finished and finished[0].outcome.exit_code == 0, finished and finished[0].outcome.reason


#: A scrape's samples by name and labels.
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _scrape(url: str) -> Samples:
    """Every sample of the exposition at ``url``, by name and labels, read with the official parser."""
    text = httpx.get(url, timeout=5).text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value for family in text_string_to_metric_families(text) for sample in family.samples}


def _scrape_when(url: str, ready: Callable[[Samples], bool]) -> Samples | None:
    """A scrape of ``url`` once ``ready(samples)`` holds; None before."""
    samples = _scrape(url)
    return samples if ready(samples) else None


def _requests(samples: Samples, entry: str) -> float:
    return samples.get(("otp_load_requests_total", (("entry", entry),)), 0.0)


def test_metrics_parse_the_request_counter_grows_and_each_operation_has_latency(metrics_run):
    first = poll_until(lambda: _scrape_when(metrics_run.url, lambda s: _requests(s, "register") > 0), deadline_s=60, what="a first scrape with requests", interval_s=0.5, retry_on=(httpx.TransportError,))
    grown = lambda s: _requests(s, "register") > _requests(first, "register") and all(_has_latency(s, name) for name in OPERATIONS)
    second = poll_until(lambda: _scrape_when(metrics_run.url, grown), deadline_s=RUN_S, what="a later scrape with more requests and every operation's latency", interval_s=0.5)

    assert _requests(second, "register") > _requests(first, "register")
    for name in OPERATIONS:
        assert _has_latency(second, name), name
    assert second[("otp_load_slo_status", (("slo", "verify.p95_ms"),))] == 0  # holds
    assert second[("otp_load_users", ())] > 0


def _has_latency(samples: Samples, entry: str) -> bool:
    return all(samples.get(("otp_load_latency_quantile_seconds", (("entry", entry), ("kind", kind), ("quantile", "0.95")))) for kind in ("locust", "corrected")) and any(
        name == "otp_load_latency_seconds_count" and dict(labels).get("entry") == entry for name, labels in samples
    )


@pytest.fixture
def prometheus_server(metrics_run: MetricsRun, tmp_path: Path) -> Iterator[str]:
    """Debian's Prometheus scraping the run every second; its HTTP API's URL."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("Debian's prometheus is not installed (apt-get install prometheus); the official parser reads the metrics above")
    config = tmp_path / "prometheus.yml"
    config.write_text(f"global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: otp-load\n    static_configs:\n      - targets: ['127.0.0.1:{metrics_run.port}']\n")
    port = free_port()
    with (tmp_path / "prometheus.log").open("wb") as log:
        server = subprocess.Popen([binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_a_real_prometheus_scrapes_the_run_and_sees_every_operation(prometheus_server):
    def series(query: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{prometheus_server}/api/v1/query", params={"query": query}, timeout=5).json()
        result: list[dict[str, Any]] = answer["data"]["result"] if answer.get("status") == "success" else []
        return result

    def every_operation() -> list[dict[str, Any]] | None:
        found = series('otp_load_latency_quantile_seconds{quantile="0.95",kind="locust"}')
        return found if {x["metric"]["entry"] for x in found} >= set(OPERATIONS) else None

    found = poll_until(every_operation, deadline_s=RUN_S, what="Prometheus to hold every operation's latency", interval_s=1, retry_on=(httpx.TransportError,))

    assert {x["metric"]["entry"] for x in found} >= set(OPERATIONS)
    assert float(series('up{job="otp-load"}')[0]["value"][1]) == 1
    assert float(series('otp_load_requests_total{entry="verify"}')[0]["value"][1]) > 0
