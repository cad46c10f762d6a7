"""A fork server for the contract run's xdist workers: each worker starts with its libraries imported.

Every xdist worker is a new Python that imports pytest, Hypothesis, Schemathesis, Allure, httpx and
PyJWT before it can collect: about 1 CPU-second of the 2 a worker spends before its first test
(README "Contract: side by side"). A far target got 8 workers, so on a small machine their imports
alone held the CPU for seconds while the network sat idle. The runner starts this server beside
the controller; it imports those libraries once and forks each worker from itself, so the workers
share them copy-on-write and begin with their own configuration and collection.

execnet starts a worker as ``<python> -u -c <bootstrap>`` and speaks to it over the worker's stdin and
stdout. The runner names :func:`connector_command` as the workers' python (the ``python=`` key of
an xdist ``--tx`` spec): that small client, started with ``-S``, hands its stdin, stdout and stderr,
environment and working directory to the server, which forks a child that takes them over and runs
the bootstrap. The client stays until that child ends, as execnet expects of its process.

The workers are the server's children, in the server's process group: the runner signals that group
as well as the controller's when it stops a run (:class:`WorkerForkServer`). The server ignores
SIGINT (its children do not) and ends when the runner closes its stdin or dies. When the server is
not there (it failed to start, or the platform cannot fork), the client becomes a plain worker
(``exec`` of the same command without the server), so the run never depends on it.

Only the standard library is imported at the top: the client runs with ``-S`` (no site-packages).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import io
import json
import os
import select
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path

#: What the server imports before it forks: what every contract worker imports before its first
#: test (measured with ``python -X importtime``). The contract tests and their plugins are left to
#: each worker (they read the run's settings when imported).
WORKER_LIBRARIES = (
    "execnet",
    "xdist.remote",
    "xdist.plugin",
    "xdist.looponfail",
    "pytest",
    "_hypothesis_pytestplugin",
    "hypothesis",
    "schemathesis",
    "schemathesis.pytest.plugin",
    "schemathesis.specs.openapi.schemas",
    "yaml",
    "allure_pytest.plugin",
    "pytest_timeout",
    "httpx",
    "jwt",
    "requests",
)
#: The versions whose internals this module leans on, checked by tests/contract/test_worker_forks.py:
#: execnet starts a worker as ``<python> -u -c <bootstrap>`` (``execnet.gateway_io.popen_args``)
#: and speaks to it over the stdin and stdout it was started with; pytest-xdist names that python
#: from the ``python=`` key of a ``--tx`` spec; :data:`WORKER_LIBRARIES` names pytest's, xdist's
#: and the plugins' modules. A new version of any of them: run that test file, then update this.
CHECKED_VERSIONS = {"pytest": "9.2.0", "pytest-xdist": "3.8.0", "execnet": "2.1.2"}
#: How long a client waits for a server still importing before it starts a plain worker instead.
CONNECT_DEADLINE_S = 30.0
_CONNECT_POLL_S = 0.01
#: The line a worker writes to its client as it ends: ``<mark><exit status>``.
_EXIT_MARK = "exit "
#: Beside the socket when the server could not start (the clients then start plain workers).
FAILED_SUFFIX = ".failed"


def fork_server_supported() -> bool:
    """Whether the server runs here: Linux (fork, and file descriptors passed over a Unix socket).

    Not macOS, where a fork without exec after some system libraries are loaded is unsafe (which is
    why multiprocessing spawns there), nor Windows, which cannot fork.
    """
    return sys.platform.startswith("linux") and hasattr(os, "fork") and hasattr(socket, "send_fds")


class WorkerForkServer:
    """The server as a context manager of the runner: started on entry, stopped (with its workers) on exit.

    ``environment`` is the contract child's: the server and its workers see the same settings.
    :attr:`python` goes into the workers' ``--tx`` specs.
    """

    def __init__(self, environment: Mapping[str, str], cwd: Path) -> None:
        self._environment = dict(environment)
        self._cwd = cwd
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        #: Set on exit: why the server could not serve (the workers then started as new Pythons), or None.
        self.failure: str | None = None

    @property
    def python(self) -> str:
        """The stand-in for ``python`` that execnet starts for each worker (an XSpec ``python=`` value)."""
        return connector_command(self._socket_path, self.pid)

    @property
    def pid(self) -> int:
        """The server's process id, which is also its process group's (its workers are in that group)."""
        assert self._process is not None, "the server is not started"
        return self._process.pid

    @property
    def _socket_path(self) -> str:
        assert self._scratch is not None
        return str(Path(self._scratch.name) / "socket")

    def __enter__(self) -> WorkerForkServer:
        # A short path: a Unix socket's path is limited to about a hundred bytes.
        self._scratch = tempfile.TemporaryDirectory(prefix="otp-forks-")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "otp_suite.contract.worker_forks", "serve", self._socket_path],
            cwd=self._cwd,
            env=self._environment,
            stdin=subprocess.PIPE,  # closed by the runner (or the kernel, should it die): the server's signal to end
            stdout=subprocess.DEVNULL,
            stderr=self._log_path.open("wb"),  # not the console: a server that fails costs speed, never the run
            start_new_session=True,  # its own group, which its forked workers share
        )
        return self

    def _failure(self) -> str | None:
        """Why the server could not serve (its error's last line), or None."""
        if self._scratch is None or not Path(self._socket_path + FAILED_SUFFIX).exists():
            return None
        lines = self._log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return lines[-1] if lines else "it ended without saying why"

    @property
    def _log_path(self) -> Path:
        assert self._scratch is not None
        return Path(self._scratch.name) / "server.log"

    def signal_workers(self, signum: int) -> None:
        """Send ``signum`` to the server's process group: the workers it forked (the server ignores SIGINT)."""
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signum)

    def __exit__(self, *exc_info: object) -> None:
        process = self._process
        if process is not None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            # Anything still in the group (a worker that outlived its run) goes with it.
            self.signal_workers(signal.SIGKILL)
            process.wait()
        self.failure = self._failure()
        if self._scratch is not None:
            self._scratch.cleanup()


