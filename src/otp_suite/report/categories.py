"""The report's defect categories: why a check failed, in the reader's words.

One list of rules feeds both Allure 3 (``categories`` in the generated ``allurerc.json``,
matching labels and messages) and ``categories.json`` in the results folder (the Allure 2
format, messages only), so any Allure viewer files failures the same way. The first rule
that matches a result wins, so the order matters: a dead target is not a contract violation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from otp_suite.report.labels import AREA_LABEL, AREA_PREFLIGHT, AREA_SECURITY, AREA_SLO

TARGET_UNREACHABLE = "Target unreachable"
SECURITY = "Security"
SLO_BREACH = "SLO breach"
CONTRACT_VIOLATION = "Contract violation"

# Phrases of the preflight's and runners' one-line diagnoses (otp_suite.preflight).
_UNREACHABLE_MESSAGE = (
    "(cannot judge|refused the connection|does not resolve|did not accept a connection|"
    "did not answer|timed out|failed TLS verification|could not be reached|[Uu]nreachable)"
)


@dataclass(frozen=True)
class CategoryRule:
    """A category and what puts a result into it (any of the label or message patterns)."""

    name: str
    statuses: tuple[str, ...]
    area_pattern: str | None = None
    message_pattern: str | None = None

    def allure3(self) -> dict[str, object]:
        """The rule as an Allure 3 ``categories`` entry (JavaScript regular expressions)."""
        matchers: list[dict[str, object]] = []
        if self.area_pattern:
            matchers.append({"statuses": list(self.statuses), "labels": {AREA_LABEL: self.area_pattern}})
        if self.message_pattern:
            matchers.append({"statuses": list(self.statuses), "message": self.message_pattern})
        if not matchers:
            matchers.append({"statuses": list(self.statuses)})
        return {"id": self.name.lower().replace(" ", "-"), "name": self.name, "matchers": matchers, "expand": True}

    def allure2(self) -> dict[str, object]:
        """The rule as an Allure 2 ``categories.json`` entry (Java regexes match the whole message)."""
        entry: dict[str, object] = {"name": self.name, "matchedStatuses": list(self.statuses)}
        if self.message_pattern:
            entry["messageRegex"] = f"(?s).*{self.message_pattern}.*"
        return entry


RULES: tuple[CategoryRule, ...] = (
    CategoryRule(TARGET_UNREACHABLE, ("failed", "broken"), area_pattern=f"^{AREA_PREFLIGHT}$", message_pattern=_UNREACHABLE_MESSAGE),
    CategoryRule(SECURITY, ("failed", "broken"), area_pattern=f"^{AREA_SECURITY}$", message_pattern="^\\[?[Ss]ecurity\\b"),
    CategoryRule(SLO_BREACH, ("failed",), area_pattern=f"^({AREA_SLO}|load)$", message_pattern="\\bSLO\\b"),
    CategoryRule(CONTRACT_VIOLATION, ("failed",)),
)


def allure3_categories() -> list[dict[str, object]]:
    """All rules, in order, for the Allure 3 configuration."""
    return [rule.allure3() for rule in RULES]


def write_categories_json(results_dir: Path) -> Path:
    """Write ``categories.json`` (Allure 2 format) into ``results_dir``; return its path."""
    path = Path(results_dir) / "categories.json"
    path.write_text(json.dumps([rule.allure2() for rule in RULES], indent=2), encoding="utf-8")
    return path
