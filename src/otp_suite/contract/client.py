"""HTTP access to a target for the scenario and security tests: :class:`OtpClient` sends the three
operations (and anything else a test needs to send), :class:`OtpInbox` reads the OTP a test
deployment sent, and every exchange is recorded so a failing test can show it and replay it."""

from __future__ import annotations

import collections
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from otp_suite.api import REGISTER_PATH, RESEND_PATH, TOKEN_HEADER, VERIFY_PATH
from otp_suite.contract.exchanges import Exchange
from otp_suite.contract.json_text import json_bytes
from otp_suite.testdata.phone_numbers import PhoneNumber
from otp_suite.tls import client_tls

#: The suite's short operation names -> path.
OPERATION_PATHS: Mapping[str, str] = {"register": REGISTER_PATH, "resend": RESEND_PATH, "verify": VERIFY_PATH}
#: Paths whose requests can send an OTP, and the fields of their bodies that name the number.
SENDING_PATHS = frozenset({REGISTER_PATH, RESEND_PATH})
_COUNTRY_CODE_FIELD = re.compile(r'"countryCode"\s*:\s*"([^"]*)"')
_PHONE_NUMBER_FIELD = re.compile(r'"phone_number"\s*:\s*"([^"]*)"')


def may_have_sent(path: str, status: int | None) -> bool:
    """True unless the request could not have sent an OTP: not a register or resend, or answered
    4xx (refused: the contract sends nothing then). No answer (``None``) or a 5xx may have sent."""
    return path.rstrip("/") in SENDING_PATHS and not (status is not None and 400 <= status < 500)


def verified(path: str, status: int | None) -> bool:
    """True when the request was a verify answered 200 (its number is linked for good)."""
    return path.rstrip("/") == VERIFY_PATH and status == 200


