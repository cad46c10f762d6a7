"""The steps of a user flow as Locust requests, and the flow itself as one more Locust entry.

Each step is a request named by its operation (``register``, ``resend``, ``inbox``, ``verify``);
a step that gets an unexpected answer is marked failed in Locust and ends the flow, which is then
recorded as a failed ``flow`` entry. A flow's time is the time its user spent waiting on the
service (the sum of its requests), not its think time, so a flow SLO measures the service.

Every request carries ``context["intended_start"]``: the moment it was due. In Locust's closed
model that is when it was sent; an arrival-rate schedule passes the flow's due time, and a
request's due time is then its send time less the flow's late start. The context also names the
flow (``flow_id``), the step's place in it (``step``), how late the flow started (``flow_late_s``)
and whether it was ``scheduled``: :mod:`otp_suite.loadtest.corrected` needs them to charge a
step with the lateness of the steps before it.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import gevent

from otp_suite.api import REGISTER_PATH, RESEND_PATH, TOKEN_HEADER, VERIFY_PATH
from otp_suite.loadtest.pacing import Pacing
from otp_suite.testdata.codes import wrong_otp
from otp_suite.testdata.phone_numbers import PhoneNumber

FLOW_ENTRY = "flow"
FLOW_REQUEST_TYPE = "FLOW"

#: Flow ids: a random base per process, so flows of different workers do not share ids.
_FLOW_IDS = itertools.count(random.getrandbits(40) << 20)


class StepFailed(Exception):
    """A step got an answer the flow cannot go on from; the flow ends and is recorded failed."""


class Flow:
    """One run of a user flow on behalf of a Locust user; use as a context manager.

    ``client`` is the user's FastHttpSession, ``events`` its environment's events. OTPs come
    from ``inbox_url`` (a GET without the token) or, when it is None, are ``fixed_code``.
    """

    def __init__(
        self,
        client: Any,
        events: Any,
        token: str,
        pacing: Pacing,
        *,
        inbox_url: str | None,
        fixed_code: str | None,
        intended_start: float | None = None,
    ) -> None:
        self._client = client
        self._events = events
        self._headers = {TOKEN_HEADER: token}
        self._pacing = pacing
        self._inbox_url = inbox_url
        self._fixed_code = fixed_code
        self._intended_start = intended_start
        self._scheduled = intended_start is not None
        self._id = next(_FLOW_IDS)
        self._steps = 0
        self._late_s = 0.0
        self._service_ms = 0.0
        self._failure: Exception | None = None
        self._last_send_done = 0.0

    # -- the flow as a whole ------------------------------------------------------------------

    def __enter__(self) -> Flow:
        self._started = time.time()
        if self._intended_start is None:
            self._intended_start = self._started
        self._late_s = max(0.0, self._started - self._intended_start)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if exc_type is not None and not issubclass(exc_type, Exception):
            return False  # the user is being stopped (GreenletExit): an unfinished flow is not a result
        if exc is not None and self._failure is None:
            self._failure = exc if isinstance(exc, Exception) else None
        self._events.request.fire(
            request_type=FLOW_REQUEST_TYPE,
            name=FLOW_ENTRY,
            response_time=self._service_ms,
            response_length=0,
            exception=self._failure,
            context={"intended_start": self._intended_start, **self._identity(-1)},
            start_time=self._started,
            url=None,
        )
        return exc_type is StepFailed

    def _identity(self, step: int) -> dict[str, object]:
        """What a request's context says about its flow (step -1 is the flow entry itself)."""
        return {"flow_id": self._id, "step": step, "flow_late_s": self._late_s, "scheduled": self._scheduled}

    # -- steps --------------------------------------------------------------------------------

    def register(self, number: PhoneNumber) -> str:
        """POST register for ``number``; returns the challenge's ``authCode``."""
        auth_code = self._post("register", REGISTER_PATH, number.body(), read=_auth_code)
        self._last_send_done = time.monotonic()
        return auth_code  # type: ignore[return-value]

    def resend(self, number: PhoneNumber) -> None:
        """POST resend for ``number`` (call :meth:`wait_out_cooldown` first)."""
        self._post("resend", RESEND_PATH, number.body())
        self._last_send_done = time.monotonic()

    def read_otp(self, number: PhoneNumber) -> str:
        """The OTP last sent to ``number``: from the test inbox, or the fixed test code."""
        if self._inbox_url is None:
            assert self._fixed_code is not None
            return self._fixed_code
        params = {"countryCode": number.country_code, "phone_number": number.phone_number}
        return self._request("GET", "inbox", self._inbox_url, expect=200, read=_otp, params=params, headers=None)  # type: ignore[return-value]

    def verify(self, number: PhoneNumber, auth_code: str, otp: str, *, expect: int = 200) -> None:
        """POST verify; ``expect`` is the status this step should get (401 for a deliberate wrong guess)."""
        self._post("verify", VERIFY_PATH, number.body(authCode=auth_code, otp=otp), expect=expect)

    def can_guess_wrong_first(self) -> bool:
        """True when the policy leaves an attempt for the right OTP after one wrong guess."""
        return self._pacing.can_guess_wrong_first()

    def think(self) -> None:
        """Pause like a person reading and typing the SMS."""
        pause = self._pacing.think_s()
        if pause > 0:  # a zero sleep would still yield to the hub, costing CPU for nothing
            gevent.sleep(pause)

    def wait_out_cooldown(self) -> None:
        """Sleep until the resend cooldown since the last send's answer has passed."""
        pause = self._last_send_done + self._pacing.resend_wait_s() - time.monotonic()
        if pause > 0:
            gevent.sleep(pause)

    # -- requests -----------------------------------------------------------------------------

    def _post(self, operation: str, path: str, body: dict[str, object], *, expect: int = 200, read: Callable[[object], object] | None = None) -> object:
        return self._request("POST", operation, path, expect=expect, read=read, json=body, headers=self._headers)

    def _request(self, method: str, operation: str, url: str, *, expect: int, read: Callable[[object], object] | None, headers: dict[str, str] | None, **kwargs: Any) -> object:
        """Send one request named ``operation``; mark it failed and raise StepFailed on an unexpected answer."""
        context = {"intended_start": time.time() - self._late_s, "flow_intended_start": self._intended_start, **self._identity(self._steps)}
        self._steps += 1
        with self._client.request(method, url, name=operation, headers=headers, catch_response=True, context=context, **kwargs) as response:
            self._service_ms += response.request_meta.get("response_time") or 0.0
            failure, value = _judge(operation, response, expect, read)
            if failure is None:
                response.success()
            else:
                response.failure(failure)
        if failure is not None:
            self._failure = self._failure or failure
            raise failure
        return value


