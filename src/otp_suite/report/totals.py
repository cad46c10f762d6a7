"""Counting an Allure results folder the way the report does: one verdict per test."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from otp_suite.report.labels import AREA_LABEL, FALLBACK_AREA_LABELS
from otp_suite.report.results_writer import RESULT_SUFFIX

STATUSES = ("passed", "failed", "broken", "skipped", "unknown")


@dataclass(frozen=True)
class Totals:
    """Test counts by status, overall and per area."""

    by_status: dict[str, int] = field(default_factory=dict)
    by_area: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Number of distinct tests."""
        return sum(self.by_status.values())

    def count(self, status: str) -> int:
        """How many tests ended with ``status``."""
        return self.by_status.get(status, 0)


def read_results(results_dir: Path) -> list[dict[str, Any]]:
    """Every ``*-result.json`` in ``results_dir``, keeping only the latest attempt of each test.

    Allure shows retries of one test (same ``historyId``) as one entry, its last run; so do we.
    """
    latest: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(results_dir).glob(f"*{RESULT_SUFFIX}")):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        key = result.get("historyId") or result.get("testCaseId") or result.get("uuid") or path.name
        previous = latest.get(key)
        if previous is None or (result.get("stop") or 0) >= (previous.get("stop") or 0):
            latest[key] = result
    return list(latest.values())


def area_of(result: dict[str, Any]) -> str:
    """The result's area: its ``area`` label, else the first fallback label present, else ``other``."""
    labels: dict[str, str] = {}
    for label in result.get("labels") or []:
        labels.setdefault(label.get("name", ""), label.get("value", ""))
    for name in (AREA_LABEL, *FALLBACK_AREA_LABELS):
        if labels.get(name):
            return labels[name]
    return "other"


def count_results(results_dir: Path) -> Totals:
    """Count the tests in ``results_dir`` by status and by area."""
    by_status: Counter[str] = Counter()
    by_area: dict[str, Counter[str]] = {}
    for result in read_results(results_dir):
        status = str(result.get("status")) if result.get("status") in STATUSES else "unknown"
        by_status[status] += 1
        by_area.setdefault(area_of(result), Counter())[status] += 1
    return Totals(by_status=dict(by_status), by_area={area: dict(counts) for area, counts in sorted(by_area.items())})
