"""The Allure labels the suite's runners put on their results, so the report can file them.

A result's *area* (``area`` label) says which part of the gate produced it; the report's
categories and the gate's closing table group by it. Runners set it with
``allure.dynamic.label(AREA_LABEL, AREA_SECURITY)`` (pytest) or in the result JSON they write.
"""

from __future__ import annotations

AREA_LABEL = "area"

AREA_CONTRACT = "contract"
AREA_SECURITY = "security"
AREA_SLO = "slo"
AREA_PREFLIGHT = "preflight"
#: The gate's own bookkeeping, e.g. a run cut short by Ctrl-C.
AREA_GATE = "gate"

#: Labels tried, in order, when a result carries no ``area`` label (e.g. results written by a
#: runner that predates this convention): the first one present names the area.
FALLBACK_AREA_LABELS = ("epic", "feature", "parentSuite", "suite")
