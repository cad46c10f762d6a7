"""The reference service's HTTP layer: routes, the order of checks, and whole-service faults.

Order of checks (contract): body size (413), authentication (401), Content-Type (415),
body (400), then the lifecycle.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from otp_suite.api import COUNTRY_CODE, INBOX_PATH, OTP_PATHS, PHONE_NUMBER, TOKEN_HEADER
from otp_suite.policy import OtpPolicy
from otp_suite.service import errors
from otp_suite.service.auth import authenticated_user
from otp_suite.service.bodies import parse_number_request, parse_verify_request
from otp_suite.service.challenges import ChallengeStore, SendResult
from otp_suite.service.clock import Clock, system_clock
from otp_suite.service.errors import ApiError
from otp_suite.service.faults import Faults
from otp_suite.service.misplaced_tokens import misplaced_token

MAX_BODY_BYTES = 16 * 1024


@dataclass(frozen=True)
class ServiceSettings:
    """How one reference service instance behaves."""

    jwt_secret: str
    policy: OtpPolicy = field(default_factory=OtpPolicy)
    inbox_enabled: bool = True
    fixed_code: str | None = None
    faults: Faults = field(default_factory=Faults)


async def _read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, or 413 as soon as it passes the limit (without reading the rest)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise errors.payload_too_large(MAX_BODY_BYTES)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise errors.payload_too_large(MAX_BODY_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


def _is_json(content_type: str | None, faults: Faults = Faults()) -> bool:
    if "content_type_params_refused" in faults:
        return (content_type or "").strip().lower() == "application/json"
    return (content_type or "").split(";", 1)[0].strip().lower() == "application/json"


class OtpEndpoints:
    """The three operations over one :class:`ChallengeStore`."""

    def __init__(self, settings: ServiceSettings, store: ChallengeStore, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.faults = settings.faults
        #: For the faults of a send that sends nothing: number -> what the inbox shows instead of
        #: the store's last OTP (None: nothing). Empty without such a fault.
        self._unsent: dict[tuple[str, str], str | None] = {}

    async def _admit(self, request: Request, parse: Callable[[bytes, Faults], object]) -> tuple[str, object]:
        """Steps 1-4 of the order of checks: the user and the parsed body, or an ApiError."""
        faults = self.faults
        limit = MAX_BODY_BYTES - 1 if "size_limit_inclusive" in faults else MAX_BODY_BYTES
        raw = await _read_body(request, limit) if "no_size_limit" not in faults else await request.body()
        token = request.headers.get(TOKEN_HEADER)
        if token is None and faults.active:
            token = misplaced_token(request.headers, request.cookies, request.query_params, raw, faults)
        content_type_ok = _is_json(request.headers.get("content-type"), faults) or "any_content_type" in faults
        if "validate_before_auth" in faults:
            parsed = parse(raw, faults)
        if "content_type_before_auth" in faults and not content_type_ok:
            raise errors.unsupported_media_type()
        user = authenticated_user(token, self.settings.jwt_secret, self.clock(), faults)
        if user is None:
            if "ignore_auth" not in faults:
                error = errors.unauthorized()
                if "leak_token" in faults:
                    error.message += f" (got {token})"
                raise error
            user = "anonymous"
        if "body_before_content_type" in faults:
            parsed = parse(raw, faults)
        if not content_type_ok:
            raise errors.unsupported_media_type()
        if "validate_before_auth" not in faults and "body_before_content_type" not in faults:
            try:
                parsed = parse(raw, faults)
            except ApiError as error:
                if "leak_token_header" in faults and token:
                    error.headers["X-Echo-Token"] = token
                raise
        if "user_from_body" in faults and getattr(parsed, "body_user_id", None):
            user = parsed.body_user_id  # type: ignore[attr-defined]
        return user, parsed

    def _sent(self, result: SendResult, *, operation: str) -> JSONResponse:
        body: dict[str, object] = {"authCode": result.auth_code, "isNewUser": result.is_new_user}
        if "register_extra_key" in self.faults and operation == "register":
            body["debug"] = "extra"
        if "authcode_as_int" in self.faults:
            body["authCode"] = int(result.auth_code)
        if "extra_response_key" in self.faults:
            body["debug"] = "extra"
        return JSONResponse(body)

    def _plus_one_fails(self, country_code: str) -> None:
        if "server_error_on_plus_one" in self.faults and country_code == "+1":
            raise RuntimeError("fault server_error_on_plus_one")

    async def _raced_check(self, user: str, number: tuple[str, str]) -> bool:
        """For the race_sends fault: check the limits, yield to other requests, and report them checked."""
        if "race_sends" not in self.faults:
            return False
        self.store.check_send(user, number)
        await asyncio.sleep(0.3)  # long enough that requests released together all pass the check, even on a busy machine
        return True

    async def register(self, request: Request) -> Response:
        user, body = await self._admit(request, parse_number_request)
        self._plus_one_fails(body.country_code)  # type: ignore[attr-defined]
        checked = await self._raced_check(user, body.number)  # type: ignore[attr-defined]
        shown = self._inbox_otp(body.number)  # type: ignore[attr-defined]
        result = self.store.register(user, body.number, limits_checked=checked)  # type: ignore[attr-defined]
        self._delivered(body.number, shown, unsent="register_again_sends_nothing" in self.faults and shown is not None)  # type: ignore[attr-defined]
        return self._sent(result, operation="register")

    async def resend(self, request: Request) -> Response:
        user, body = await self._admit(request, parse_number_request)
        self._plus_one_fails(body.country_code)  # type: ignore[attr-defined]
        checked = await self._raced_check(user, body.number)  # type: ignore[attr-defined]
        shown = self._inbox_otp(body.number)  # type: ignore[attr-defined]
        result = self.store.resend(user, body.number, limits_checked=checked)  # type: ignore[attr-defined]
        self._delivered(body.number, shown, unsent="resend_sends_nothing" in self.faults)  # type: ignore[attr-defined]
        return self._sent(result, operation="resend")

    def _inbox_otp(self, number: tuple[str, str]) -> str | None:
        """What the test inbox shows for ``number``: the last OTP sent, unless a fault kept a send from happening."""
        return self._unsent[number] if number in self._unsent else self.store.last_otp(number)

    def _delivered(self, number: tuple[str, str], shown_before: str | None, *, unsent: bool) -> None:
        """After a send the store made: the inbox shows it, or (``unsent``, a fault) still what it showed before."""
        if unsent:
            self._unsent[number] = shown_before
        else:
            self._unsent.pop(number, None)

    async def verify(self, request: Request) -> Response:
        user, body = await self._admit(request, parse_verify_request)
        self._plus_one_fails(body.country_code)  # type: ignore[attr-defined]
        number = body.number  # type: ignore[attr-defined]
        if "race_wrong_guesses" in self.faults:
            # Read the lock, yield, then judge with that stale view: concurrent wrong guesses pass the limit.
            locked = self.store.is_locked(user, number)
            await asyncio.sleep(0.05)
            self.store.check(user, number, body.auth_code, body.otp, locked_as_seen=locked)  # type: ignore[attr-defined]
            self.store.consume(user, number)
        elif "race_verify" in self.faults:
            # Check, yield to other requests, then consume: the bug the concurrency tests look for.
            self.store.check(user, number, body.auth_code, body.otp)  # type: ignore[attr-defined]
            await asyncio.sleep(0.05)
            self.store.consume(user, number)
        else:
            self.store.verify(user, number, body.auth_code, body.otp)  # type: ignore[attr-defined]
        return JSONResponse({"message": "Users linked successfully"})

    async def inbox(self, request: Request) -> Response:
        """``GET /__test__/otp``: the last OTP sent to a number (test deployments only)."""
        country_code = request.query_params.get("countryCode", "")
        phone_number = request.query_params.get("phone_number", "")
        if not (COUNTRY_CODE.fullmatch(country_code) and PHONE_NUMBER.fullmatch(phone_number)):
            return JSONResponse({"code": "INVALID_REQUEST", "message": "give countryCode and phone_number"}, status_code=400)
        otp = self._inbox_otp((country_code, phone_number))
        if otp is None:
            return JSONResponse({"code": "NOT_FOUND", "message": "no OTP was sent to this number"}, status_code=404)
        return JSONResponse({"otp": otp})


def _endpoint(handler: Callable[[Request], Awaitable[Response]], settings: ServiceSettings) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            response = await handler(request)
        except ApiError as error:
            faults = settings.faults
            with_retry_after = "no_retry_after" not in faults and not ("no_retry_after_on_lockout" in faults and error.code == "TOO_MANY_ATTEMPTS")
            rounding = "down" if "retry_after_zero" in faults else "fraction" if "retry_after_fractional" in faults else "up"
            if "retry_after_too_long" in faults and error.code == "TOO_MANY_REQUESTS":
                error.retry_after_s = settings.policy.send_window_s + 60
            response = error.response(with_retry_after=with_retry_after, rounding=rounding, extra_key="error_extra_key" in faults)
            if "text_errors" in settings.faults:
                response = Response(f"{error.code}: {error.message}", status_code=error.status, headers={k: v for k, v in response.headers.items() if k.lower() == "retry-after"}, media_type="text/plain")
        return response

    return endpoint


async def _not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"code": "NOT_FOUND", "message": f"no such path: {request.url.path}"}, status_code=404)


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    if "no_405" in request.app.state.faults:
        return await _not_found(request, exc)
    allow = (getattr(exc, "headers", None) or {}).get("Allow", "POST")
    headers = {} if "no_allow_header" in request.app.state.faults else {"Allow": allow}
    return JSONResponse({"code": "METHOD_NOT_ALLOWED", "message": f"use {allow}"}, status_code=405, headers=headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    return JSONResponse({"code": "INTERNAL_ERROR", "message": "internal error"}, status_code=500)


async def _buffered_body(receive: Receive) -> tuple[Receive, bytes]:
    """Read a request's whole body; returns a ``receive`` that hands the same body on, and the body."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay, body


