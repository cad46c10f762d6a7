"""Does the target answer like the OTP API at all?

Three requests whose answers the contract pins down exactly, whatever the target's state and
policy, and none of which can make it send an SMS: register without a token (401 UN_AUTHORIZED),
register and verify with a valid token and an empty body (400 INVALID_REQUEST). When every one of
them gets an answer no implementation of the contract could give (a redirect, a server error, or
another status without a JSON error body: an HTML 502 page, a 200 with invalid JSON), every test
would fail for the same reason, so a run stops at once with exit 1 and one line naming that
reason, instead of hundreds of identical failures. One answer that could be the API's lets the
full suite judge the details.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from otp_suite.api import REGISTER_PATH, VERIFY_PATH
from otp_suite.config import SuiteConfig
from otp_suite.preflight import probe_request


class NotTheApi(Exception):
    """The target answers nothing like the OTP API; ``str()`` is the one-line reason (exit 1)."""


@dataclass(frozen=True)
class Probe:
    """One request of the check, and what the contract says it must get."""

    name: str
    path: str
    with_token: bool
    expected_status: int
    expected: str


PROBES = (
    Probe("register without a token", REGISTER_PATH, False, 401, '401 {"code": "UN_AUTHORIZED", ...}'),
    Probe("register with an empty body", REGISTER_PATH, True, 400, '400 {"code": "INVALID_REQUEST", ...}'),
    Probe("verify with an empty body", VERIFY_PATH, True, 400, '400 {"code": "INVALID_REQUEST", ...}'),
)


def symptom_of(response: httpx.Response, expected_status: int) -> str | None:
    """Why ``response`` cannot be the OTP API's answer to a probe that must get ``expected_status``, or None.

    Only answers no implementation of the contract could give count: a redirect, a server error,
    or another status without a JSON error body. The expected status with a wrong body, or an
    error body with a wrong status, is left to the full suite, which judges the details.
    """
    content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    status = f"{response.status_code} {content_type or 'without a content type'}"
    if response.is_redirect:
        return f"{response.status_code} redirect"
    if response.status_code >= 500:
        return status
    if response.status_code == expected_status:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return f"{status} whose body is not valid JSON" if content_type == "application/json" else status
    if isinstance(body, dict) and isinstance(body.get("code"), str) and isinstance(body.get("message"), str):
        return None
    keys = ", ".join(sorted(body)) if isinstance(body, dict) else type(body).__name__
    return f'{status} of the wrong shape ({keys or "empty"}; an error body is {{"code", "message"}})'


def check_answers_like_the_api(config: SuiteConfig, token: str) -> None:
    """Raise :class:`NotTheApi` when no probe gets an answer that could come from the OTP API.

    Raises :class:`otp_suite.preflight.TargetUnreachable` when a probe gets no answer in time.
    """
    assert config.base_url is not None
    symptoms: dict[str, str] = {}
    for probe in PROBES:
        response = probe_request(config, probe.path, token=token if probe.with_token else None)
        symptom = symptom_of(response, probe.expected_status)
        if symptom is None:
            return
        symptoms[probe.name] = symptom
    distinct = set(symptoms.values())
    if len(distinct) == 1:
        what = f"answers all {len(PROBES)} probe requests with {distinct.pop()}"
    else:
        what = "answers nothing like the API (" + "; ".join(f"{name}: {symptom}" for name, symptom in symptoms.items()) + ")"
    raise NotTheApi(f"OTP_BASE_URL {config.base_url} {what}; the contract needs JSON answers, e.g. {PROBES[0].expected} to {PROBES[0].name}")
