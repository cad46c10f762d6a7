"""The report's defect categories: why a check failed, in the reader's words.

One list of rules feeds both Allure 3 (``categories`` in the generated ``allurerc.json``) and
``categories.json`` in the results folder (Allure 2). Allure 2 matches only a result's status and
message, and files a result under *every* category that matches; so the rules match on the start
of the message alone and exclude each other, and both viewers file each failure in exactly one.

The suite's failures start their message with the category's stamp (see :func:`stamped`): the
contract suite's reporting plugin stamps every failed check with its area's category (from the
clauses it holds, never from what its message happens to say: "Security: " or "Contract violation: ")
and network errors with "Target unreachable: ", the gate stamps its preflight, the load run says
"SLO breached". A failure without a stamp is a contract violation; a broken result (an exception
that is not a failed check) without a stamp is an error of the suite.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

TARGET_UNREACHABLE = "Target unreachable"
SECURITY = "Security"
SLO_BREACH = "SLO breach"
CONTRACT_VIOLATION = "Contract violation"
SUITE_ERROR = "Suite error"

#: allure-pytest writes a message as ``<exception type>: <text>``; the stamp follows that prefix.
_EXCEPTION_PREFIX = r"(?:[A-Za-z_][\w.]*: )?"
#: Start of a message, per category. Valid in Java and in JavaScript alike: hence ``[\s\S]`` for
#: "any character, newlines too" (Node 20 knows no inline ``(?s)``).
_UNREACHABLE = (
    r"(?:Target unreachable\b|[Cc]annot judge: [\s\S]*(?:refused the connection|does not resolve|did not accept a connection|"
    r"did not answer|timed out|failed TLS verification|speaks plain HTTP|TLS handshake failed|could not be reached|[Uu]nreachable)"
    r"|httpx\.(?:Connect|Read|Write|Pool|Network|RemoteProtocol|Timeout)\w*:"
    # A gateway's 502/503/504 to every probe: the service behind it is not reachable.
    r"|OTP_BASE_URL \S+ answers all \d+ probe requests with 50[234]\b)"
)
_ANY = r"[\s\S]*"
_SECURITY = r"\[?[Ss]ecurity\b"
_SLO = r"SLO\b"
_STAMPED = f"(?:{_UNREACHABLE}|{_SECURITY}|{_SLO})"
#: A run cut short is neither the target's fault nor a bug: Allure's default "broken" bucket.
_INTERRUPTED = r"interrupted by\b"


def stamped(category: str, message: str) -> str:
    """``message`` starting with ``category``'s stamp, so both Allure viewers file it there."""
    return message if message.startswith(f"{category}: ") else f"{category}: {message}"


@dataclass(frozen=True)
class CategoryRule:
    """A category: the statuses it takes and the regular expression the whole message must match."""

    name: str
    statuses: tuple[str, ...]
    message_regex: str

    def allure3(self) -> dict[str, object]:
        """The rule as an Allure 3 ``categories`` entry (JavaScript regular expression)."""
        return {
            "id": self.name.lower().replace(" ", "-"),
            "name": self.name,
            "matchers": [{"statuses": list(self.statuses), "message": f"^(?:{self.message_regex})$"}],
            "expand": True,
        }

    def allure2(self) -> dict[str, object]:
        """The rule as an Allure 2 ``categories.json`` entry (Java's ``matches``: the whole message)."""
        return {"name": self.name, "matchedStatuses": list(self.statuses), "messageRegex": self.message_regex}


RULES: tuple[CategoryRule, ...] = (
    CategoryRule(TARGET_UNREACHABLE, ("failed", "broken"), f"{_EXCEPTION_PREFIX}{_UNREACHABLE}{_ANY}"),
    CategoryRule(SECURITY, ("failed", "broken"), f"{_EXCEPTION_PREFIX}{_SECURITY}{_ANY}"),
    CategoryRule(SLO_BREACH, ("failed",), f"{_EXCEPTION_PREFIX}{_SLO}{_ANY}"),
    CategoryRule(CONTRACT_VIOLATION, ("failed",), f"(?!{_EXCEPTION_PREFIX}{_STAMPED}){_ANY}"),
    CategoryRule(SUITE_ERROR, ("broken",), f"(?!{_EXCEPTION_PREFIX}(?:{_STAMPED}|{_INTERRUPTED})){_ANY}"),
)


def category_of(status: str, message: str) -> str | None:
    """The category a result with ``status`` and ``message`` lands in (the rules' own reading)."""
    import re

    for rule in RULES:
        if status in rule.statuses and re.fullmatch(rule.message_regex, message or ""):
            return rule.name
    return None


def allure3_categories() -> list[dict[str, object]]:
    """All rules, in order, for the Allure 3 configuration."""
    return [rule.allure3() for rule in RULES]


def write_categories_json(results_dir: Path) -> Path:
    """Write ``categories.json`` (Allure 2 format) into ``results_dir``; return its path."""
    path = Path(results_dir) / "categories.json"
    path.write_text(json.dumps([rule.allure2() for rule in RULES], indent=2), encoding="utf-8")
    return path
