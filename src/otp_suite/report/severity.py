"""How much a failed check matters: the Allure ``severity`` of each area of the suite.

A broken lifecycle or security rule lets the wrong person in or burns OTPs; a schema detail
annoys a client. The README's severity table is this mapping.
"""

from __future__ import annotations

from otp_suite.report.labels import AREA_CONTRACT, AREA_GATE, AREA_PREFLIGHT, AREA_SECURITY, AREA_SLO

#: Allure's severities, highest first.
SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")

SEVERITY_BY_AREA: dict[str, str] = {
    AREA_PREFLIGHT: "blocker",  # nothing else can be judged
    AREA_GATE: "blocker",  # the run itself was cut short
    AREA_SECURITY: "critical",  # tokens, leaks: who may call the API
    "lifecycle": "critical",  # expiry, replay, binding of a challenge
    "limits": "critical",  # lockout, cooldown, send window: brute force and SMS cost
    AREA_SLO: "normal",  # latency and error-ratio objectives of the load smoke
    "load": "normal",
    AREA_CONTRACT: "normal",  # the target does not answer like the API at all
    "schema": "minor",  # a response or status detail differs from openapi.yaml
}


def severity_of_area(area: str) -> str:
    """The Allure severity of a failure in ``area`` (``normal`` for an area not in the table)."""
    return SEVERITY_BY_AREA.get(area, "normal")
