"""Before a run: can the target be reached at all, and does it take the suite's token? If not,
the run cannot judge (exit 2).

:func:`check_target` is the one preflight of contract, load and gate runs; it returns a
:class:`TargetChecked` that a run hands on, so a gate checks its target once, not once per step.
The answer is one line naming the target and the cause, never a traceback.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from otp_suite.api import REGISTER_PATH, TOKEN_HEADER
from otp_suite.config import SuiteConfig
from otp_suite.tls import target_tls


class PreflightFailed(Exception):
    """The target cannot be judged; ``str()`` is the one-line reason."""


class TargetUnreachable(PreflightFailed):
    """The target cannot be reached (or answers with a redirect); ``str()`` is the one-line reason."""


class NoCredentials(PreflightFailed):
    """Neither a JWT secret nor a token is configured; ``str()`` is the one-line reason."""


def describe_transport_error(url: str, error: BaseException, timeout_s: float, *, ca_bundle: Path | None = None) -> str:
    """A one-line diagnosis of why ``url`` could not be reached; ``ca_bundle``: OTP_CA_BUNDLE, named when it did not help."""
    text = str(error) or type(error).__name__
    causes = _causes(error)
    chain = " ".join(f"{type(e).__name__} {e}" for e in causes).lower()
    if any(isinstance(e, ConnectionRefusedError) for e in causes):
        return f"OTP_BASE_URL {url} refused the connection; is the service running?"
    if isinstance(error, httpx.ConnectTimeout):
        return f"OTP_BASE_URL {url} did not accept a connection within {timeout_s:g} s (connect timeout); is the host up?"
    if isinstance(error, httpx.ReadTimeout):
        return f"OTP_BASE_URL {url} accepted the connection but did not answer within {timeout_s:g} s (read timeout)"
    if isinstance(error, httpx.TimeoutException):
        return f"OTP_BASE_URL {url} timed out after {timeout_s:g} s ({type(error).__name__})"
    if "certificate" in chain:
        return f"OTP_BASE_URL {url} failed TLS verification ({text}); {_trust_advice(ca_bundle)}"
    if "ssl" in chain or any(isinstance(e, ssl.SSLError) for e in causes):
        if urlsplit(url).scheme == "https" and speaks_plain_http(url, timeout_s):
            plain = urlunsplit(urlsplit(url)._replace(scheme="http"))
            return f"OTP_BASE_URL {url} names a port that speaks plain HTTP, not TLS (the TLS handshake got an HTTP answer); use {plain} or the target's HTTPS port"
        return f"OTP_BASE_URL {url}: the TLS handshake failed ({text}); check that the URL names the target's HTTPS port"
    if "name or service not known" in chain or "nodename nor servname" in chain or "name resolution" in chain or "getaddrinfo" in chain:
        return f"OTP_BASE_URL {url}: the host name does not resolve; check the URL"
    if "refused" in chain:
        return f"OTP_BASE_URL {url} refused the connection; is the service running?"
    return f"OTP_BASE_URL {url} could not be reached ({type(error).__name__}: {text})"


def _trust_advice(ca_bundle: Path | None) -> str:
    if ca_bundle is not None:
        return f"its certificate is not signed by the CA of OTP_CA_BUNDLE={ca_bundle} nor a usual CA: set OTP_CA_BUNDLE to the PEM file of the CA that signed it"
    return "if a private CA signed its certificate, set OTP_CA_BUNDLE to that CA's PEM file; for a self-signed test target set OTP_VERIFY_TLS=0 to opt out"


def speaks_plain_http(url: str, timeout_s: float) -> bool:
    """Whether the host and port of ``url`` answer a plain-HTTP request: an https:// URL on an http port."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=min(timeout_s, 3.0)) as connection:
            connection.sendall(b"HEAD / HTTP/1.0\r\nHost: " + (parts.hostname or "").encode() + b"\r\n\r\n")
            return connection.recv(5) == b"HTTP/"
    except OSError:
        return False


def _causes(error: BaseException) -> list[BaseException]:
    """The error and everything it was raised from, innermost last (including exception groups)."""
    seen: list[BaseException] = []
    pending = [error]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.append(current)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        pending.extend(getattr(current, "exceptions", ()))
    return seen


def check_reachable(config: SuiteConfig) -> None:
    """Raise :class:`TargetUnreachable` unless the target answers an HTTP request in time.

    Any HTTP answer counts (even 404 or 500): judging it is the tests' job. The whole exchange has
    one deadline, so a target that answers a byte a second is caught as well as a silent one. The
    probe carries no token, so it can never make the target send an SMS. A redirect is not an
    answer the suite can judge: it never follows one (that could carry the token to another host),
    so a target that redirects cannot be judged until OTP_BASE_URL names the API itself.
    """
    if config.base_url is None:
        return
    response = probe_request(config, REGISTER_PATH)
    if response.is_redirect:
        raise TargetUnreachable(describe_redirect(config.base_url, response))


class TokenRefused(PreflightFailed):
    """The target refuses the suite's token; ``str()`` is the one-line reason."""


