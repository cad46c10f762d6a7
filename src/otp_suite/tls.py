"""The TLS trust of every client the suite opens to a target: one answer to "which CAs?", per process.

The suite talks to a target through three HTTP stacks: httpx (the preflight, the scenario
client, the inbox, the load preflight), requests (Schemathesis) and geventhttpclient (Locust's
``FastHttpUser``). Each has its own idea of the trusted CAs: httpx reads ``SSL_CERT_FILE`` /
``SSL_CERT_DIR``, requests ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``, geventhttpclient neither. A
stage behind a company's internal CA then passed the preflight and failed every Schemathesis call.
So the trust is decided here, once, and handed to all three:

* the usual anchors: the certificates of ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set (as OpenSSL
  and httpx read them), otherwise certifi's bundle; plus ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``
  when set (as requests reads them);
* plus ``OTP_CA_BUNDLE`` (``SuiteConfig.ca_bundle``), the PEM file of the CA that signed the target;
* nothing at all with ``OTP_VERIFY_TLS=0``.

When anything is added to certifi's bundle, the anchors are written once per process into one PEM
file (:func:`trust_file`), which requests takes as ``verify=<path>`` and geventhttpclient as its
``cafile``; httpx gets an SSL context built from the same anchors (:func:`client_tls`).

Building a context that verifies certificates reads the whole CA bundle: about 50 ms of CPU, which
httpx pays again for every client it builds from ``verify=True``. The suite builds clients in many
places (each probe of the preflight, each contract worker's clients, each poll for a service to
be ready), so they share the context of this process instead.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import ssl
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import certifi
import httpx

if TYPE_CHECKING:
    from otp_suite.config import SuiteConfig

#: The variables of the usual anchors, as OpenSSL/httpx (file, folder) and requests (files) read them.
OPENSSL_FILE, OPENSSL_DIR = "SSL_CERT_FILE", "SSL_CERT_DIR"
REQUESTS_FILES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"

#: What a ``create_default_context`` returns: ``ssl.SSLContext``, or gevent's (untyped) one.
_Context = TypeVar("_Context")


def anchor_files(ca_bundle: Path | None = None) -> list[Path]:
    """The PEM files (or certificates of a folder) whose CAs the suite trusts, in the order they are read."""
    environ = os.environ
    files: list[Path] = []
    if environ.get(OPENSSL_FILE):
        files.append(Path(environ[OPENSSL_FILE]))
    if environ.get(OPENSSL_DIR):
        folder = Path(environ[OPENSSL_DIR])
        files += sorted(entry for entry in folder.iterdir() if entry.is_file()) if folder.is_dir() else []
    if not files:
        files.append(Path(certifi.where()))
    files += [Path(environ[name]) for name in REQUESTS_FILES if environ.get(name)]
    if ca_bundle is not None:
        files.append(ca_bundle)
    return list(dict.fromkeys(files))


@functools.cache
def trust_file(ca_bundle: Path | None = None) -> str:
    """The path of one PEM file holding every trusted CA: certifi's own when nothing is added to it.

    Written once per process to a temporary file, removed when the process that wrote it exits
    (a forked child inherits the path, not the duty to remove it).
    """
    files = anchor_files(ca_bundle)
    if files == [Path(certifi.where())]:
        return certifi.where()
    pem = b"\n".join(_certificates_of(file) for file in files)
    handle, name = tempfile.mkstemp(prefix="otp-suite-trust-", suffix=".pem")
    with os.fdopen(handle, "wb") as written:
        written.write(pem)
    atexit.register(_remove, name, os.getpid())
    return name


def _certificates_of(file: Path) -> bytes:
    """The PEM text of ``file``, or nothing for a file without a certificate (an OpenSSL folder's index)."""
    try:
        content = file.read_bytes()
    except OSError:
        return b""
    return content if PEM_CERTIFICATE in content else b""


def _remove(name: str, writer: int) -> None:
    """Remove the file ``name`` in the process ``writer`` only (a forked child runs its parent's exit handlers too)."""
    if os.getpid() == writer:
        with contextlib.suppress(OSError):
            os.unlink(name)


@functools.cache
def client_tls(verify_tls: bool, ca_bundle: Path | None = None) -> ssl.SSLContext:
    """The SSL context for httpx clients of a target: verifying against the suite's trust (``OTP_VERIFY_TLS``) or not."""
    if not verify_tls:
        return httpx.create_ssl_context(verify=False)
    return trusting_context(ca_bundle, ssl.create_default_context)


def trusting_context(ca_bundle: Path | None, factory: Callable[..., _Context]) -> _Context:
    """A verifying context from ``factory`` (``ssl`` or ``gevent.ssl``'s ``create_default_context``) with the suite's trust."""
    return factory(cafile=trust_file(ca_bundle))


def target_tls(config: SuiteConfig) -> ssl.SSLContext:
    """:func:`client_tls` for ``config``'s target (``OTP_VERIFY_TLS``, ``OTP_CA_BUNDLE``)."""
    return client_tls(config.verify_tls, config.ca_bundle)


def requests_verify(config: SuiteConfig) -> bool | str:
    """``verify=`` for requests (Schemathesis' ``tls-verify``): False, or the path of :func:`trust_file`."""
    return trust_file(config.ca_bundle) if config.verify_tls else False


def gevent_context_factory(config: SuiteConfig) -> Callable[..., Any]:
    """An ``ssl_context_factory`` for Locust's ``FastHttpUser`` (geventhttpclient) with the suite's trust.

    geventhttpclient calls it with ``cafile=<certifi's bundle>``; that is ignored, the suite's trust
    (:func:`trust_file`) is what the context holds. Unverified with ``OTP_VERIFY_TLS=0``.
    """
    return lambda **ignored: _gevent_context(config.verify_tls, config.ca_bundle)


@functools.cache
def _gevent_context(verify_tls: bool, ca_bundle: Path | None) -> Any:
    """One context per process for every virtual user: building one reads the whole bundle (50 ms of CPU)."""
    import gevent.ssl

    if not verify_tls:
        return gevent.ssl._create_unverified_context()  # noqa: SLF001 - what Locust's own insecure factory returns
    return trusting_context(ca_bundle, gevent.ssl.create_default_context)
