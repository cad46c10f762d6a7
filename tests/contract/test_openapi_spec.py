"""Static rules of the hand-written contract `openapi.yaml` (no service needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
OPERATIONS = {
    "registerOtp": "/fe/users/auth/otp/register",
    "resendOtp": "/fe/users/auth/otp/resend",
    "verifyOtp": "/fe/users/auth/otp/verify",
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return document


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = spec["components"][section][name]
    return node


def _operation(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    operation: dict[str, Any] = spec["paths"][OPERATIONS[operation_id]]["post"]
    return operation


def _link_to(spec: dict[str, Any], source: str, target: str) -> dict[str, Any]:
    links = _operation(spec, source)["responses"]["200"].get("links", {})
    matches = [_resolve(spec, link) for link in links.values()]
    matches = [link for link in matches if link.get("operationId") == target]
    assert len(matches) == 1, f"expected one 200 link {source} -> {target}, found {len(matches)}"
    return matches[0]


def test_spec_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)


def test_each_path_has_only_post_with_its_operation_id(spec: dict[str, Any]) -> None:
    assert set(spec["paths"]) == set(OPERATIONS.values())
    for operation_id, path in OPERATIONS.items():
        assert set(spec["paths"][path]) == {"post"}
        assert spec["paths"][path]["post"]["operationId"] == operation_id


def test_security_scheme_is_api_key_in_user_jwt_token_header(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes == {"userJwtToken": schemes["userJwtToken"]}
    scheme = schemes["userJwtToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "user-jwt-token")


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_every_operation_requires_the_user_jwt_token(spec: dict[str, Any], operation_id: str) -> None:
    assert _operation(spec, operation_id)["security"] == [{"userJwtToken": []}]


@pytest.mark.parametrize(("source", "target"), [("registerOtp", "verifyOtp"), ("resendOtp", "verifyOtp")])
def test_link_to_verify_carries_auth_code_phone_number_and_country_code(spec: dict[str, Any], source: str, target: str) -> None:
    assert _link_to(spec, source, target)["requestBody"] == {
        "authCode": "$response.body#/authCode",
        "phone_number": "$request.body#/phone_number",
        "countryCode": "$request.body#/countryCode",
    }


def test_link_register_to_resend_carries_phone_number_and_country_code(spec: dict[str, Any]) -> None:
    # Resend's body has no authCode: the pending challenge keeps its own.
    assert _link_to(spec, "registerOtp", "resendOtp")["requestBody"] == {
        "phone_number": "$request.body#/phone_number",
        "countryCode": "$request.body#/countryCode",
    }


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_429_requires_integer_retry_after_of_at_least_one_second(spec: dict[str, Any], operation_id: str) -> None:
    response = _resolve(spec, _operation(spec, operation_id)["responses"]["429"])
    header = _resolve(spec, response["headers"]["Retry-After"])
    assert header["required"] is True
    assert header["schema"] == {"type": "integer", "minimum": 1}


def test_no_public_docs_jwt_in_spec() -> None:
    # The public docs' example tokens all start with this encoded HS256 header.
    assert "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" not in SPEC_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize("schema_name", ["PhoneNumberRequest", "VerifyRequest"])
def test_request_bodies_allow_unknown_fields_which_the_service_ignores(spec: dict[str, Any], schema_name: str) -> None:
    assert "additionalProperties" not in spec["components"]["schemas"][schema_name]