#: A stall START at or above this is a Unix time, not seconds after the first request.
ABSOLUTE_TIME_FROM = 1e9


class WholeServiceFaults:
    """ASGI middleware for faults that hit every response: HTML 502s, 500s, stalls, slowness, 503s."""

    def __init__(self, app: Starlette, faults: Faults, clock: Clock, started_at: float) -> None:
        self.app = app
        self.state = app.state  # the service's store, where tests read what it sent, as on the app itself
        self.faults = faults
        self.clock = clock
        self.started_at = started_at
        #: When the first request with a token arrived: the stall fault's time zero.
        self.first_user_request_at: float | None = None
        #: Every hold the stall fault applied, in seconds, in order: the truth a test of the stall
        #: compares with, whatever a busy machine adds to the measured times.
        self.stall_holds: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        faults = self.faults
        if "stall" in faults:
            receive = await self._stall(scope, receive)
        if "html_502" in faults:
            await HTMLResponse("<html><body><h1>502 Bad Gateway</h1></body></html>", status_code=502)(scope, receive, send)
            return
        if "all_500" in faults:
            await JSONResponse({"error": "boom"}, status_code=500)(scope, receive, send)
            return
        if "fail_ratio" in faults and random.random() < faults.param("fail_ratio", 0, 0.03):
            await JSONResponse({"code": "UNAVAILABLE", "message": "injected failure"}, status_code=503)(scope, receive, send)
            return
        if "slow_verify" in faults and scope["path"].endswith("/verify"):
            await asyncio.sleep(faults.param("slow_verify", 0, 400.0) / 1000)
        if "leak_otp" in faults:
            send = self._leaking(scope, send)
        await self.app(scope, receive, send)

    async def _stall(self, scope: Scope, receive: Receive) -> Receive:
        """Hold the request until the stall window ``stall:START:LENGTH`` is over, if it is inside it.

        START counts from the first request that carries a ``user-jwt-token`` header and a body
        naming a ``phone_number``: the load's first flow. Not the server's boot, readiness polls, or
        the runner's token probe (a token with the body ``{}``, sent seconds before Locust starts),
        so "4 s into the run" means the same on any machine however long Locust takes to start.
        A START above 10^9 is an absolute Unix time instead, for callers that fix the moment.
        Returns the ``receive`` to pass on (the body, when it was read to find the number).
        """
        start_param = self.faults.param("stall", 0, 4.0)
        now = self.clock()
        if start_param >= ABSOLUTE_TIME_FROM:
            start = start_param
        else:
            if self.first_user_request_at is None:
                if not any(name == TOKEN_HEADER.encode() for name, _ in scope.get("headers", ())):
                    return receive
                receive, body = await _buffered_body(receive)
                if b'"phone_number"' not in body:
                    return receive
                self.first_user_request_at = now
            start = self.first_user_request_at + start_param
        end = start + self.faults.param("stall", 1, 2.0)
        if start <= now < end:
            self.stall_holds.append(end - now)
            await asyncio.sleep(end - now)
        return receive

    def _leaking(self, scope: Scope, send: Send) -> Send:
        store: ChallengeStore = self.app.state.store

        async def leaking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                otps = [otp for otp in store.inbox.values() if otp]
                if otps:
                    message.setdefault("headers", []).append((b"x-debug-otp", otps[-1].encode()))
            await send(message)

        return leaking_send


