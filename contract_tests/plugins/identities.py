"""Who the requests speak for: tokens minted with OTP_JWT_SECRET, or the one OTP_JWT_TOKEN.

Every token made here is registered with the redactor before it is used, so it never reaches a report.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from otp_suite.config import SuiteConfig
from otp_suite.contract.session import session_token
from otp_suite.contract.skip_causes import SkipCause, skip
from otp_suite.exit_codes import ExitCode
from otp_suite.redaction import REDACT
from otp_suite.testdata.tokens import bad_token, mint_token, new_user_id

#: Bad-token variants whose badness does not depend on knowing the environment's secret.
SECRETLESS_VARIANTS = frozenset({"alg_none", "wrong_secret", "not_a_jwt", "empty"})


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["user_id"] = f"{claims.get('user_id', '')}-admin"
    changed = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{changed}.{signature}"


#: Variants made from the one given token (OTP_JWT_TOKEN) when there is no secret.
FROM_GIVEN_TOKEN: dict[str, Callable[[str], str]] = {
    "tampered_payload": _tampered,
    "empty_signature": lambda token: token.rsplit(".", 1)[0] + ".",
}
NEEDS_SECRET = "needs OTP_JWT_SECRET to mint tokens for other users or bad tokens; only OTP_JWT_TOKEN is set"


@dataclass(frozen=True)
class Identities:
    """Makes tokens for the target: valid ones for any user, and the bad variants of the fixtures."""

    secret: str | None
    fixed_token: str | None

    def require_minting(self) -> str:
        """The secret, or skip the calling test with the reason."""
        if not self.secret:
            skip(SkipCause.SETUP, NEEDS_SECRET)
        return self.secret

    def token_for(self, user_id: str | None = None) -> str:
        """A valid token for ``user_id`` (a fresh user by default); skips without a secret."""
        token = mint_token(self.require_minting(), user_id or new_user_id())
        REDACT.register(token)
        return token

    def token_with(self, user_id: str, **claims: object) -> str:
        """A valid-signature token for ``user_id`` with the given mint_token options (client_id, issued_at, lifetime_s, extra, drop); skips without a secret."""
        token = mint_token(self.require_minting(), user_id, **claims)  # type: ignore[arg-type]
        REDACT.register(token)
        return token

    def bad(self, variant: str) -> str:
        """The bad token ``variant`` (see otp_suite.testdata.tokens.BAD_TOKEN_VARIANTS).

        Without the secret, the variants that do not need it are still made: unsigned, signed with
        some other secret, not a JWT, empty; and from OTP_JWT_TOKEN, its tampered or unsigned forms.
        The others skip.
        """
        if self.secret:
            token = bad_token(variant, self.secret)
        elif variant in SECRETLESS_VARIANTS:
            token = bad_token(variant, secrets.token_urlsafe(32))
        elif variant in FROM_GIVEN_TOKEN and self.fixed_token:
            token = FROM_GIVEN_TOKEN[variant](self.fixed_token)
        else:
            token = bad_token(variant, self.require_minting())
        REDACT.register(token)
        return token


@pytest.fixture(scope="session")
def identities(suite_config: SuiteConfig) -> Identities:
    """The token maker of the run."""
    return Identities(secret=suite_config.jwt_secret, fixed_token=suite_config.jwt_token)


@pytest.fixture(scope="session")
def user_token(identities: Identities, suite_config: SuiteConfig) -> str:
    """The session user's valid token: minted, or OTP_JWT_TOKEN as given (the one Schemathesis sends too)."""
    token = session_token()
    if token is None:
        pytest.exit("cannot judge: neither OTP_JWT_SECRET nor OTP_JWT_TOKEN is set; the target needs a token (set one of them)", returncode=ExitCode.CANNOT_JUDGE)
    return token


@pytest.fixture
def other_user_token(identities: Identities) -> str:
    """A valid token of a second, fresh user (skips without OTP_JWT_SECRET)."""
    return identities.token_for()
