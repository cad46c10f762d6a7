"""Where the fault catalog looks for a token besides the ``user-jwt-token`` header.

The contract reads the token from that header alone (contract, 'Authentication'); each fault here
is a place a careless service also reads it from (a cookie, the query, the body, Authorization, a
header spelt another way). With no such fault active, :func:`misplaced_token` finds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from otp_suite.service.faults import Faults

#: fault -> cookie names it reads a token from.
_COOKIES = {"token_in_cookie": ("user-jwt-token",), "token_in_other_cookie": ("token", "jwt", "access_token")}
#: fault -> header names (lower case, as the server hands them on) it reads a token from.
_HEADERS = {"token_header_underscore": ("user_jwt_token",), "token_header_prefixed": ("x-user-jwt-token",)}
#: Query parameters and body fields the token_in_query and token_in_body faults read.
_FIELDS = ("user-jwt-token", "token")


def misplaced_token(headers: Mapping[str, str], cookies: Mapping[str, str], query: Mapping[str, str], raw_body: bytes, faults: Faults) -> str | None:
    """A token from a place the contract does not read one from, as the active ``faults`` would take it."""
    if "token_in_authorization" in faults:
        bearer = headers.get("authorization", "").removeprefix("Bearer ").strip()
        if bearer:
            return bearer
    found = [cookies.get(name) for fault, names in _COOKIES.items() if fault in faults for name in names]
    found += [headers.get(name) for fault, names in _HEADERS.items() if fault in faults for name in names]
    if "token_in_query" in faults:
        found += [query.get(name) for name in _FIELDS]
    if "token_in_body" in faults:
        found += [_body_field(raw_body, name) for name in _FIELDS]
    return next((token for token in found if token), None)


def _body_field(raw_body: bytes, name: str) -> str | None:
    try:
        document = json.loads(raw_body)
    except (ValueError, RecursionError):
        return None
    value = document.get(name) if isinstance(document, dict) else None
    return value if isinstance(value, str) else None
