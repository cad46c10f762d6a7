"""Before a run: can the target be reached at all? If not, the run cannot judge (exit 2).

The answer is one line naming the target and the cause, never a traceback.
"""

from __future__ import annotations

import asyncio
import ssl

import httpx

from otp_suite.config import SuiteConfig


class TargetUnreachable(Exception):
    """The target cannot be judged; ``str()`` is the one-line reason."""


def describe_transport_error(url: str, error: BaseException, timeout_s: float) -> str:
    """A one-line diagnosis of why ``url`` could not be reached."""
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
    if "certificate" in chain or "ssl" in chain or isinstance(error.__context__, ssl.SSLError):
        return f"OTP_BASE_URL {url} failed TLS verification ({text}); fix the certificate or set OTP_VERIFY_TLS=0 to opt out"
    if "name or service not known" in chain or "nodename nor servname" in chain or "name resolution" in chain or "getaddrinfo" in chain:
        return f"OTP_BASE_URL {url}: the host name does not resolve; check the URL"
    if "refused" in chain:
        return f"OTP_BASE_URL {url} refused the connection; is the service running?"
    return f"OTP_BASE_URL {url} could not be reached ({type(error).__name__}: {text})"


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
    probe carries no token, so it can never make the target send an SMS.
    """
    if config.base_url is None:
        return
    url = config.base_url
    deadline_s = config.request_timeout_s
    try:
        asyncio.run(_probe(url, verify=config.verify_tls, deadline_s=deadline_s))
    except TimeoutError:
        raise TargetUnreachable(
            f"OTP_BASE_URL {url} did not finish answering within {deadline_s:g} s (total request timeout, OTP_REQUEST_TIMEOUT_S)"
        ) from None
    except httpx.TransportError as error:
        raise TargetUnreachable(describe_transport_error(url, error, deadline_s)) from None


async def _probe(url: str, *, verify: bool, deadline_s: float) -> None:
    async with httpx.AsyncClient(verify=verify, timeout=httpx.Timeout(deadline_s), follow_redirects=False) as client:
        request = client.post(url.rstrip("/") + "/fe/users/auth/otp/register", content=b"{}", headers={"content-type": "application/json"})
        await asyncio.wait_for(request, deadline_s)
