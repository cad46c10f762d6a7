"""The load verdict as Allure results: one per SLO, Locust's CSV and HTML and the plots attached.

The table of every entry, Locust's own figures beside the corrected ones, is shown in the
description and attached as text. Written by the suite's one result writer
(:mod:`otp_suite.report.results_writer`), so ``allure generate`` reads it beside the contract
tests' results, with the same labels and a stable identity.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable
from pathlib import Path

from otp_suite.loadtest.slo import FAIL, NOT_APPLICABLE, NOT_JUDGED, PASS, SloResult
from otp_suite.loadtest.slo_junit import slo_case, slo_case_name
from otp_suite.report.labels import AREA_SLO
from otp_suite.report.results_writer import BROKEN, FAILED, PASSED, SKIPPED, Attachment, ResultSource, attach_file, attach_text, write_result

TEST_NAME = "load: SLO gate"

#: The load run's results: filed under "load" (the SLOs' area, ``slo``, is their own label).
LOAD = ResultSource(parent_suite="load", framework="locust", full_name_prefix="otp_suite.loadtest", suite="load", feature="load")

#: An SLO's status as an Allure result, as in JUnit: an unmeasured SLO is skipped with its reason, never passed.
_STATUS = {PASS: PASSED, FAIL: FAILED, NOT_JUDGED: SKIPPED, NOT_APPLICABLE: SKIPPED}


def write_allure_result(
    allure_dir: Path,
    results: Iterable[SloResult],
    attachments: Iterable[Path],
    *,
    started_ms: int,
    description: str,
    broken_reason: str = "",
    entry_table: Iterable[str] = (),
) -> list[Path]:
    """Write the load run's ``*-result.json`` files (and the attachments) into ``allure_dir``; returns their paths.

    One result per SLO, named as its JUnit case (otp_suite.loadtest.slo_junit), so
    Allure, the console and a CI test tab count the same: passed, failed ("SLO breached: ...") or
    skipped with the reason (not judged, not applicable). A run that could not be judged at all is
    one broken result, :data:`TEST_NAME`. The attachments are written once and shared by every result.
    """
    results = list(results)
    stop_ms = int(time.time() * 1000)
    files: list[Attachment] = [attached for path in attachments if (attached := attach_file(allure_dir, path)) is not None]
    table = "\n".join(entry_table)
    description_html = None
    if table:
        files.append(attach_text(allure_dir, "latency-table.txt", table))
        caption = "Per entry: Locust's own figures, and (c-) the latency corrected for coordinated omission, in ms"
        description_html = f"<p>{html.escape(description)}</p><p>{caption}</p><pre>{html.escape(table)}</pre>"
    if broken_reason or not results:
        verdicts = [(TEST_NAME, f"{LOAD.full_name_prefix}.slo_gate", BROKEN, broken_reason or "the load run judged no SLO")]
    else:
        verdicts = [(slo_case_name(r), f"{LOAD.full_name_prefix}.slo.{r.name}", _STATUS[r.status], slo_case(r).message) for r in results]
    return [
        write_result(
            allure_dir,
            name=name,
            status=status,
            area=AREA_SLO,
            source=LOAD,
            full_name=full_name,
            message=message,
            description=description,
            description_html=description_html,
            started_ms=started_ms,
            stopped_ms=stop_ms,
            attachments=tuple(files),
        )
        for name, full_name, status, message in verdicts
    ]
