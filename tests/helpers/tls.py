"""TLS certificates for the suite's own HTTPS targets, made with trustme (no ``openssl`` binary).

Each call makes a throwaway certificate authority and a certificate for 127.0.0.1 that it signs.
No trust store holds that CA, so a client that verifies certificates refuses the server, as it
would a self-signed one; a client handed ``ca.pem`` trusts it.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class ServerCertificate:
    """The files of one server certificate for 127.0.0.1."""

    #: The certificate and its chain up to the CA (PEM).
    cert: Path
    #: Its private key (PEM).
    key: Path
    #: The CA that signed it (PEM): hand it to a client that should trust the server.
    ca: Path

    @property
    def tls(self) -> tuple[str, str]:
        """(certificate file, key file), as :class:`otp_suite.service.server.ServiceThread` takes them."""
        return str(self.cert), str(self.key)

    def server_context(self) -> ssl.SSLContext:
        """A server TLS context that presents this certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def untrusted_certificate(directory: Path) -> ServerCertificate:
    """A fresh certificate for 127.0.0.1 from a fresh CA, written to ``directory`` (cert.pem, key.pem, ca.pem)."""
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    files = ServerCertificate(cert=directory / "cert.pem", key=directory / "key.pem", ca=directory / "ca.pem")
    files.cert.write_bytes(b"".join(pem.bytes() for pem in issued.cert_chain_pems))
    issued.private_key_pem.write_to_path(files.key)
    ca.cert_pem.write_to_path(files.ca)
    return files
