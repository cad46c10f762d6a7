"""Keeping secrets out of everything the suite writes: reports, assertion messages, console lines.

Two nets: the values the run knows (the signing secret, the configured token, every token it
minted) are replaced literally, and anything shaped like a JWT is replaced too, so a token the
target echoes back in some other form of its own still does not reach a report.
"""

from __future__ import annotations

import re
import threading

REDACTED = "[REDACTED]"
# header.payload.signature in base64url; the signature may be empty (alg none).
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")


class Redactor:
    """Replaces registered secrets and JWT-shaped strings in text; thread-safe."""

    def __init__(self, *secrets: str | None) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        for secret in secrets:
            self.register(secret)

    def register(self, secret: str | None) -> None:
        """Remember ``secret`` (and its JWT parts) so it is redacted from now on; short values are ignored."""
        if not secret or len(secret) < 6:
            return
        with self._lock:
            self._secrets.add(secret)
            parts = secret.split(".")
            if len(parts) == 3:
                # A report could carry one part alone (e.g. a decoded-then-re-encoded payload or the signature).
                self._secrets.update(part for part in parts if len(part) >= 16)

    def __call__(self, text: str) -> str:
        """``text`` with every known secret and every JWT-shaped string replaced by ``[REDACTED]``."""
        with self._lock:
            known = sorted(self._secrets, key=len, reverse=True)
        for secret in known:
            text = text.replace(secret, REDACTED)
        return JWT_SHAPE.sub(REDACTED, text)


#: The process-wide redactor: fixtures register what they mint, reporters redact through it.
REDACT = Redactor()