def check_token_accepted(config: SuiteConfig, token: str) -> None:
    """Raise :class:`TokenRefused` if the target answers 401 to ``token`` on a request with an empty body.

    The body ``{}`` is invalid, so a target that accepts the token answers 400 and sends nothing.
    """
    assert config.base_url is not None
    response = probe_request(config, REGISTER_PATH, token=token)
    if response.status_code == 401:
        source = "OTP_JWT_TOKEN" if config.jwt_token else "a token signed with OTP_JWT_SECRET"
        raise TokenRefused(f"OTP_BASE_URL {config.base_url} refuses {source} (401 to a request with it); check that it is the environment's secret or a current token")


@dataclass(frozen=True)
class TargetChecked:
    """Proof that :func:`check_target` passed for ``base_url``: a run handed one skips its own preflight."""

    base_url: str

    def covers(self, config: SuiteConfig) -> bool:
        """True when this check was made for ``config``'s target."""
        return config.base_url == self.base_url


def check_target(config: SuiteConfig, checked: TargetChecked | None = None) -> TargetChecked:
    """The preflight every run shares: a target, a token or a secret, an answer in time, the token accepted.

    Skipped when ``checked`` already covers ``config``'s target (a gate's steps after its own
    preflight). Raises a :class:`PreflightFailed` naming the cause and the fix. The probes carry an
    invalid body, so they never make the target send an SMS.
    """
    if checked is not None and checked.covers(config):
        return checked
    if config.base_url is None:
        raise TargetUnreachable("no target: OTP_BASE_URL is not set and no embedded service was started")
    if not (config.jwt_secret or config.jwt_token):
        raise NoCredentials("neither OTP_JWT_SECRET nor OTP_JWT_TOKEN is set; the target needs a token (set one of them: load runs need OTP_JWT_SECRET to mint one per virtual user, or OTP_JWT_TOKEN)")
    check_reachable(config)
    # Every request would be refused: that is a setup problem, not a failed check or a breached SLO.
    check_token_accepted(config, config.jwt_token or _preflight_token(config))
    return TargetChecked(config.base_url)


def _preflight_token(config: SuiteConfig) -> str:
    """A token minted with OTP_JWT_SECRET for the preflight's one request (never sent with a valid body)."""
    from otp_suite.testdata.tokens import mint_token

    return mint_token(config.jwt_secret or "", "suite-preflight")


def probe_request(config: SuiteConfig, path: str, *, token: str | None = None, body: bytes = b"{}") -> httpx.Response:
    """POST ``body`` to ``path`` of the target under one total deadline (OTP_REQUEST_TIMEOUT_S).

    Raises :class:`TargetUnreachable` with a one-line diagnosis when no complete answer comes in
    time. Redirects are not followed.
    """
    assert config.base_url is not None
    url = config.base_url
    deadline_s = config.request_timeout_s
    headers = {"content-type": "application/json"}
    if token is not None:
        headers[TOKEN_HEADER] = token
    try:
        return asyncio.run(_probe(url.rstrip("/") + path, headers=headers, body=body, tls=target_tls(config), deadline_s=deadline_s))
    except TimeoutError:
        raise TargetUnreachable(f"OTP_BASE_URL {url} did not finish answering within {deadline_s:g} s (total request timeout, OTP_REQUEST_TIMEOUT_S)") from None
    except httpx.TransportError as error:
        raise TargetUnreachable(describe_transport_error(url, error, deadline_s, ca_bundle=config.ca_bundle)) from None


def describe_redirect(url: str, response: httpx.Response) -> str:
    """A one-line diagnosis of a target that answers with a redirect instead of the API."""
    location = response.headers.get("location", "")
    where = str(response.request.url.join(location)) if location else "nowhere (no Location header)"
    kind = "to itself, a redirect loop" if where == str(response.request.url) else f"to {where}"
    return f"OTP_BASE_URL {url} answers with a redirect ({response.status_code} {kind}); the suite does not follow redirects (they could carry the token to another host): set OTP_BASE_URL to the API's own URL"


async def _probe(url: str, *, headers: dict[str, str], body: bytes, tls: ssl.SSLContext, deadline_s: float) -> httpx.Response:
    async with httpx.AsyncClient(verify=tls, timeout=httpx.Timeout(deadline_s), follow_redirects=False) as client:
        return await asyncio.wait_for(client.post(url, content=body, headers=headers), deadline_s)


#: Requests timed by :func:`round_trip_s` after one that opens the connection.
ROUND_TRIP_SAMPLES = 3


def round_trip_s(config: SuiteConfig) -> float:
    """The target's median answer time over one kept-alive connection (0 when it cannot be measured).

    The requests carry no token, so they can never make the target send an SMS. A slow answer
    means the tests will wait on the network rather than the CPU (a stage in another region).
    """
    if config.base_url is None:
        return 0.0
    url = config.base_url.rstrip("/") + REGISTER_PATH
    timings = []
    try:
        with httpx.Client(verify=target_tls(config), timeout=httpx.Timeout(config.request_timeout_s), follow_redirects=False, headers={"content-type": "application/json"}) as client:
            client.post(url, content=b"{}")  # opens the connection
            for _ in range(ROUND_TRIP_SAMPLES):
                started = time.perf_counter()
                client.post(url, content=b"{}")
                timings.append(time.perf_counter() - started)
    except httpx.HTTPError:
        return 0.0
    return statistics.median(timings)
