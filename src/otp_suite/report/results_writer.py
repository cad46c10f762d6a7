"""The one writer of the Allure results the suite writes by hand: the gate's own checks (the preflight,
an interruption), the contract runner's (a target that is not the API) and the load run's SLOs.

The contract's checks get theirs from allure-pytest, labelled by ``contract_tests/plugins/reporting.py``;
every result written here carries the same labels: ``area`` (which the report groups by), ``feature``,
``severity`` (the area's, :mod:`otp_suite.report.severity`), ``parentSuite`` and ``suite``. Its identity
comes from its full name, never from chance: ``testCaseId`` is the md5 of the full name, ``historyId`` of
the full name and the parameters, so the same check has the same ids in every run and Allure's history
and retries line up between runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from otp_suite.report.labels import AREA_LABEL
from otp_suite.report.severity import severity_of_area

#: Allure's statuses.
PASSED, FAILED, BROKEN, SKIPPED = "passed", "failed", "broken", "skipped"

#: How the name of a result's file ends (``<uuid>-result.json``), as Allure reads it.
RESULT_SUFFIX = "-result.json"

_MIME = {".csv": "text/csv", ".html": "text/html", ".png": "image/png", ".json": "application/json", ".txt": "text/plain"}


@dataclass(frozen=True)
class ResultSource:
    """Who wrote a result, as Allure files it: ``parentSuite``, ``suite`` and ``feature`` (None: the
    result's area, as the contract's results have it), ``framework``, and the start of the full name."""

    parent_suite: str
    framework: str
    full_name_prefix: str
    suite: str | None = None
    feature: str | None = None


#: The gate's own checks, and the contract runner's: filed under their area.
GATE = ResultSource(parent_suite="otp-suite gate", framework="otp-suite", full_name_prefix="otp-suite gate")


@dataclass(frozen=True)
class Attachment:
    """A file in the results folder shown with a result: its name in the report, its file, its MIME type."""

    name: str
    source: str
    type: str

    def as_dict(self) -> dict[str, str]:
        """The attachment as Allure's JSON writes it."""
        return {"name": self.name, "source": self.source, "type": self.type}


def stable_id(text: str) -> str:
    """The id Allure keys a check by: the md5 of ``text`` (the same in every run; not a security hash)."""
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def write_result(
    allure_dir: Path,
    *,
    name: str,
    status: str,
    area: str,
    source: ResultSource = GATE,
    full_name: str | None = None,
    message: str | None = None,
    description: str | None = None,
    description_html: str | None = None,
    started_ms: int | None = None,
    stopped_ms: int | None = None,
    parameters: dict[str, str] | None = None,
    severity: str | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> Path:
    """Write ``<uuid>-result.json`` (:data:`RESULT_SUFFIX`) for one check into ``allure_dir``; return its path.

    ``status`` is an Allure status (:data:`PASSED`, :data:`FAILED`, :data:`BROKEN`, :data:`SKIPPED`);
    ``message`` is shown as the failure reason and matched by the report's categories; ``full_name``
    (default ``<source's prefix>.<area>.<name>``) is the check's identity, and ``parameters`` become
    part of its history (one history per parametrization); ``severity`` defaults to the area's.
    """
    now_ms = int(time.time() * 1000)
    full_name = full_name or f"{source.full_name_prefix}.{area}.{name}"
    shown_parameters = [{"name": key, "value": value} for key, value in sorted((parameters or {}).items())]
    identity = full_name + "".join(f"|{p['name']}={p['value']}" for p in shown_parameters)
    result: dict[str, object] = {
        "uuid": str(uuid.uuid4()),
        "historyId": stable_id(identity),
        "testCaseId": stable_id(full_name),
        "name": name,
        "fullName": full_name,
        "status": status,
        "statusDetails": {"message": message} if message else None,
        "description": description,
        "descriptionHtml": description_html,
        "stage": "finished",
        "start": started_ms or now_ms,
        "stop": stopped_ms or now_ms,
        "parameters": shown_parameters,
        "attachments": [attachment.as_dict() for attachment in attachments],
        "labels": [
            {"name": AREA_LABEL, "value": area},
            {"name": "parentSuite", "value": source.parent_suite},
            {"name": "suite", "value": source.suite or area},
            {"name": "feature", "value": source.feature or area},
            {"name": "framework", "value": source.framework},
            {"name": "severity", "value": severity or severity_of_area(area)},
        ],
    }
    # As allure-python writes a result: nothing empty, so Allure 2 and 3 read both alike.
    written = {key: value for key, value in result.items() if value or value is False}
    return _write_whole(allure_dir / f"{result['uuid']}{RESULT_SUFFIX}", json.dumps(written, indent=2).encode("utf-8"))


def attach_file(allure_dir: Path, path: Path) -> Attachment | None:
    """Copy ``path`` into ``allure_dir`` as an attachment (shown under its own name); None if it is missing."""
    if not path.is_file():
        return None
    source = f"{uuid.uuid4()}-attachment{path.suffix}"
    allure_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, allure_dir / source)
    return Attachment(name=path.name, source=source, type=_MIME.get(path.suffix, "application/octet-stream"))


def attach_text(allure_dir: Path, name: str, text: str) -> Attachment:
    """Write ``text`` into ``allure_dir`` as a plain-text attachment shown as ``name``."""
    source = f"{uuid.uuid4()}-attachment.txt"
    _write_whole(allure_dir / source, text.encode("utf-8"))
    return Attachment(name=name, source=source, type=_MIME[".txt"])


def _write_whole(path: Path, data: bytes) -> Path:
    """Write ``path`` under a temporary name first: a reader (the report, a count) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_bytes(data)
    os.replace(partial, path)
    return path
