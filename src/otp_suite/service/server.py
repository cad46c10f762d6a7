"""Running the reference service on a real HTTP server (uvicorn) bound to loopback.

Two ways: :func:`serve` blocks in the foreground (``otp-suite serve``, clean exit on SIGINT and
SIGTERM); :class:`ServiceThread` runs an app on an ephemeral port inside the current process, for
tests that need to hold the clock, and :class:`ServiceProcess` runs ``otp-suite serve`` as a child
process, for the embedded target of contract, load and gate runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping

import httpx
import uvicorn
from starlette.types import ASGIApp

from otp_suite.api import READY_PATH
from otp_suite.interruption import signals_held
from otp_suite.polling import poll_until
from otp_suite.ports import free_port
from otp_suite.tls import client_tls

READY_LINE = re.compile(r"listening on (http://\S+)")


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket; port 0 picks an unused one."""
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say so, and without it
    # every keep-alive response waits ~40 ms (Nagle + delayed ACK) between its header and body writes.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _uvicorn_config(app: ASGIApp, *, log_level: str = "warning", tls: tuple[str, str] | None = None) -> uvicorn.Config:
    # No access log: it would print every request, and a token could sit in a query string.
    certfile, keyfile = tls or (None, None)
    return uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off", timeout_graceful_shutdown=3, ssl_certfile=certfile, ssl_keyfile=keyfile)


class _CleanExitServer(uvicorn.Server):
    """A uvicorn server whose SIGINT/SIGTERM ends in a normal return (exit status 0).

    uvicorn re-raises the captured signal after its graceful shutdown, so the process would die
    with status 130/143 and callers could not tell a clean stop from a crash.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def serve(app: ASGIApp, host: str = "127.0.0.1", port: int = 0, announce: Callable[[str], None] = print) -> None:
    """Serve ``app`` until SIGINT or SIGTERM; announces ``listening on <url>`` once bound."""
    sock = bind_socket(host, port)
    server = _CleanExitServer(_uvicorn_config(app))
    announce(f"otp-suite reference service listening on {url_of(sock)}")
    server.run(sockets=[sock])


def serve_with_granian(host: str, port: int, announce: Callable[[str], None] = print) -> None:
    """Serve the app built by :func:`otp_suite.service.asgi.app_from_environment` with granian.

    One worker process with one event loop: the lifecycle's atomicity relies on it. Granian stops
    cleanly on SIGINT and SIGTERM.
    """
    from granian import Granian
    from granian.constants import Interfaces

    port = port or free_port(host)
    server = Granian(
        "otp_suite.service.asgi:app_from_environment",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        factory=True,
        workers=1,
        runtime_threads=1,
        websockets=False,
        log_enabled=False,
        backlog=2048,
    )
    announce(f"otp-suite reference service listening on {url_of_address(host, port)}")
    server.serve()


def url_of_address(host: str, port: int) -> str:
    """``http://host:port``, with brackets for IPv6."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def wait_until_ready(url: str, deadline_s: float = 15.0, *, verify_tls: bool = True) -> None:
    """Poll ``url`` until any HTTP answer comes back, or raise TimeoutError at the deadline."""
    poll_until(lambda: httpx.get(url, timeout=1.0, verify=client_tls(verify_tls)), deadline_s=deadline_s, what=f"an answer of the service at {url}", interval_s=0.02, retry_on=(httpx.TransportError,))


class ServiceThread:
    """An app served by uvicorn in a background thread on an unused loopback port.

    ``tls`` (certificate file, key file) serves HTTPS, e.g. behind a self-signed certificate.
    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", *, tls: tuple[str, str] | None = None) -> None:
        self._sock = bind_socket(host, 0)
        self.url = url_of(self._sock).replace("http://", "https://", 1) if tls else url_of(self._sock)
        self._tls = tls
        self._server = uvicorn.Server(_uvicorn_config(app, tls=tls))
        self._server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]  # not the main thread
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def __enter__(self) -> ServiceThread:
        self._thread.start()
        # A test's own certificate is self-signed: readiness only asks whether the server answers.
        wait_until_ready(self.url + READY_PATH, verify_tls=self._tls is None)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()


class ServiceProcess:
    """``otp-suite serve`` as a child process on an unused loopback port."""

    def __init__(self, env: Mapping[str, str], extra_args: tuple[str, ...] = ()) -> None:
        self._env = {**os.environ, **env}
        self._args = extra_args
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServiceProcess:
        command = [sys.executable, "-m", "otp_suite", "serve", "--host", "127.0.0.1", "--port", "0", *self._args]
        # Its own process group, so stopping it also stops the server's worker processes.
        self._process = subprocess.Popen(command, env=self._env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            self._await_ready()
        except BaseException:
            # Failed or interrupted (Ctrl-C) while starting: __exit__ will not run, so stop it here.
            self.__exit__()
            raise
        return self

    def _await_ready(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        line = self._process.stdout.readline()
        match = READY_LINE.search(line)
        if not match:
            self._process.kill()
            error = self._process.stderr.read() if self._process.stderr else ""
            raise RuntimeError(f"the reference service did not start: {(line + error).strip()[-500:]}")
        self.url = match.group(1)
        for stream in (self._process.stdout, self._process.stderr):
            # Drain the pipes so a chatty child never blocks on a full buffer.
            threading.Thread(target=stream.read, daemon=True).start()  # type: ignore[union-attr]
        wait_until_ready(self.url + READY_PATH)

    def __exit__(self, *exc: object) -> None:
        if self._process is None:
            return
        group = self._process.pid
        # A second Ctrl-C must not cut the stop short and leave the server's workers running.
        with signals_held():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            # Whatever is left of the group (a worker whose parent died) goes now.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            self._process.wait()
