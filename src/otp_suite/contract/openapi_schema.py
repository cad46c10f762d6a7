"""The Schemathesis side of a contract run: ``openapi.yaml`` loaded with the project's
``schemathesis.toml`` plus the run's own settings (seed, example budget, timeouts, TLS), and the
token supplied through a Schemathesis auth provider so its ``ignored_auth`` probes know the
request carried real credentials."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.core.result import Err
from schemathesis.schemas import BaseSchema

from otp_suite.api import TOKEN_HEADER
from otp_suite.config import SuiteConfig
from otp_suite.tls import requests_verify

#: Operations whose success sends an SMS: their bodies are moved into the test range before sending.
SENDING_OPERATIONS = frozenset({"registerOtp", "resendOtp"})


class SpecUnusable(Exception):
    """openapi.yaml (or schemathesis.toml) is missing or invalid; ``str()`` is the one-line reason."""


def schemathesis_settings(config: SuiteConfig) -> dict[str, Any]:
    """``schemathesis.toml`` next to the spec, overlaid with the settings of this run."""
    toml_path = Path(config.spec_path).parent / "schemathesis.toml"
    settings: dict[str, Any] = {}
    if toml_path.is_file():
        try:
            settings = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise SpecUnusable(f"{toml_path} is not valid TOML ({error}); fix the file") from None
    if config.seed is not None:
        settings["seed"] = config.seed
    generation = settings.setdefault("generation", {})
    generation["max-examples"] = config.max_examples
    # Shrinking re-sends a failing request many times; the first failing example is what a reader needs.
    settings["request-timeout"] = config.request_timeout_s
    # A path, not True: requests alone would trust neither OTP_CA_BUNDLE nor SSL_CERT_FILE (otp_suite.tls).
    settings["tls-verify"] = requests_verify(config)
    phases = settings.setdefault("phases", {})
    for phase in ("examples", "coverage", "fuzzing", "stateful"):
        phases.setdefault(phase, {}).setdefault("enabled", True)
    return settings


def load_contract_schema(config: SuiteConfig) -> BaseSchema:
    """The spec as a Schemathesis schema configured for this run; raises :class:`SpecUnusable`."""
    spec = Path(config.spec_path)
    if not spec.is_file():
        raise SpecUnusable(f"spec file {spec} does not exist; set OTP_SPEC / --spec to the OpenAPI file")
    settings = schemathesis_settings(config)
    try:
        st_config = schemathesis.Config.from_dict(settings, base_dir=str(spec.parent))
        schema = schemathesis.openapi.from_path(spec, config=st_config)
        schema.validate()
        # Building every operation surfaces broken references and schemas now, not mid-run.
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                raise result.err()
    except Exception as error:  # noqa: BLE001 - Schemathesis and YAML raise many types; all mean "cannot use this spec"
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise SpecUnusable(f"spec file {spec} is not a usable OpenAPI document ({first_line[:200]}); fix it or point OTP_SPEC elsewhere") from None
    return schema


def install_token_auth(schema: BaseSchema, token: str | None) -> None:
    """Register an auth provider on ``schema`` that sends ``token`` in ``user-jwt-token``.

    Through a provider (not a plain header) Schemathesis knows the credentials are real, so its
    ``ignored_auth`` check replays successful requests without them and with a wrong one.
    """

    @schema.auth()
    class SessionToken:
        def get(self, case: schemathesis.Case[schemathesis.APIOperation[Any, Any, Any, Any]], context: schemathesis.AuthContext) -> str | None:
            return token

        def set(self, case: schemathesis.Case[schemathesis.APIOperation[Any, Any, Any, Any]], data: str, context: schemathesis.AuthContext) -> None:
            headers: Mapping[str, Any] = case.headers or {}
            # Schemathesis annotates headers as CaseInsensitiveDict but sends any mapping (its own auth docs assign a dict).
            case.headers = {**headers, TOKEN_HEADER: data}  # type: ignore[assignment]
