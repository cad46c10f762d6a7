"""The TLS settings of the suite's HTTP clients to a target: one SSL context per process.

Building a context that verifies certificates reads the whole CA bundle: about 50 ms of CPU, which
httpx pays again for every client it builds from ``verify=True``. The suite builds clients in many
places (each probe of the preflight, each contract worker's clients, each poll for a service to
be ready), so they share the context of this process instead. It is built exactly as httpx builds
its own (certifi's bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``).
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def client_tls(verify_tls: bool) -> ssl.SSLContext:
    """The SSL context for clients of a target: verifying certificates (``OTP_VERIFY_TLS``) or not."""
    return httpx.create_ssl_context(verify=verify_tls)
