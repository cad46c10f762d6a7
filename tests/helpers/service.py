"""The reference service for its tests: a live service on a loopback port (:func:`running_service`),
a client speaking as a fresh user (:class:`OtpApi`), ``otp-suite serve`` as a child process, and
the paths and policy the tests name. Their fixtures are in plugins/service.py.

Time is a parameter of the service (:class:`ManualClock`): tests move it forward to pass an OTP
lifetime, a cooldown or a send window instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import httpx
import jwt

from otp_suite.policy import OtpPolicy
from otp_suite.service import ServiceSettings, create_app
from otp_suite.service.clock import ManualClock
from otp_suite.service.faults import parse_faults
from otp_suite.service.server import READY_LINE, ServiceThread, wait_until_ready
from otp_suite.testdata.codes import wrong_otp
from otp_suite.testdata.phone_numbers import PhoneNumber
from otp_suite.testdata.tokens import mint_token, new_user_id

REGISTER = "/fe/users/auth/otp/register"
RESEND = "/fe/users/auth/otp/resend"
VERIFY = "/fe/users/auth/otp/verify"
INBOX = "/__test__/otp"
OTP_PATHS = (REGISTER, RESEND, VERIFY)

#: Round numbers so a test can name the boundary it steps on; time moves by hand, so size is free.
SERVICE_TEST_POLICY = OtpPolicy(ttl_s=300, max_verify_attempts=3, resend_cooldown_s=30, max_sends_per_window=3, send_window_s=600)
#: Longer than any total advance of the clock in a test, so a test's token never expires under it.
TOKEN_LIFETIME_S = 86_400

_NO_TOKEN_GIVEN = object()


@dataclass(frozen=True)
class RunningService:
    """A reference service answering on ``url``, with the clock it reads."""

    url: str
    clock: ManualClock
    settings: ServiceSettings
    #: The ASGI app serving it (with a fault: the middleware that applies it, e.g. its stall_holds).
    app: object = None


@dataclass(frozen=True)
class IssuedChallenge:
    """What a send gave the user: the authCode from the response and the OTP from the inbox."""

    auth_code: str
    otp: str


@contextlib.contextmanager
def running_service(
    jwt_secret: str,
    *,
    policy: OtpPolicy = SERVICE_TEST_POLICY,
    fault: str = "",
    fixed_code: str | None = None,
    inbox: bool = True,
) -> Iterator[RunningService]:
    """The reference service in this process on an ephemeral loopback port, on a manual clock."""
    # A whole second, so tests can place token times exactly on the 30 s leeway boundary.
    clock = ManualClock(start=float(int(time.time())))
    settings = ServiceSettings(jwt_secret=jwt_secret, policy=policy, inbox_enabled=inbox, fixed_code=fixed_code, faults=parse_faults(fault))
    app = create_app(settings, clock=clock)
    with ServiceThread(app) as thread:
        yield RunningService(thread.url, clock, settings, app)


class OtpApi:
    """A client of one running service, speaking as one user (a fresh user id per instance)."""

    def __init__(self, service: RunningService, client: httpx.Client, user_id: str | None = None) -> None:
        self.service = service
        self.client = client
        self.user_id = user_id or new_user_id()
        self.token = self.mint()

    @property
    def clock(self) -> ManualClock:
        return self.service.clock

    @property
    def policy(self) -> OtpPolicy:
        return self.service.settings.policy

    @property
    def secret(self) -> str:
        return self.service.settings.jwt_secret

    def mint(self, user_id: str | None = None, **claims: object) -> str:
        """A valid token for ``user_id`` (default this user), issued at the service's now."""
        options = {"issued_at": int(self.clock()), "lifetime_s": TOKEN_LIFETIME_S, **claims}
        return mint_token(self.secret, user_id or self.user_id, **options)  # type: ignore[arg-type]

    def as_another_user(self) -> OtpApi:
        """The same service and connection pool, speaking as a new user."""
        return OtpApi(self.service, self.client)

    def headers(self, token: object = _NO_TOKEN_GIVEN, content_type: str | None = "application/json") -> dict[str, str]:
        """Request headers: this user's token unless ``token`` is given (None: no token header)."""
        chosen = self.token if token is _NO_TOKEN_GIVEN else token
        headers = {}
        if chosen is not None:
            headers["user-jwt-token"] = str(chosen)
        if content_type is not None:
            headers["content-type"] = content_type
        return headers

    def post(
        self,
        path: str,
        body: object = None,
        *,
        token: object = _NO_TOKEN_GIVEN,
        content: bytes | str | None = None,
        content_type: str | None = "application/json",
    ) -> httpx.Response:
        """POST ``body`` as JSON (or raw ``content``) to ``path``."""
        payload = content if content is not None else httpx.Request("POST", "/", json=body).content
        return self.client.post(path, content=payload, headers=self.headers(token, content_type))

    def register(self, number: PhoneNumber, **options: object) -> httpx.Response:
        return self.post(REGISTER, number.body(), **options)  # type: ignore[arg-type]

    def resend(self, number: PhoneNumber, **options: object) -> httpx.Response:
        return self.post(RESEND, number.body(), **options)  # type: ignore[arg-type]

    def verify(self, number: PhoneNumber, auth_code: object, otp: object, **options: object) -> httpx.Response:
        return self.post(VERIFY, number.body(authCode=auth_code, otp=otp), **options)  # type: ignore[arg-type]

    def inbox(self, number: PhoneNumber) -> httpx.Response:
        """The test inbox for ``number`` (no token, as the contract allows)."""
        return self.client.get(INBOX, params={"countryCode": number.country_code, "phone_number": number.phone_number})

    def sent_otp(self, number: PhoneNumber) -> str:
        """The last OTP the service sent to ``number``."""
        response = self.inbox(number)
        assert response.status_code == 200, f"inbox answered {response.status_code}"
        otp: str = response.json()["otp"]
        return otp

    def start_challenge(self, number: PhoneNumber) -> IssuedChallenge:
        """Register ``number`` and read the OTP it was sent."""
        response = self.register(number)
        assert response.status_code == 200, f"register answered {response.status_code}: {response.text}"
        return IssuedChallenge(response.json()["authCode"], self.sent_otp(number))

    def resend_challenge(self, number: PhoneNumber) -> IssuedChallenge:
        """Wait out the cooldown on the service's clock, resend, and read the new OTP."""
        self.clock.advance(self.policy.resend_cooldown_s)
        response = self.resend(number)
        assert response.status_code == 200, f"resend answered {response.status_code}: {response.text}"
        return IssuedChallenge(response.json()["authCode"], self.sent_otp(number))

    def lock(self, number: PhoneNumber, challenge: IssuedChallenge) -> None:
        """Spend every allowed failed attempt on ``challenge`` with a wrong OTP."""
        for _ in range(self.policy.max_verify_attempts):
            response = self.verify(number, challenge.auth_code, wrong_otp(challenge.otp))
            assert response.status_code == 401, f"a wrong guess answered {response.status_code}"

    def post_concurrently(self, path: str, bodies: Sequence[object]) -> list[httpx.Response]:
        """POST every body at once, each on its own connection, and return the answers in order."""

        async def send_all() -> list[httpx.Response]:
            limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=0)
            async with httpx.AsyncClient(base_url=self.service.url, limits=limits, timeout=10.0) as client:
                requests = [client.post(path, json=body, headers=self.headers()) for body in bodies]
                return list(await asyncio.gather(*requests))

        return asyncio.run(send_all())


