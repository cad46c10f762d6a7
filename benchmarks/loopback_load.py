"""A small keep-alive HTTP/1.1 load generator on raw asyncio sockets, for loopback benchmarks.

Pure Python, so the benchmarks run on a fresh machine; cheap per request, so the server under test
and not the generator is the bottleneck. Every run is bounded in time and in request count.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class RoundResult:
    """What one timed round measured."""

    requests: int
    seconds: float
    statuses: Counter[int]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def ok_share(self) -> float:
        return self.statuses[200] / max(1, self.requests)


def post_request(host: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    """The bytes of one keep-alive POST."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lowered = head.lower()
    start = lowered.find(b"content-length:")
    if start < 0:
        raise RuntimeError("response without Content-Length; this generator reads only sized bodies")
    end = lowered.index(b"\r\n", start)
    await reader.readexactly(int(lowered[start + 15 : end]))
    return status


async def _connection(host: str, port: int, next_request: Callable[[], bytes], stop_at: float, budget: list[int], statuses: Counter[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while budget[0] > 0 and time.perf_counter() < stop_at:
            budget[0] -= 1
            writer.write(next_request())
            statuses[await _read_response(reader)] += 1
    finally:
        writer.close()


async def _drive(url: str, next_request: Callable[[], bytes], seconds: float, connections: int, max_requests: int) -> RoundResult:
    parts = urlsplit(url)
    assert parts.hostname in {"127.0.0.1", "localhost", "::1"}, f"benchmarks only drive loopback targets, not {parts.hostname}"
    statuses: Counter[int] = Counter()
    budget = [max_requests]
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(*(_connection(parts.hostname, parts.port or 80, next_request, stop_at, budget, statuses) for _ in range(connections)))
    return RoundResult(sum(statuses.values()), time.perf_counter() - started, statuses)


def drive(url: str, next_request: Callable[[], bytes], *, seconds: float, connections: int, max_requests: int) -> RoundResult:
    """Send ``next_request()`` over ``connections`` keep-alive connections for ``seconds`` (or ``max_requests``)."""
    return asyncio.run(_drive(url, next_request, seconds, connections, max_requests))
