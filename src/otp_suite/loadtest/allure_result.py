"""The load verdict as Allure results: one per SLO, Locust's CSV and HTML and the plots attached.

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
from allure_commons.model2 import Attachment, Label, Status, StatusDetails, TestResult

from otp_suite.loadtest.slo import FAIL, NOT_APPLICABLE, NOT_JUDGED, PASS, SloResult
from otp_suite.loadtest.slo_junit import slo_case, slo_case_name
from otp_suite.report.labels import AREA_LABEL, AREA_SLO
from otp_suite.report.severity import severity_of_area

_MIME = {".csv": "text/csv", ".html": "text/html", ".png": "image/png", ".json": "application/json"}
TEST_NAME = "load: SLO gate"


#: An SLO's status as an Allure result, as in JUnit: an unmeasured SLO is skipped with its reason, never passed.
_STATUS = {PASS: Status.PASSED, FAIL: Status.FAILED, NOT_JUDGED: Status.SKIPPED, NOT_APPLICABLE: Status.SKIPPED}


def write_allure_result(
    allure_dir: Path,
    results: Iterable[SloResult],
    attachments: Iterable[Path],
    *,
    started_ms: int,
    description: str,
    broken_reason: str = "",
    entry_table: Iterable[str] = (),
) -> list[str]:
    """Write the load run's ``*-result.json`` files (and the attachments) into ``allure_dir``; returns their uuids.

    One result per SLO, named as its JUnit case (otp_suite.loadtest.slo_junit), so
    Allure, the console and a CI test tab count the same: passed, failed ("SLO breached: ...") or
    skipped with the reason (not judged, not applicable). A run that could not be judged at all is
    one broken result, :data:`TEST_NAME`. The attachments are written once and shared by every result.
    """
    logger = AllureFileLogger(str(allure_dir))
    results = list(results)
    stop_ms = int(time.time() * 1000)
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
    common = dict(description=description, descriptionHtml=description_html, stage="finished", start=started_ms, stop=stop_ms, attachments=files)
    if broken_reason or not results:
        verdicts = [(TEST_NAME, "otp_suite.loadtest.slo_gate", Status.BROKEN, broken_reason or "the load run judged no SLO")]
    else:
        verdicts = [(slo_case_name(r), f"otp_suite.loadtest.slo.{r.name}", _STATUS[r.status], slo_case(r).message) for r in results]
    uuids = []
    for name, full_name, status, message in verdicts:
        result_uuid = str(uuid.uuid4())
        logger.report_result(
            TestResult(
                uuid=result_uuid,
                historyId=hashlib.md5(full_name.encode()).hexdigest(),  # noqa: S324 - an id, not security
                testCaseId=hashlib.md5(full_name.encode()).hexdigest(),  # noqa: S324 - an id, not security
                name=name,
                fullName=full_name,
                status=status,
                statusDetails=StatusDetails(message=message) if message else None,
                labels=[
                    Label(name="suite", value="load"), Label(name="parentSuite", value="load"), Label(name="feature", value="load"),
                    Label(name=AREA_LABEL, value=AREA_SLO), Label(name="severity", value=severity_of_area(AREA_SLO)), Label(name="framework", value="locust"),
                ],
                **common,
            )
        )  # fmt: skip
        uuids.append(result_uuid)
    return uuids
