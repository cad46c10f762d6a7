"""Distributed runs: how many workers joined the master, and how many requests each one sent.

Workers already report their stats to the master every few seconds (Locust's ``worker_report``
event); the master adds up each worker's HTTP requests and, when it quits, writes
``<csv prefix>_workers.json`` for the runner to print and check.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from otp_suite.loadtest.flows import FLOW_REQUEST_TYPE

CENSUS_SUFFIX = "_workers.json"


class WorkerCensus:
    """Listens on a Locust master's events; a no-op on workers and single-process runs."""

    def __init__(self) -> None:
        self.requests_by_worker: Counter[int] = Counter()
        self.workers_joined = 0
        self._runner: Any = None

    def attach(self, events: Any) -> None:
        """Subscribe to ``events`` (a locust.event.Events)."""
        events.init.add_listener(self._on_init)
        events.test_start.add_listener(self._on_test_start)
        events.worker_report.add_listener(self._on_worker_report)
        events.quitting.add_listener(self._on_quitting)

    def _on_init(self, environment: Any, **kwargs: Any) -> None:
        self._runner = environment.runner

    def _on_test_start(self, environment: Any, **kwargs: Any) -> None:
        self.workers_joined = max(self.workers_joined, getattr(environment.runner, "worker_count", 0))

    def _on_worker_report(self, client_id: str, data: dict[str, Any], **kwargs: Any) -> None:
        index = self._runner.get_worker_index(client_id) if self._runner is not None else -1
        sent = sum(entry["num_requests"] for entry in data.get("stats", ()) if entry.get("method") != FLOW_REQUEST_TYPE)
        if sent:
            self.requests_by_worker[index] += sent

    def _on_quitting(self, environment: Any, **kwargs: Any) -> None:
        prefix = environment.parsed_options.csv_prefix if environment.parsed_options else None
        if not prefix or environment.parsed_options.worker or not (self.workers_joined or self.requests_by_worker):
            return
        if not environment.parsed_options.master:
            return
        census = {
            "workers_joined": self.workers_joined,
            "requests_by_worker": {str(index): count for index, count in sorted(self.requests_by_worker.items())},
        }
        Path(prefix + CENSUS_SUFFIX).write_text(json.dumps(census, indent=2), encoding="utf-8")


def read_census(csv_prefix: Path) -> dict[str, Any] | None:
    """The census a master wrote next to its CSV files, or None (single-process run)."""
    path = Path(str(csv_prefix) + CENSUS_SUFFIX)
    if not path.is_file():
        return None
    census: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return census