def reminted(token: str, secret: str, now: float) -> str:
    """``token``'s claims, unverified, re-signed with ``secret``: issued at ``now``, with its original lifetime."""
    claims = jwt.decode(token, options={"verify_signature": False})
    lifetime = int(claims["exp"]) - int(claims["iat"])
    return jwt.encode({**claims, "iat": int(now), "exp": int(now) + lifetime}, secret, algorithm="HS256")


def leaks_in(response: httpx.Response, secrets_by_name: Mapping[str, str]) -> list[str]:
    """Where (body or header name) each secret value shows up in ``response``; names only, never values."""
    found = []
    for name, value in secrets_by_name.items():
        if value and value in response.text:
            found.append(f"{name} in body of {response.request.method} {response.request.url.path}")
        found.extend(f"{name} in header {header}" for header, text in response.headers.items() if value and value in text)
    return found


@dataclass
class ServeProcess:
    """``otp-suite serve`` as a child process, and the URL it printed."""

    process: subprocess.Popen[str]
    url: str

    def stop_with(self, sig: signal.Signals, deadline_s: float = 15.0) -> int:
        """Send ``sig`` and wait (up to the deadline) for the exit code."""
        self.process.send_signal(sig)
        return self.process.wait(timeout=deadline_s)


@contextlib.contextmanager
def serve_process(env: Mapping[str, str], *args: str, deadline_s: float = 20.0) -> Iterator[ServeProcess]:
    """Start ``python -m otp_suite serve --port 0`` and yield it once it printed its URL."""
    command = [sys.executable, "-m", "otp_suite", "serve", "--host", "127.0.0.1", "--port", "0", *args]
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("OTP_")}
    # Own process group: the cleanup below must also reach the server's worker process.
    process = subprocess.Popen(command, env={**clean_env, **env}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the process prints its URL first; EOF if it dies
        match = READY_LINE.search(line)
        assert match, f"otp-suite serve did not print its URL; it printed {line!r}"
        url = match.group(1)
        wait_until_ready(url + "/__ready__", deadline_s)
        yield ServeProcess(process, url)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
