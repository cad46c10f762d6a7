"""The sample Grafana dashboard (deploy/grafana/otp-load-dashboard.json) asks only for series the exporter serves."""

from __future__ import annotations

import json
import re

from otp_suite.config import PROJECT_ROOT
from otp_suite.loadtest.breach_watch import BreachWatch
from otp_suite.loadtest.latency_histograms import LOCUST, new_histogram, record_ms
from otp_suite.loadtest.live_figures import EntryNow
from otp_suite.loadtest.metrics import LoadCollector, RunNow
from otp_suite.loadtest.slo import DEFAULT_SLOS

DASHBOARD = PROJECT_ROOT / "deploy" / "grafana" / "otp-load-dashboard.json"


def _served_names() -> set[str]:
    histogram = new_histogram()
    record_ms(histogram, 12.0)
    now = RunNow({"verify": EntryNow(1, 0, {LOCUST: histogram})}, users=1, arrival_rate=0.0, aborted=False)
    return {sample.name for family in LoadCollector(lambda: now, BreachWatch(DEFAULT_SLOS)).collect() for sample in family.samples}


def test_every_series_the_dashboard_queries_is_served():
    expressions = [target["expr"] for panel in json.loads(DASHBOARD.read_text())["panels"] for target in panel["targets"]]

    asked = {name for expression in expressions for name in re.findall(r"\botp_load_[a-z_]+", expression)}

    assert asked and asked <= _served_names(), asked - _served_names()