def numbers_named(content: bytes | str | None) -> list[tuple[str, str]]:
    """Every (countryCode, phone_number) a request body could name, read as text: a body may be
    nested too deep for a JSON parser, or not be JSON, and a lenient target still send."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else (content or "")
    return [(country_code, phone_number) for country_code in set(_COUNTRY_CODE_FIELD.findall(text)) for phone_number in set(_PHONE_NUMBER_FIELD.findall(text))]


class _Default:
    def __repr__(self) -> str:
        return "the client's token"


#: Sentinel: send the client's own token.
OWN_TOKEN: Any = _Default()
_NO_BODY: Any = object()


class OtpClient:
    """Sends requests to one target with a token in ``user-jwt-token``; keeps the recent exchanges."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout_s: float = 10.0,
        tls: ssl.SSLContext | None = None,
        keep: int = 200,
        on_send: Callable[[str, str], None] | None = None,
        on_verified: Callable[[str, str], None] | None = None,
    ) -> None:
        """``tls``: the SSL context of the target (:func:`otp_suite.tls.target_tls`; default: verifying against the usual CAs).
        ``on_send(countryCode, phone_number)`` hears of every number a register or resend may have
        sent to (:func:`may_have_sent`), ``on_verified`` of every number a verify linked (:func:`verified`)."""
        self.base_url = base_url.rstrip("/")
        self._on_send = on_send
        self._on_verified = on_verified
        self.token = token
        self.exchanges: collections.deque[Exchange] = collections.deque(maxlen=keep)
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s, verify=tls or client_tls(True), follow_redirects=False)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = _NO_BODY,
        content: bytes | None = None,
        content_type: str | None = "application/json",
        token: str | None = OWN_TOKEN,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request: ``json`` is serialised (a :class:`~otp_suite.contract.json_text.JsonLiteral` in it verbatim), or ``content`` goes as is with ``content_type``.

        ``token=None`` sends no token header; by default the client's own token is sent.
        """
        all_headers: dict[str, str] = {}
        chosen = self.token if token is OWN_TOKEN else token
        if chosen is not None:
            all_headers[TOKEN_HEADER] = chosen
        if json is not _NO_BODY:
            content = json_bytes(json)
        if content is not None and content_type is not None:
            all_headers["content-type"] = content_type
        all_headers.update(headers or {})
        request = self._http.build_request(method, path, content=content, headers=all_headers, params=params)
        try:
            response = self._http.send(request)
        except httpx.TransportError:
            self.exchanges.append(Exchange(request, None))
            self._report_send(path, content, None)
            raise
        response.read()
        self._report_send(path, content, response.status_code)
        self.exchanges.append(Exchange(request, response))
        return response

    def _report_send(self, path: str, content: bytes | None, status: int | None) -> None:
        for heard, happened in ((self._on_send, may_have_sent(path, status)), (self._on_verified, verified(path, status))):
            if heard is not None and happened:
                for country_code, phone_number in numbers_named(content):
                    heard(country_code, phone_number)

    def call(self, operation: str, body: Any, *, token: str | None = OWN_TOKEN, **options: Any) -> httpx.Response:
        """POST ``body`` as JSON to ``operation`` (register, resend or verify)."""
        return self.send("POST", OPERATION_PATHS[operation], json=body, token=token, **options)

    def register(self, number: PhoneNumber, *, token: str | None = OWN_TOKEN) -> httpx.Response:
        """POST register for ``number``."""
        return self.call("register", number.body(), token=token)

    def resend(self, number: PhoneNumber, *, token: str | None = OWN_TOKEN) -> httpx.Response:
        """POST resend for ``number``."""
        return self.call("resend", number.body(), token=token)

    def verify(self, number: PhoneNumber, auth_code: Any, otp: Any, *, token: str | None = OWN_TOKEN) -> httpx.Response:
        """POST verify for ``number`` with ``auth_code`` and ``otp`` exactly as given (any JSON type)."""
        return self.call("verify", number.body(authCode=auth_code, otp=otp), token=token)


class InboxUnavailable(Exception):
    """The test inbox did not give an OTP; ``str()`` names the inbox and the answer.

    ``status``: the inbox's HTTP status, when it answered (404: it has nothing for the number).
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class OtpInbox:
    """Where the suite reads the OTP the target sent: the test inbox, or the environment's fixed code."""

    inbox_url: str | None
    fixed_code: str | None
    http: httpx.Client

    @property
    def tells_codes_apart(self) -> bool:
        """False with a fixed code: every OTP is the same, so "the previous OTP" cannot be told apart."""
        return self.fixed_code is None

    def latest(self, number: PhoneNumber) -> str:
        """The last OTP sent to ``number`` (the fixed code when the environment has one)."""
        if self.fixed_code is not None:
            return self.fixed_code
        if not self.inbox_url:
            raise InboxUnavailable("no test inbox is configured; set OTP_INBOX_URL or OTP_FIXED_CODE")
        params = {"countryCode": number.country_code, "phone_number": number.phone_number}
        try:
            try:
                response = self.http.get(self.inbox_url, params=params)
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
                # A kept-alive connection the inbox closed just as it was reused (seen on a loaded
                # machine): reading the inbox changes nothing, so it is read once more, on a new connection.
                response = self.http.get(self.inbox_url, params=params)
        except httpx.TransportError as error:
            raise InboxUnavailable(f"test inbox {self.inbox_url} could not be reached ({type(error).__name__}); set OTP_INBOX_URL or OTP_FIXED_CODE") from None
        if response.status_code != 200:
            raise InboxUnavailable(f"test inbox {self.inbox_url} answered {response.status_code} for {number}; set OTP_INBOX_URL or OTP_FIXED_CODE", response.status_code)
        try:
            otp = response.json()["otp"]
        except (ValueError, KeyError, TypeError):
            raise InboxUnavailable(f'test inbox {self.inbox_url} did not answer {{"otp": "<6 digits>"}}') from None
        return str(otp)
