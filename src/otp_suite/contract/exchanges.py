"""Requests and responses as a reader of a report needs them: redacted text and a replaying curl."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from otp_suite.api import TOKEN_HEADER
from otp_suite.redaction import REDACT, Redactor

#: Header names whose value is a credential; shown as a shell variable in curl commands.
CREDENTIAL_HEADERS = {TOKEN_HEADER: "$OTP_JWT_TOKEN", "authorization": "$OTP_AUTHORIZATION"}
#: Shell text standing for a token in a curl line, e.g. ``$(otp-suite token --user-id u1)`` (otp_suite.contract.replay).
TokenText = Callable[[str], str]
_BODY_LIMIT = 4096
#: Headers the HTTP client adds on its own; curl adds its own too, and they say nothing about the case.
_TRANSPORT_HEADERS = {"host", "content-length", "accept-encoding", "connection", "user-agent", "accept"}


@dataclass(frozen=True)
class Exchange:
    """One request the suite sent and the answer it got."""

    request: httpx.Request
    response: httpx.Response | None

    def curl(self, redact: Redactor = REDACT, *, token_text: TokenText | None = None) -> str:
        """A curl command that replays the request; credentials become shell text (see :func:`curl_command`)."""
        return curl_command(self.request, redact, token_text=token_text)

    def describe(self, redact: Redactor = REDACT) -> str:
        """Request and response as redacted text, for a report or an assertion message."""
        request = self.request
        lines = [f"> {request.method} {request.url}"]
        lines += [f"> {name}: {_header_value(name, value)}" for name, value in request.headers.items() if name.lower() not in _TRANSPORT_HEADERS]
        body = request.content
        if body:
            lines.append("> " + _shorten(body))
        if self.response is None:
            lines.append("< (no response)")
        else:
            response = self.response
            lines.append(f"< {response.status_code} {response.reason_phrase}")
            lines += [f"< {name}: {value}" for name, value in response.headers.items()]
            if response.content:
                lines.append("< " + _shorten(response.content))
        return redact("\n".join(lines))


def _header_value(name: str, value: str) -> str:
    return CREDENTIAL_HEADERS.get(name.lower(), value) if name.lower() in CREDENTIAL_HEADERS else value


def _credential_text(name: str, value: str, token_text: TokenText | None) -> str:
    if token_text is None:
        return CREDENTIAL_HEADERS[name]
    if name == TOKEN_HEADER:
        return token_text(value.strip())
    scheme, _, token = value.partition(" ")
    return f"{scheme} {token_text(token.strip())}" if scheme.lower() == "bearer" and token else CREDENTIAL_HEADERS[name]


def _shorten(content: bytes) -> str:
    text = content[:_BODY_LIMIT].decode("utf-8", errors="replace")
    return text + (f"... ({len(content)} bytes)" if len(content) > _BODY_LIMIT else "")


def curl_command(request: httpx.Request, redact: Redactor = REDACT, *, token_text: TokenText | None = None) -> str:
    """``curl`` replaying ``request``; never the token: ``token_text(token)`` in its place, by default ``$OTP_JWT_TOKEN``."""
    parts = ["curl", "-sS", "-i", "-X", request.method]
    for name, value in request.headers.items():
        if name.lower() in _TRANSPORT_HEADERS:
            continue
        if name.lower() in CREDENTIAL_HEADERS:
            # Double quotes so the shell expands the variable or command in place of the token.
            parts.append(f'-H "{name}: {_credential_text(name.lower(), value, token_text)}"')
            continue
        parts.append("-H " + shlex.quote(f"{name}: {value}"))
    body = request.content
    if body:
        parts.append("--data-binary " + shlex.quote(body.decode("utf-8", errors="replace")))
    parts.append(shlex.quote(str(request.url)))
    return redact(" ".join(parts))
