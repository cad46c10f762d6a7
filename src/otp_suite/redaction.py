"""Keeping secrets out of everything the suite writes: console lines, logs, assertion messages, reports.

The one redactor of the suite. Three nets, the strictest rules of the copies it replaces:

* the values the run knows (the signing secret, the configured token, every token it minted),
  also as they appear inside JSON text (quotes and backslashes escaped), and each long
  dot-separated part of a token alone, are replaced literally;
* anything shaped like a JWT (``eyJ…`` header, payload, signature), including an unsigned token
  whose signature is empty (``xxx.yyy.``) and a header without the rest, is replaced;
* any ``user-jwt-token`` header value is replaced, whatever its shape.

Files and report trees are scrubbed with it by :mod:`otp_suite.report.scrub`.
"""

from __future__ import annotations

import json
import re
import threading

REDACTED = "[REDACTED]"

# Shorter values are not searched for on their own: redacting every "abc" would destroy the text
# and protect nothing (such a secret is guessable anyway).
MIN_SECRET_LENGTH = 6
# A token's parts are also searched for alone (a report could carry the signature or a payload).
MIN_TOKEN_PART_LENGTH = 16

#: A JWT: base64url header (always ``eyJ``, the encoding of ``{"``), then optional payload and
#: signature; an empty signature (alg none, ``xxx.yyy.``) still matches.
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?")
# The value stops before a quote, a backslash (an escaped quote inside JSON text) or a separator.
# A placeholder is no token and is left alone: a mark in brackets (ours, Schemathesis' "[Filtered]":
# matched up to its "]" it became "[REDACTED]]"), a shell variable or command ("$OTP_JWT_TOKEN",
# "$(otp-suite token ...)" in a reproduction's curl line).
TOKEN_HEADER_VALUE = re.compile(r"(?i)(user-jwt-token[\"']?\s*[:=]\s*[\"']?)(?!(?:\[[A-Za-z ]+\]|\$[A-Za-z_]\w*)(?![^\s\"'\\,;}\]])|\$\()([^\s\"'\\,;}\]]+)")


class Redactor:
    """Replaces registered secrets, JWT-shaped strings and token header values in text; thread-safe."""

    def __init__(self, *secrets: str | None) -> None:
        """``secrets``: the run's secret and token values (None and short values are ignored)."""
        self._known: set[str] = set()
        self._lock = threading.Lock()
        for secret in secrets:
            self.register(secret)

    def register(self, secret: str | None) -> None:
        """Remember ``secret`` (its JSON-escaped form and its long JWT parts too), redacted from now on."""
        if not secret or len(secret) < MIN_SECRET_LENGTH:
            return
        forms = {secret, json.dumps(secret)[1:-1]}
        forms.update(part for part in secret.split(".") if len(part) >= MIN_TOKEN_PART_LENGTH)
        with self._lock:
            self._known.update(forms)

    def _values(self) -> list[str]:
        with self._lock:
            # Longest first, so a token is replaced whole before any of its parts.
            return sorted(self._known, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """``text`` with every known secret, JWT-shaped string and token header value replaced by ``[REDACTED]``."""
        for value in self._values():
            text = text.replace(value, REDACTED)
        text = JWT_SHAPE.sub(REDACTED, text)
        return TOKEN_HEADER_VALUE.sub(lambda match: match.group(1) + REDACTED, text)

    __call__ = redact

    def kinds_found(self, text: str) -> list[str]:
        """What kinds of secret ``text`` holds (empty when clean); never the values themselves."""
        kinds = [f"known secret #{index + 1}" for index, value in enumerate(self._values()) if value in text]
        if JWT_SHAPE.search(text):
            kinds.append("JWT-shaped string")
        if TOKEN_HEADER_VALUE.search(text):
            kinds.append("user-jwt-token header value")
        return kinds


#: The process-wide redactor: fixtures register what they mint, reporters redact through it.
REDACT = Redactor()
