"""Writing one Allure test result by hand, for checks the gate makes itself (e.g. the preflight)."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from pathlib import Path

from otp_suite.report.labels import AREA_LABEL
from otp_suite.report.severity import severity_of_area


def write_result(
    allure_dir: Path,
    *,
    name: str,
    status: str,
    area: str,
    message: str | None = None,
    description: str | None = None,
    started_ms: int | None = None,
    stopped_ms: int | None = None,
    parameters: dict[str, str] | None = None,
    severity: str | None = None,
) -> Path:
    """Write ``<uuid>-result.json`` for one check into ``allure_dir``; return its path.

    ``status`` is an Allure status (passed, failed, broken, skipped); ``message`` is shown as
    the failure reason and matched by the report's categories; ``parameters`` become part of the
    result's identity (one history per parametrization); ``severity`` defaults to the area's.
    """
    allure_dir.mkdir(parents=True, exist_ok=True)
    now_ms = int(time.time() * 1000)
    full_name = f"otp-suite gate.{area}.{name}"
    shown_parameters = [{"name": key, "value": value} for key, value in sorted((parameters or {}).items())]
    identity = full_name + "".join(f"|{p['name']}={p['value']}" for p in shown_parameters)
    result: dict[str, object] = {
        "uuid": str(uuid.uuid4()),
        "historyId": hashlib.md5(identity.encode("utf-8"), usedforsecurity=False).hexdigest(),
        "testCaseId": hashlib.md5(full_name.encode("utf-8"), usedforsecurity=False).hexdigest(),
        "name": name,
        "fullName": full_name,
        "status": status,
        "stage": "finished",
        "start": started_ms or now_ms,
        "stop": stopped_ms or now_ms,
        "parameters": shown_parameters,
        "labels": [
            {"name": AREA_LABEL, "value": area},
            {"name": "parentSuite", "value": "otp-suite gate"},
            {"name": "suite", "value": area},
            {"name": "framework", "value": "otp-suite"},
            {"name": "severity", "value": severity or severity_of_area(area)},
        ],
    }
    if message or description:
        result["statusDetails"] = {"message": message or "", "trace": ""}
    if description:
        result["description"] = description
    path = allure_dir / f"{result['uuid']}-result.json"
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return path
