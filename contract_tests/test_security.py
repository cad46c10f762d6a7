"""Security and input handling (contract, 'Order of checks', 'Authentication', 'Fields', 'Errors
and leaks'): bad tokens on every operation (tokens in the wrong place: test_security_token_places.py), authentication before anything
about the body, malformed, oversized and nested bodies, wrong Content-Types, other methods, and
that no response ever carries an OTP, a token or the secret.

Choice where the contract allows two answers: a body over 16 KiB *without* a token "may be refused
before anything else is looked at", so there both 413 PAYLOAD_TOO_LARGE and 401 UN_AUTHORIZED are
accepted; with a valid token only 413 is.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from contract_tests.plugins.bodies import MALFORMED_FOR_EVERY_OPERATION, MALFORMED_FOR_VERIFY, OPERATIONS, valid_body
from contract_tests.plugins.identities import Identities
from contract_tests.steps import leaked
from otp_suite.config import SuiteConfig
from otp_suite.contract.challenges import Challenge
from otp_suite.contract.client import OPERATION_PATHS, OtpClient, OtpInbox
from otp_suite.contract.expectations import expect_challenge, expect_error, explain, json_body
from otp_suite.testdata.phone_numbers import PhoneNumber
from otp_suite.testdata.tokens import BAD_TOKEN_VARIANTS

MAX_BODY_BYTES = 16 * 1024
OTHER_METHODS = ("GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")


def _padded(body: dict[str, object], size: int) -> bytes:
    """``body`` with an ignored extra field that makes it ``size`` bytes of JSON."""
    base = json.dumps({**body, "padding": ""})
    return json.dumps({**body, "padding": "x" * (size - len(base))}).encode()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("variant", list(BAD_TOKEN_VARIANTS))
def test_bad_token_refused(client: OtpClient, identities: Identities, number: PhoneNumber, operation: str, variant: str) -> None:
    token = identities.bad(variant)

    response = client.call(operation, valid_body(operation, number), token=token)

    expect_error(response, 401, "UN_AUTHORIZED", f"a {variant.replace('_', ' ')} token is refused")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_missing_token_refused(client: OtpClient, number: PhoneNumber, operation: str) -> None:
    response = client.call(operation, valid_body(operation, number), token=None)

    expect_error(response, 401, "UN_AUTHORIZED", "a request without user-jwt-token is refused")


#: kind -> (raw body, Content-Type) that is wrong in some way besides the missing token.
UNAUTHENTICATED_BODIES: dict[str, tuple[bytes, str | None]] = {
    "not_json": (b"{not json", "application/json"),
    "empty_object": (b"{}", "application/json"),
    "top_level_array": (b"[]", "application/json"),
    "text_plain": (b"phone_number=1", "text/plain"),
    "no_content_type": (b"{}", None),
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("kind", list(UNAUTHENTICATED_BODIES))
def test_authentication_precedes_body_checks(client: OtpClient, operation: str, kind: str) -> None:
    content, content_type = UNAUTHENTICATED_BODIES[kind]

    response = client.send("POST", OPERATION_PATHS[operation], content=content, content_type=content_type, token=None)

    expect_error(response, 401, "UN_AUTHORIZED", f"without a token the answer is 401 whatever the body ({kind.replace('_', ' ')})")


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonp", None])
def test_content_type_other_than_json_refused(client: OtpClient, number: PhoneNumber, operation: str, content_type: str | None) -> None:
    content = json.dumps(valid_body(operation, number)).encode()

    response = client.send("POST", OPERATION_PATHS[operation], content=content, content_type=content_type)

    expect_error(response, 415, "UNSUPPORTED_MEDIA_TYPE", f"Content-Type {content_type or '(none)'} is refused")


def test_json_content_type_with_parameters_accepted(client: OtpClient, number: PhoneNumber) -> None:
    content = json.dumps(number.body()).encode()

    response = client.send("POST", OPERATION_PATHS["register"], content=content, content_type="application/json; charset=utf-8")

    expect_challenge(response, "application/json with a charset parameter is JSON")


def _valid_text_with(operation: str, number: PhoneNumber, extra: str) -> bytes:
    """A valid body's JSON text with ``extra`` (raw text, e.g. ``"x": NaN``) spliced in after its first brace."""
    return ("{" + extra + ", " + json.dumps(valid_body(operation, number))[1:]).encode()


