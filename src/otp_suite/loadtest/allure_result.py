"""The load verdict as an Allure result: one step per SLO, Locust's CSV and HTML and the plots attached.

The table of every entry, Locust's own figures beside the corrected ones, is shown in the
description and attached as text.

Written with allure-python-commons' own model and file logger (the library allure-pytest uses),
so ``allure generate`` reads it beside the contract tests' results.
"""

from __future__ import annotations

import hashlib
import html
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Attachment, Label, Parameter, Status, StatusDetails, TestResult, TestStepResult

from otp_suite.loadtest.slo import FAIL, NOT_APPLICABLE, NOT_JUDGED, PASS, SloResult

_MIME = {".csv": "text/csv", ".html": "text/html", ".png": "image/png", ".json": "application/json"}
TEST_NAME = "load: SLO gate"


#: An SLO's status as an Allure step: an unmeasured SLO is broken (could not judge), never passed.
_STEP_STATUS = {PASS: Status.PASSED, FAIL: Status.FAILED, NOT_JUDGED: Status.BROKEN, NOT_APPLICABLE: Status.SKIPPED}


def write_allure_result(
    allure_dir: Path,
    results: Iterable[SloResult],
    attachments: Iterable[Path],
    *,
    started_ms: int,
    description: str,
    broken_reason: str = "",
    entry_table: Iterable[str] = (),
) -> str:
    """Write a ``*-result.json`` (and the attachments) into ``allure_dir``; returns the result's uuid."""
    logger = AllureFileLogger(str(allure_dir))
    results = list(results)
    stop_ms = int(time.time() * 1000)
    steps = [
        TestStepResult(
            name=f"{r.name} {r.comparison} {r.threshold:g}: {r.note or '-' if r.value is None else f'{r.value:g}'}",
            status=_STEP_STATUS[r.status],
            stage="finished",
            start=started_ms,
            stop=stop_ms,
            parameters=[Parameter(name="threshold", value=f"{r.comparison} {r.threshold:g}"), Parameter(name="measured", value=str(r.value))],
        )
        for r in results
    ]
    breached = [r.name for r in results if r.breached]
    unjudged = [r.name for r in results if not r.judged]
    if broken_reason:
        status, message = Status.BROKEN, broken_reason
    elif breached:
        status, message = Status.FAILED, "SLO breached: " + ", ".join(breached)
    elif unjudged:
        status, message = Status.BROKEN, "SLOs not judged (no samples): " + ", ".join(unjudged)
    else:
        status, message = Status.PASSED, f"all {len(results)} SLOs hold"
    files = []
    for path in attachments:
        if path.is_file():
            source = f"{uuid.uuid4()}-attachment{path.suffix}"
            logger.report_attached_file(str(path), source)
            files.append(Attachment(name=path.name, source=source, type=_MIME.get(path.suffix, "application/octet-stream")))
    table = "\n".join(entry_table)
    description_html = None
    if table:
        source = f"{uuid.uuid4()}-attachment.txt"
        logger.report_attached_data(table.encode(), source)
        files.append(Attachment(name="latency-table.txt", source=source, type="text/plain"))
        caption = "Per entry: Locust's own figures, and (c-) the latency corrected for coordinated omission, in ms"
        description_html = f"<p>{html.escape(description)}</p><p>{caption}</p><pre>{html.escape(table)}</pre>"
    result_uuid = str(uuid.uuid4())
    result = TestResult(
        uuid=result_uuid,
        historyId=hashlib.md5(TEST_NAME.encode()).hexdigest(),  # noqa: S324 - an id, not security
        name=TEST_NAME,
        fullName="otp_suite.loadtest.slo_gate",
        description=description,
        descriptionHtml=description_html,
        status=status,
        statusDetails=StatusDetails(message=message),
        stage="finished",
        start=started_ms,
        stop=stop_ms,
        steps=steps,
        attachments=files,
        labels=[Label(name="suite", value="load"), Label(name="feature", value="load"), Label(name="framework", value="locust")],
    )
    logger.report_result(result)
    return result_uuid
