"""What the contract says an answer looks like, as assertions whose messages show the exchange
(redacted) and the curl that replays it, never a token."""

from __future__ import annotations

from typing import Any

import httpx

from otp_suite.api import AUTH_CODE
from otp_suite.contract.exchanges import Exchange
from otp_suite.redaction import REDACT


def explain(response: httpx.Response, rule: str) -> str:
    """A failure message: the rule, the exchange and the curl, redacted."""
    exchange = Exchange(response.request, response)
    return REDACT(f"{rule}\n\n{exchange.describe()}\n\nReplay with:\n  {exchange.curl()}")


def json_body(response: httpx.Response, rule: str) -> Any:
    """The JSON body of ``response`` served as ``application/json``; fails otherwise."""
    content_type = response.headers.get("content-type", "")
    assert content_type.split(";")[0].strip().lower() == "application/json", explain(response, f"{rule}: the body must be served as application/json")
    try:
        return response.json()
    except ValueError:
        raise AssertionError(explain(response, f"{rule}: the body is not JSON")) from None


def expect_error(response: httpx.Response, status: int, code: str, rule: str) -> None:
    """``response`` is ``status`` with exactly ``{"code": code, "message": <string>}``."""
    assert response.status_code == status, explain(response, f"{rule}: expected {status} {code}, got {response.status_code}")
    body = json_body(response, rule)
    assert isinstance(body, dict) and set(body) == {"code", "message"} and isinstance(body.get("message"), str), explain(response, f'{rule}: an error body is exactly {{"code", "message"}}, both strings')
    assert body["code"] == code, explain(response, f"{rule}: expected code {code}, got {body['code']!r}")


def expect_retry_after(response: httpx.Response, rule: str) -> int:
    """``response`` carries ``Retry-After`` in whole seconds, at least 1; returns it."""
    value = response.headers.get("retry-after")
    assert value is not None, explain(response, f"{rule}: every 429 carries Retry-After")
    assert value.strip().isdigit() and int(value) >= 1, explain(response, f"{rule}: Retry-After must be whole seconds, at least 1 (got {value!r})")
    return int(value)


def expect_challenge(response: httpx.Response, rule: str) -> dict[str, Any]:
    """``response`` is 200 ``{"authCode": "<4 digits>", "isNewUser": <bool>}``; returns the body."""
    assert response.status_code == 200, explain(response, f"{rule}: expected 200 with authCode and isNewUser, got {response.status_code}")
    body = json_body(response, rule)
    assert isinstance(body, dict) and set(body) == {"authCode", "isNewUser"}, explain(response, f"{rule}: the body has exactly authCode and isNewUser")
    assert isinstance(body["authCode"], str) and AUTH_CODE.fullmatch(body["authCode"]), explain(response, f"{rule}: authCode is a 4-digit string")
    assert isinstance(body["isNewUser"], bool), explain(response, f"{rule}: isNewUser is a boolean")
    return body


def expect_verified(response: httpx.Response, rule: str) -> None:
    """``response`` is 200 ``{"message": "Users linked successfully"}``."""
    assert response.status_code == 200, explain(response, f"{rule}: expected 200, got {response.status_code}")
    body = json_body(response, rule)
    assert body == {"message": "Users linked successfully"}, explain(response, f'{rule}: the body is exactly {{"message": "Users linked successfully"}}')
