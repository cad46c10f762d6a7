"""Reproductions a person can paste: the token of a request written as the command that makes it again.

A failed check's attachment holds a ``curl`` line per request. The token itself never appears in a
report (:mod:`otp_suite.redaction`), so each line carries ``$(otp-suite token --user-id <id>)``
where the token was: run in a shell with the target's ``OTP_JWT_SECRET`` it mints a token for the
same user, and the line runs as pasted. A token ``otp-suite token`` cannot make (expired, another
algorithm, claims missing: the security tests' bad tokens) is written as ``$OTP_JWT_TOKEN`` and the
attachment says why. The seed of the run's generated cases closes every attachment.
"""

from __future__ import annotations

import re

import jwt

from otp_suite.api import TOKEN_HEADER
from otp_suite.testdata.tokens import TokenClaims

#: Shell text for a token no ``otp-suite token`` option reproduces.
UNREPRODUCIBLE_TOKEN = "$OTP_JWT_TOKEN"
#: How Schemathesis writes the token header in its "Reproduce with" curl (its own output sanitizer's mark).
_SCHEMATHESIS_TOKEN_HEADER = re.compile(rf"-H '{TOKEN_HEADER}: \[(?:Filtered|REDACTED)\]+'", re.IGNORECASE)


def token_command(token: str, *, secret: str | None, configured_token: str | None = None) -> str | None:
    """``$(otp-suite token --user-id <id>)`` printing a token equivalent to ``token``; None when none would.

    Equivalent: signed with ``secret`` (HS256), current, for the same ``user_id`` and ``client_id``.
    With only ``OTP_JWT_TOKEN`` configured, ``otp-suite token`` prints that token: ``$(otp-suite token)``.
    """
    if configured_token is not None and token == configured_token:
        return "$(otp-suite token)"
    if not secret:
        return None
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "iat"]})
    except jwt.PyJWTError:
        return None
    user_id, client_id = claims.get("user_id"), claims.get("client_id")
    if not (isinstance(user_id, str) and re.fullmatch(r"[A-Za-z0-9._-]+", user_id) and isinstance(client_id, str) and re.fullmatch(r"[A-Za-z0-9._-]+", client_id)):
        return None  # only ids a shell takes as they are; anything else is a security test's odd token
    client = "" if client_id == TokenClaims.client_id else f" --client-id {client_id}"
    return f"$(otp-suite token --user-id {user_id}{client})"


def shell_token(token: str, *, secret: str | None, configured_token: str | None = None) -> str:
    """What a curl line carries in place of ``token``: :func:`token_command`, else :data:`UNREPRODUCIBLE_TOKEN`."""
    return token_command(token, secret=secret, configured_token=configured_token) or UNREPRODUCIBLE_TOKEN


def replayable_schemathesis_text(text: str, session_token_text: str) -> str:
    """Schemathesis' failure text with its curl's masked token header replaced by ``session_token_text``.

    Double quotes, so the shell runs the command substitution; Schemathesis' calls carry the session token.
    """
    return _SCHEMATHESIS_TOKEN_HEADER.sub(lambda _: f'-H "{TOKEN_HEADER}: {session_token_text}"', text)


def replay_notes(seed: int | None, *, needs_token_variable: bool) -> str:
    """The lines that close a reproduction: what the curl lines need, and the seed of the generated cases."""
    lines = ["# Run with the target's signing secret in OTP_JWT_SECRET: $(otp-suite token ...) mints the request's token again."]
    if needs_token_variable:
        lines.append(f"# {UNREPRODUCIBLE_TOKEN}: a token otp-suite token does not make (expired, not HS256, or claims missing: the check's own bad token); set it to such a token.")
    if seed is not None:
        lines.append(f"# Seed of the generated cases: {seed} (otp-suite contract --seed {seed} replays them).")
    return "\n".join(lines)