def connector_command(socket_path: str, server_pid: int) -> str:
    """The command line of a client of the server at ``socket_path`` (shell words, as execnet splits them)."""
    # -S: no site-packages (a tenth of a second less per worker); -P: this file's folder stays off sys.path.
    return shlex.join([sys.executable, "-S", "-P", str(Path(__file__).resolve()), "connect", socket_path, str(server_pid)])


def serve(socket_path: str) -> None:
    """Import :data:`WORKER_LIBRARIES`, then fork a worker for each client until stdin closes."""
    try:
        _serve(socket_path)
    except BaseException:
        # The clients waiting for this server start plain workers at once instead of at their deadline.
        Path(socket_path + FAILED_SUFFIX).touch()
        raise


def _serve(socket_path: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner stops the workers; the server ends when told
    for name in WORKER_LIBRARIES:
        __import__(name)
    if threading.active_count() > 1:
        # A fork copies one thread only: a library that started another could leave a lock held.
        raise SystemExit(f"a library started a thread on import ({threading.enumerate()}); workers start without the fork server")
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the workers
    # What the imports made is never garbage: out of the collector's sight, a worker's collections
    # neither walk it nor write to its pages (which would copy them, page by page, into the worker).
    gc.freeze()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in readable:
            return  # the runner closed its end (or died): no more workers will be asked for
        connection, _ = listener.accept()
        with connection:
            message, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
            while not message.endswith(b"\n"):  # a long environment may arrive in pieces
                piece = connection.recv(1 << 16)
                if not piece:
                    break
                message += piece
            try:
                if len(fds) == 3 and message.endswith(b"\n") and os.fork() == 0:
                    listener.close()
                    _become_worker(connection, json.loads(message), fds)
            finally:
                for fd in fds:
                    os.close(fd)


def _become_worker(connection: socket.socket, request: dict[str, object], fds: list[int]) -> None:
    """In the forked child: take over the client's streams, environment and folder, run execnet's bootstrap; never returns."""
    status = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a worker stops on SIGINT like any pytest
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.chdir(str(request["cwd"]))
        environment = request["env"]
        assert isinstance(environment, dict)
        os.environ.clear()
        os.environ.update(environment)
        # What ``python -u -c`` would have: fresh unbuffered streams on the handed-over descriptors,
        # and the working folder first on sys.path.
        sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)))
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
        sys.argv = ["-c"]
        sys.path[0] = ""
        connection.sendall(f"{os.getpid()}\n".encode())
        try:
            exec(str(request["code"]), {"__name__": "__main__"})  # execnet's own bootstrap line
            status = 0
        except SystemExit as stopped:
            status = stopped.code if isinstance(stopped.code, int) else (0 if stopped.code is None else 1)
        atexit._run_exitfuncs()  # noqa: SLF001 - what a Python does at exit; os._exit below skips it
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
    finally:
        with contextlib.suppress(OSError):
            connection.sendall(f"{_EXIT_MARK}{status}\n".encode())
        os._exit(status)


def connect(socket_path: str, server_pid: int, python_arguments: list[str]) -> int:
    """The client: have the server fork a worker on this process's streams; wait for it; its exit status.

    ``python_arguments`` are what execnet passed to ``python`` (``-u -c <bootstrap>``). Without a
    server to answer, this process becomes a plain worker: ``python <python_arguments>``.
    """
    # The runner stops the workers by signalling the server's group; a Ctrl-C of this process's
    # group must not end the client (with a traceback) before its worker has written its results.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    code = python_arguments[python_arguments.index("-c") + 1]
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    give_up = time.monotonic() + CONNECT_DEADLINE_S
    while True:
        try:
            client.connect(socket_path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            if not _alive(server_pid) or Path(socket_path + FAILED_SUFFIX).exists() or time.monotonic() > give_up:
                signal.signal(signal.SIGINT, signal.SIG_DFL)  # an ignored SIGINT would outlive the exec
                os.execv(sys.executable, [sys.executable, *python_arguments])
            time.sleep(_CONNECT_POLL_S)  # the server is still importing: polled, with a deadline
    request = {"env": dict(os.environ), "cwd": os.getcwd(), "code": code}
    socket.send_fds(client, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
    status = 1
    for line in client.makefile("r", encoding="utf-8"):
        if line.startswith(_EXIT_MARK):
            status = int(line[len(_EXIT_MARK) :])
    return status


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, which its parent has not reaped yet, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        # /proc/<pid>/stat: "pid (name) state ..."; the name may hold spaces, so split after its ')'.
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        sys.exit(connect(sys.argv[2], int(sys.argv[3]), sys.argv[4:]))
