"""The apps the benchmarks serve, and how each server stack is started as a child process.

Both apps are built from the same configuration (``OTP_*`` variables, read once by ``load_config``),
so uvicorn and granian serve identical objects. Run as a script, this module serves one app on
uvicorn through the reference service's own ``serve()``: ``python served_apps.py reference|bare``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from otp_suite.config import load_config
from otp_suite.polling import poll_until
from otp_suite.ports import free_port
from otp_suite.service import ServiceSettings, create_app
from otp_suite.service.server import READY_LINE, serve

HERE = Path(__file__).resolve().parent
REGISTER_PATH = "/fe/users/auth/otp/register"
#: The reference service's register answer, as a constant.
BARE_BODY = {"authCode": "2735", "isNewUser": True}
STACKS = ("uvicorn", "granian")


def reference_app() -> ASGIApp:
    """The reference service, configured from the ``OTP_*`` variables (factory for granian)."""
    config = load_config()
    assert config.jwt_secret, "OTP_JWT_SECRET must be set for the reference app"
    return create_app(ServiceSettings(jwt_secret=config.jwt_secret, policy=config.policy))


def bare_app() -> ASGIApp:
    """A bare Starlette endpoint answering register's JSON without doing any work."""

    async def register(request: Request) -> JSONResponse:
        await request.body()  # read it, as the reference service does
        return JSONResponse(BARE_BODY)

    return Starlette(routes=[Route(REGISTER_PATH, register, methods=["POST"])])


APPS = {"reference": reference_app, "bare": bare_app}


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], deadline_s: float = 30.0) -> None:
    def answered() -> httpx.Response:
        if process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {process.returncode}")
        return httpx.get(url + "/__ready__", timeout=1.0)

    poll_until(answered, deadline_s=deadline_s, what=f"an answer from {url}", retry_on=(httpx.TransportError,))


@contextlib.contextmanager
def served(app_name: str, stack: str, env: Mapping[str, str]) -> Iterator[str]:
    """Serve ``app_name`` (``reference`` or ``bare``) on ``stack`` in a child process; yield its URL."""
    child_env = {**os.environ, **env, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    if stack == "uvicorn":
        command = [sys.executable, str(HERE / "served_apps.py"), app_name]
        process = subprocess.Popen(command, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert process.stdout is not None
        match = READY_LINE.search(process.stdout.readline().decode())
        if not match:
            process.kill()
            raise RuntimeError(f"uvicorn serving {app_name} did not print its URL")
        url = match.group(1)
    elif stack == "granian":
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        granian = Path(sys.executable).with_name("granian")
        command = [str(granian), "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-ws", "--log-level", "warning", "--factory", f"served_apps:{app_name}_app"]
        process = subprocess.Popen(command, env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        raise ValueError(f"unknown server stack {stack!r}; use one of {', '.join(STACKS)}")
    try:
        _wait_until_answering(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    serve(APPS[sys.argv[1]](), "127.0.0.1", 0, announce=lambda line: print(line, flush=True))