#: kind -> maker(operation, number) of a body that is not JSON (RFC 8259) though a lenient parser
#: (JavaScript literals, JSON5, a Python or Jackson default) reads it; the other fields are valid.
NOT_JSON_BODIES: dict[str, Callable[[str, PhoneNumber], bytes]] = {
    "truncated": lambda op, n: b'{"phone_number": ',
    "empty": lambda op, n: b"",
    "whitespace_only": lambda op, n: b" \r\n\t",
    "nan_in_an_extra_field": lambda op, n: _valid_text_with(op, n, '"note": NaN'),
    "infinity_in_an_extra_field": lambda op, n: _valid_text_with(op, n, '"note": Infinity'),
    "minus_infinity_in_an_extra_field": lambda op, n: _valid_text_with(op, n, '"note": -Infinity'),
    "single_quotes": lambda op, n: json.dumps(valid_body(op, n)).replace('"', "'").encode(),
    "trailing_comma": lambda op, n: (json.dumps(valid_body(op, n))[:-1] + ",}").encode(),
    "comment": lambda op, n: _valid_text_with(op, n, '/* note */ "note": 1'),
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("kind", list(NOT_JSON_BODIES))
def test_body_that_is_not_json_refused(client: OtpClient, number: PhoneNumber, operation: str, kind: str) -> None:
    content = NOT_JSON_BODIES[kind](operation, number)

    response = client.send("POST", OPERATION_PATHS[operation], content=content, content_type="application/json")

    expect_error(response, 400, "INVALID_REQUEST", f"a body that is not JSON is refused ({kind.replace('_', ' ')}), however a lenient parser would read it")


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("kind", list(MALFORMED_FOR_EVERY_OPERATION))
def test_malformed_body_refused(client: OtpClient, number: PhoneNumber, operation: str, kind: str) -> None:
    body = MALFORMED_FOR_EVERY_OPERATION[kind](valid_body(operation, number), number)

    response = client.call(operation, body)

    expect_error(response, 400, "INVALID_REQUEST", f"a body with {kind.replace('_', ' ')} is refused")


@pytest.mark.parametrize("kind", list(MALFORMED_FOR_VERIFY))
def test_malformed_verify_body_refused(client: OtpClient, number: PhoneNumber, kind: str) -> None:
    body = MALFORMED_FOR_VERIFY[kind](valid_body("verify", number), number)

    response = client.call("verify", body)

    expect_error(response, 400, "INVALID_REQUEST", f"a verify body with {kind.replace('_', ' ')} is refused")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_oversized_body_refused(client: OtpClient, number: PhoneNumber, operation: str) -> None:
    content = _padded(valid_body(operation, number), MAX_BODY_BYTES + 1024)

    response = client.send("POST", OPERATION_PATHS[operation], content=content)

    expect_error(response, 413, "PAYLOAD_TOO_LARGE", "a body over 16 KiB is refused")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_oversized_body_without_token_refused(client: OtpClient, number: PhoneNumber, operation: str) -> None:
    content = _padded(valid_body(operation, number), MAX_BODY_BYTES + 1024)

    response = client.send("POST", OPERATION_PATHS[operation], content=content, token=None)

    # The contract lets the size check come before authentication, or not: both answers refuse.
    expected = {413: "PAYLOAD_TOO_LARGE", 401: "UN_AUTHORIZED"}
    assert response.status_code in expected, explain(response, f"an oversized body without a token gets 413 or 401, not {response.status_code}")
    expect_error(response, response.status_code, expected[response.status_code], "an oversized body without a token is refused")


def test_body_under_the_limit_not_refused_as_too_large(client: OtpClient, number: PhoneNumber) -> None:
    content = _padded(valid_body("verify", number), MAX_BODY_BYTES - 512)

    response = client.send("POST", OPERATION_PATHS["verify"], content=content)

    expect_error(response, 401, "INVALID_OTP", "a body under 16 KiB with unknown extra fields is judged on its fields (no challenge: INVALID_OTP)")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_deeply_nested_body_refused(client: OtpClient, operation: str) -> None:
    response = client.send("POST", OPERATION_PATHS[operation], content=_nested(5000).encode())

    expect_error(response, 400, "INVALID_REQUEST", "a deeply nested array is not a JSON object")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_deeply_nested_extra_field_answered_without_server_error(client: OtpClient, number: PhoneNumber, operation: str) -> None:
    body = json.dumps(valid_body(operation, number))
    content = (body[:-1] + ', "extra": ' + _nested(3000) + "}").encode()

    response = client.send("POST", OPERATION_PATHS[operation], content=content)

    assert response.status_code < 500, explain(response, "a deeply nested extra field is answered without a server error")
    if response.status_code != 200:
        json_body(response, "an error answer is JSON")


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("method", OTHER_METHODS)
def test_other_methods_refused_with_allow_post(client: OtpClient, operation: str, method: str) -> None:
    response = client.send(method, OPERATION_PATHS[operation])

    assert response.status_code == 405, explain(response, f"{method} on a POST-only path is 405, got {response.status_code}")
    allowed = {part.strip().upper() for part in response.headers.get("allow", "").split(",")}
    assert "POST" in allowed, explain(response, "a 405 names POST in its Allow header")


def test_unknown_path_not_found(client: OtpClient, number: PhoneNumber) -> None:
    response = client.send("POST", "/fe/users/auth/otp/unknown-operation", json=number.body())

    assert response.status_code == 404, explain(response, f"an unknown path is 404, got {response.status_code}")


def test_no_response_carries_otp_token_or_secret(client: OtpClient, inbox: OtpInbox, identities: Identities, started: Callable[..., Challenge], number: PhoneNumber, user_token: str, suite_config: SuiteConfig) -> None:
    challenge = started(number)
    tampered = identities.bad("tampered_payload") if identities.secret else "not-a-jwt"
    responses = [
        client.verify(number, challenge.auth_code, challenge.wrong_otp()),
        client.resend(number),
        client.verify(number, challenge.auth_code, challenge.otp, token=tampered),
        client.verify(number, challenge.auth_code, challenge.otp, token=None),
        client.call("verify", {"phone_number": number.phone_number}),
        client.send("POST", OPERATION_PATHS["verify"], content=b"otp", content_type="text/plain"),
        client.send("GET", OPERATION_PATHS["verify"]),
        client.verify(number, challenge.auth_code, challenge.otp),
    ]
    latest_otp = inbox.latest(number)
    secrets = {"the OTP": challenge.otp, "the latest OTP": latest_otp, "the user's token": user_token, "the tampered token": tampered}
    if suite_config.jwt_secret:
        secrets["the signing secret"] = suite_config.jwt_secret
    if not inbox.tells_codes_apart:
        # A fixed code is public knowledge of the environment; an answer containing it proves nothing.
        secrets = {k: v for k, v in secrets.items() if "OTP" not in k}

    leaking = [(response, leaked(response, secrets)) for response in responses]

    for response, found in leaking:
        assert not found, explain(response, f"a response carries {', '.join(found)}")
