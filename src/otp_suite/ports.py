"""Unused TCP ports on this machine."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (bound and released: granian and Locust take a port, not a socket).

    Another process could take it before the caller does; callers that can pass a bound socket
    (uvicorn, ``otp_suite.service.server.bind_socket``) should do that instead.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