def create_app(settings: ServiceSettings, clock: Clock = system_clock) -> Starlette | WholeServiceFaults:
    """The reference service as an ASGI app; ``clock`` lets tests move time forward."""
    store = ChallengeStore(settings.policy, clock, fixed_code=settings.fixed_code, faults=settings.faults)
    endpoints = OtpEndpoints(settings, store, clock)
    routes = [
        Route(OTP_PATHS[0], _endpoint(endpoints.register, settings), methods=["POST"], name="registerOtp"),
        Route(OTP_PATHS[1], _endpoint(endpoints.resend, settings), methods=["POST"], name="resendOtp"),
        Route(OTP_PATHS[2], _endpoint(endpoints.verify, settings), methods=["POST"], name="verifyOtp"),
    ]
    if settings.inbox_enabled:
        routes.append(Route(INBOX_PATH, endpoints.inbox, methods=["GET"], name="testInbox"))
    app = Starlette(
        routes=routes,
        exception_handlers={404: _not_found, 405: _method_not_allowed, 500: _server_error},
    )
    # The contract's paths have no trailing slash; ".../register/" is an unknown path (404), not a redirect.
    app.router.redirect_slashes = "trailing_slash_redirect" in settings.faults
    app.state.store = store
    app.state.faults = settings.faults
    return WholeServiceFaults(app, settings.faults, clock, clock()) if settings.faults.active else app
