"""Small misbehaving HTTP servers on loopback, for the fail-safe tests (issue 7).

Each runs on an unused port in a background thread and misbehaves in one way: never answers,
trickles a byte a second, serves HTML 502s or 500s, invalid JSON, JSON of the wrong shape,
redirects elsewhere or in a loop. Over HTTPS with ``tls=untrusted_certificate(folder).server_context()``
(:mod:`helpers.tls`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading

Behaviour = str  # one of BEHAVIOURS

BEHAVIOURS = ("silent", "trickle", "html_502", "all_500", "invalid_json", "wrong_shape", "redirect_other_host", "redirect_loop")


def _response(status: str, content_type: str, body: bytes, extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n"
    return head.encode() + body


def _answer(behaviour: Behaviour, path: str) -> bytes:
    if behaviour == "html_502":
        return _response("502 Bad Gateway", "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>")
    if behaviour == "all_500":
        return _response("500 Internal Server Error", "application/json", b'{"error":"internal"}')
    if behaviour == "invalid_json":
        return _response("200 OK", "application/json", b'{"authCode": "12')
    if behaviour == "wrong_shape":
        return _response("200 OK", "application/json", b'{"ok": true, "data": []}')
    if behaviour == "redirect_other_host":
        return _response("302 Found", "text/plain", b"", f"Location: http://elsewhere.invalid{path}\r\n")
    if behaviour == "redirect_loop":
        return _response("302 Found", "text/plain", b"", f"Location: {path}\r\n")
    if behaviour == "trickle":
        return _response("200 OK", "application/json", b'{"authCode": "1234", "isNewUser": true}')
    raise ValueError(behaviour)


class MisbehavingServer:
    """A raw HTTP/1.1 server on an unused loopback port that misbehaves as told."""

    def __init__(self, behaviour: Behaviour, tls: ssl.SSLContext | None = None) -> None:
        self.behaviour = behaviour
        self._tls = tls
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self._sock.getsockname()[1]}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._stopped = asyncio.Event()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await reader.readline()
            path = request_line.split(b" ")[1].decode() if request_line.count(b" ") >= 2 else "/"
            while (await reader.readline()).strip():
                pass  # the headers; the body, if any, is never needed
            if self.behaviour == "silent":
                await self._stopped.wait()
                return
            answer = _answer(self.behaviour, path)
            if self.behaviour == "trickle":
                for byte in answer:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopped.wait(), 1.0)
                    if self._stopped.is_set():
                        return
            else:
                writer.write(answer)
                await writer.drain()
        except (ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, sock=self._sock, ssl=self._tls))
        self._loop.run_until_complete(self._stopped.wait())
        server.close()
        self._loop.run_until_complete(asyncio.sleep(0))

    def __enter__(self) -> MisbehavingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout=5)
