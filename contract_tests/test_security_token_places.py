"""Where the token is read from (contract, 'Authentication': "Header `user-jwt-token`"): that
header alone. The session user's valid token put anywhere else a client might put one (a cookie of
any plausible name, Authorization, the query, a body field, a header of another name) with no
``user-jwt-token`` header is no token at all: 401 UN_AUTHORIZED, on every operation.

HTTP header names are case-insensitive, so ``User-JWT-Token`` is the same header and not a
misplacement (it is not sent here as one); ``user_jwt_token`` is another name (proxies such as
nginx drop it by default), and so is ``X-User-Jwt-Token``.

Safety: a target that wrongly accepts the token starts a challenge on a test number, inside the range.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from contract_tests.plugins.bodies import OPERATIONS, valid_body
from otp_suite.contract.client import OtpClient
from otp_suite.contract.expectations import expect_error
from otp_suite.testdata.phone_numbers import PhoneNumber


@dataclass(frozen=True)
class Place:
    """Where a request carries the token instead of its header."""

    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] = field(default_factory=dict)


#: place -> maker(token) of a request that carries the token there, and not in user-jwt-token.
PLACES: dict[str, Callable[[str], Place]] = {
    "cookie_user_jwt_token": lambda t: Place(headers={"Cookie": f"user-jwt-token={t}"}),
    "cookie_token": lambda t: Place(headers={"Cookie": f"token={t}"}),
    "cookie_jwt": lambda t: Place(headers={"Cookie": f"jwt={t}"}),
    "cookie_access_token": lambda t: Place(headers={"Cookie": f"theme=dark; access_token={t}"}),
    "authorization_bearer": lambda t: Place(headers={"Authorization": f"Bearer {t}"}),
    "authorization_bare": lambda t: Place(headers={"Authorization": t}),
    "query_user_jwt_token": lambda t: Place(params={"user-jwt-token": t}),
    "query_token": lambda t: Place(params={"token": t}),
    "body_user_jwt_token": lambda t: Place(body={"user-jwt-token": t}),
    "body_token": lambda t: Place(body={"token": t}),
    "header_with_underscores": lambda t: Place(headers={"user_jwt_token": t}),
    "header_x_prefixed": lambda t: Place(headers={"X-User-Jwt-Token": t}),
    "header_x_auth_token": lambda t: Place(headers={"X-Auth-Token": t}),
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("place", list(PLACES))
def test_token_outside_its_header_refused(client: OtpClient, user_token: str, number: PhoneNumber, operation: str, place: str) -> None:
    where = PLACES[place](user_token)

    response = client.call(operation, {**valid_body(operation, number), **where.body}, token=None, headers=where.headers, params=where.params)

    expect_error(response, 401, "UN_AUTHORIZED", f"the token is read from the user-jwt-token header only: a valid token in {place.replace('_', ' ')} (and no user-jwt-token header) is no token")
