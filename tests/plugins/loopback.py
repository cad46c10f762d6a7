"""A loopback address where nothing listens, for the tests of an unreachable target (contract,
fail-safe, gate and report tests)."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def refused_url() -> str:
    """A loopback URL where nothing listens (the port was bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
