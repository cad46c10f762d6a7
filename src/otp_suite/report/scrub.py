"""Keep secrets out of everything under ``reports/``: redact, then prove nothing is left.

What counts as a secret is the suite's one rule, :class:`otp_suite.redaction.Redactor`. The single-file
report keeps its data base64-encoded inside ``d("name", "…")`` calls, so those payloads are
decoded, redacted and re-encoded: a plain ``grep`` of the HTML would miss them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from otp_suite.redaction import Redactor

_REPORT_DATA = re.compile(r'd\("([^"\\]*)","([A-Za-z0-9+/=]*)"\)')


@dataclass(frozen=True)
class Finding:
    """A secret left in a file: where, and what kind (never the value itself)."""

    path: Path
    kind: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}"


def _decode(payload: str) -> str | None:
    try:
        return base64.b64decode(payload, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def _redact_report_data(html: str, redactor: Redactor) -> str:
    def replace(match: re.Match[str]) -> str:
        decoded = _decode(match.group(2))
        if decoded is None:
            return match.group(0)
        cleaned = redactor.redact(decoded)
        if cleaned == decoded:
            return match.group(0)
        return f'd("{match.group(1)}","{base64.b64encode(cleaned.encode("utf-8")).decode("ascii")}")'

    return _REPORT_DATA.sub(replace, html)


def _text_files(root: Path) -> Iterator[tuple[Path, str]]:
    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in paths:
        try:
            yield path, path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # images and other binaries: the suite never writes secrets into them


def _redact_json_value(value: object, redactor: Redactor) -> object:
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, list):
        return [_redact_json_value(item, redactor) for item in value]
    if isinstance(value, dict):
        return {redactor.redact(key): _redact_json_value(item, redactor) for key, item in value.items()}
    return value


def _redact_json_text(text: str, redactor: Redactor) -> str | None:
    """Redact inside the parsed document, so the file stays valid JSON; None if it is not JSON."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if redactor.redact(text) == text:
        return text
    return json.dumps(_redact_json_value(document, redactor), ensure_ascii=False)


def _redacted_file_text(path: Path, text: str, redactor: Redactor) -> str:
    if path.suffix == ".json":
        cleaned = _redact_json_text(text, redactor)
        if cleaned is not None:
            return cleaned
    if path.suffix == ".jsonl":
        lines = [(_redact_json_text(line, redactor) if line.strip() else line) for line in text.split("\n")]
        if all(line is not None for line in lines):
            return "\n".join(lines)  # type: ignore[arg-type]
    cleaned = redactor.redact(text)
    if path.suffix in {".html", ".htm"}:
        cleaned = _redact_report_data(cleaned, redactor)
    return cleaned


def scrub_tree(root: Path, redactor: Redactor) -> list[Path]:
    """Redact secrets in every text file under ``root`` (in place); return the files changed.

    JSON and JSON-lines files are redacted value by value, so they stay parseable.
    """
    changed = []
    for path, text in _text_files(Path(root)):
        cleaned = _redacted_file_text(path, text, redactor)
        if cleaned != text:
            path.write_text(cleaned, encoding="utf-8")
            changed.append(path)
    return changed


def find_secrets(root: Path, redactor: Redactor) -> list[Finding]:
    """Every secret left under ``root``, including inside the report's encoded data."""
    findings = []
    for path, text in _text_files(Path(root)):
        texts = [text]
        if path.suffix in {".html", ".htm"}:
            texts += [decoded for m in _REPORT_DATA.finditer(text) if (decoded := _decode(m.group(2))) is not None]
        kinds = sorted({kind for chunk in texts for kind in redactor.kinds_found(chunk)})
        findings += [Finding(path, kind) for kind in kinds]
    return findings