def _judge(operation: str, response: Any, expect: int, read: Callable[[object], object] | None) -> tuple[StepFailed | None, object]:
    """(failure or None, what ``read`` took from the body)."""
    if response.status_code != expect:
        return StepFailed(f"{operation}: expected HTTP {expect}, got {_describe(response)}"), None
    if read is None:
        return None, None
    try:
        return None, read(response.json())
    except ValueError:
        return StepFailed(f"{operation}: HTTP {expect} with a body that is not JSON"), None
    except StepFailed as failure:
        return StepFailed(f"{operation}: {failure}"), None


def _auth_code(body: object) -> str:
    auth_code = body.get("authCode") if isinstance(body, Mapping) else None
    if not (isinstance(auth_code, str) and len(auth_code) == 4 and auth_code.isdigit()):
        raise StepFailed("answered 200 without a 4-digit string authCode")
    return auth_code


def _otp(body: object) -> str:
    otp = body.get("otp") if isinstance(body, Mapping) else None
    if not (isinstance(otp, str) and otp.isdigit()):
        raise StepFailed("answered 200 without an otp string of digits")
    return otp


def _describe(response: Any) -> str:
    """``503 UNAVAILABLE`` or ``no response (ConnectionRefusedError)``: never the body, which could hold secrets."""
    if not response.status_code:
        error = getattr(response, "error", None)
        return f"no response ({type(error).__name__ if error else 'connection failed'})"
    try:
        code = response.json().get("code")
    except Exception:  # noqa: BLE001 - any unreadable body just has no code
        code = None
    return f"{response.status_code} {code}" if isinstance(code, str) and code.isupper() and len(code) < 40 else str(response.status_code)


# -- the flows, shared by both models (the locustfile's tasks and the arrival-rate scheduler) --------


def direct_steps(flow: Flow, number: PhoneNumber) -> None:
    """register → think → read the OTP → verify."""
    auth_code = flow.register(number)
    flow.think()
    otp = flow.read_otp(number)
    flow.verify(number, auth_code, otp)


def resend_steps(flow: Flow, number: PhoneNumber) -> None:
    """register → wait out the resend cooldown → resend → read the OTP → think → verify."""
    auth_code = flow.register(number)
    flow.wait_out_cooldown()
    flow.resend(number)
    otp = flow.read_otp(number)
    flow.think()
    flow.verify(number, auth_code, otp)


def wrong_otp_steps(flow: Flow, number: PhoneNumber) -> None:
    """register → think → read the OTP → verify a wrong OTP (401 expected) → verify."""
    auth_code = flow.register(number)
    flow.think()
    otp = flow.read_otp(number)
    if flow.can_guess_wrong_first():
        flow.verify(number, auth_code, wrong_otp(otp), expect=401)
    flow.verify(number, auth_code, otp)


#: The steps of each flow, by name (the flow's tag).
FLOW_STEPS: dict[str, Callable[[Flow, PhoneNumber], None]] = {"direct": direct_steps, "resend": resend_steps, "wrong_otp": wrong_otp_steps}
