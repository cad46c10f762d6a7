"""Live Prometheus metrics of a load run (``--metrics-port``), written with the official ``prometheus-client``.

The judging Locust process (master or single process) serves them at ``/metrics``; every scrape
reads the run as it stands (:mod:`otp_suite.loadtest.live_figures`, the SLO states of
:class:`otp_suite.loadtest.breach_watch.BreachWatch`), so nothing is kept between scrapes and
memory does not grow with the run. Every series is labelled by ``entry`` (register, resend, inbox,
verify, flow) and, for latency, by ``kind``: ``locust`` (from when the request was sent, Locust's
timing) or ``corrected`` (from when it was due: corrected for coordinated omission).

==========================================  =====================================================
``otp_load_requests_total{entry}``           requests so far (counter)
``otp_load_failures_total{entry}``           failed requests so far (counter)
``otp_load_latency_seconds{entry,kind}``     latency histogram (buckets from the HdrHistogram)
``otp_load_latency_quantile_seconds``        p50/p95/p99 from the HdrHistogram (label ``quantile``)
``otp_load_users``                           running virtual users (closed model)
``otp_load_arrival_rate``                    flows started per second on schedule (open model; 0 otherwise)
``otp_load_slo_status{slo}``                 -1 not judged yet, 0 holds, 1 breached so far, 2 breached beyond doubt
``otp_load_slo_value{slo}``, ``..._limit``   each SLO's figure so far and its limit (ms, ratio)
``otp_load_aborted``                         1 once the run was stopped on a breach (--abort-on-breach)
==========================================  =====================================================

``deploy/grafana-load-dashboard.json`` is a sample dashboard over these series.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from hdrh.histogram import HdrHistogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from otp_suite.loadtest.breach_watch import BEYOND_DOUBT, BREACHED, HOLDS, BreachWatch, current_value
from otp_suite.loadtest.latency_histograms import KINDS
from otp_suite.loadtest.live_figures import EntryNow

#: Histogram bucket bounds, seconds: from a loopback answer to a request timeout.
BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUANTILES = (0.5, 0.95, 0.99)
_STATUS = {HOLDS: 0, BREACHED: 1, BEYOND_DOUBT: 2}


@dataclass(frozen=True)
class RunNow:
    """What one scrape reads: the entries so far, the load's size, the SLO states, whether the run was aborted."""

    entries: Mapping[str, EntryNow]
    users: int
    arrival_rate: float
    aborted: bool


class LoadCollector(Collector):
    """A prometheus-client collector reading the run at each scrape (``read`` returns it)."""

    def __init__(self, read: Callable[[], RunNow], watch: BreachWatch) -> None:
        self._read = read
        self._watch = watch

    def collect(self) -> Iterator[Metric]:
        """Every series of the module docstring, as the run stands now."""
        now = self._read()
        requests = CounterMetricFamily("otp_load_requests", "Requests so far, per entry (operation or flow).", labels=["entry"])
        failures = CounterMetricFamily("otp_load_failures", "Failed requests so far, per entry.", labels=["entry"])
        latency = HistogramMetricFamily("otp_load_latency_seconds", "Latency per entry; kind=locust from when sent, kind=corrected from when due.", labels=["entry", "kind"])
        quantiles = GaugeMetricFamily("otp_load_latency_quantile_seconds", "p50/p95/p99 latency per entry from the HdrHistogram (3 significant digits).", labels=["entry", "kind", "quantile"])
        for name, entry in now.entries.items():
            requests.add_metric([name], entry.requests)
            failures.add_metric([name], entry.failures)
            for kind in KINDS:
                histogram = entry.histograms.get(kind)
                if histogram is None or not histogram.get_total_count():
                    continue
                latency.add_metric([name, kind], _buckets(histogram), sum_value=histogram.get_mean_value() * histogram.get_total_count() / 1e6)
                for share in QUANTILES:
                    quantiles.add_metric([name, kind, f"{share:g}"], histogram.get_value_at_percentile(share * 100) / 1e6)
        yield from (requests, failures, latency, quantiles)
        yield GaugeMetricFamily("otp_load_users", "Running virtual users (closed model).", value=now.users)
        yield GaugeMetricFamily("otp_load_arrival_rate", "Flows started per second on schedule (open model; 0 in the closed model).", value=now.arrival_rate)
        yield from self._slos(now)
        yield GaugeMetricFamily("otp_load_aborted", "1 once the run was stopped on an SLO breached beyond doubt.", value=1 if now.aborted else 0)

    def _slos(self, now: RunNow) -> Iterator[Metric]:
        status = GaugeMetricFamily("otp_load_slo_status", "-1 not judged yet, 0 holds, 1 breached so far, 2 breached beyond doubt.", labels=["slo"])
        value = GaugeMetricFamily("otp_load_slo_value", "Each SLO's figure so far (ms or ratio).", labels=["slo"])
        limit = GaugeMetricFamily("otp_load_slo_limit", "Each SLO's limit (ms or ratio).", labels=["slo"])
        for slo in self._watch.slos:
            status.add_metric([slo.name], _STATUS.get(self._watch.states.get(slo.name, ""), -1))
            limit.add_metric([slo.name], slo.limit)
            measured = current_value(slo, now.entries.get(slo.entry))
            if measured is not None:
                value.add_metric([slo.name], measured)
        yield from (status, value, limit)


def _buckets(histogram: HdrHistogram) -> list[tuple[str, float]]:
    """Cumulative counts at each of :data:`BUCKETS_S`, and +Inf."""
    bounds_us = [round(bound * 1e6) for bound in BUCKETS_S]
    counts = [0] * len(bounds_us)
    for item in histogram.get_recorded_iterator():
        for index, bound in enumerate(bounds_us):
            if item.value_iterated_to <= bound:
                counts[index] += item.count_at_value_iterated_to
    return [*((f"{bound:g}", float(count)) for bound, count in zip(BUCKETS_S, counts, strict=True)), ("+Inf", float(histogram.get_total_count()))]
