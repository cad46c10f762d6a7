"""A warm pytest for contract runs: the fork server that ``bench_warm_pytest.py`` measures.

The suite's own tests once forked each of their contract runs (the fault matrix starts over a
hundred) from this server; measured against the stock ``python -m pytest`` child it saved 11 to
18 % of their wall time, under the 20 % a piece of speed machinery must save to stay, so the tests
start the stock child and this file lives on only as the benchmark's other side.

``serve`` imports pytest, Hypothesis, Schemathesis and Allure once and, for each run a client asks
for, forks a fresh child that calls ``pytest.main`` with the client's arguments, environment and
working directory. The child is a new process (its own Hypothesis state, target fixtures and
results); only the already imported libraries are shared, copy-on-write. The contract test
modules and their plugins are never imported by the server, so pytest rewrites their asserts in
each child as usual.

``run`` is the client, a stand-in for ``python -m pytest`` that
:func:`otp_suite.contract.runner.run_contract` starts (its ``pytest_command``): it streams the
child's output and exits with its status, and passes SIGINT and SIGTERM on to it, so the runner's
streaming, interruption and verdict paths are the real ones.

Usage: ``python -P warm_pytest.py serve SOCKET`` and ``python -S -P warm_pytest.py run SOCKET ARGS...``
(``-P``: this folder stays off the children's sys.path).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

#: Sent by the child before its output ends: ``<mark>PID <pid>`` first, ``<mark>EXIT <status>`` last.
_MARK = "\x00warm-pytest "
#: The client's exit status when the child vanished without saying how it ended.
_LOST = 3


def serve(socket_path: str) -> None:
    """Import the heavy libraries, then fork one pytest child per client connection, forever."""
    import allure_commons  # noqa: F401
    import allure_pytest.plugin  # noqa: F401
    import httpx  # noqa: F401
    import hypothesis  # noqa: F401
    import jwt  # noqa: F401
    import pytest  # noqa: F401
    import schemathesis
    import schemathesis.pytest  # noqa: F401
    import xdist.plugin  # noqa: F401

    import otp_suite.contract.openapi_schema  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(16)
    print("ready", flush=True)
    while True:
        connection, _ = listener.accept()
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _child(connection)
        connection.close()


def _child(connection: socket.socket) -> None:
    """Run one pytest session with the client's request; its output goes back over ``connection``."""
    os.setsid()
    request = json.loads(connection.makefile("r", encoding="utf-8").readline())
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for fd in (1, 2):
        os.dup2(connection.fileno(), fd)
    out = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.stdout = sys.stderr = out
    out.write(f"{_MARK}PID {os.getpid()}\n")
    status = _LOST
    try:
        import pytest

        status = int(pytest.main(request["args"]))
    finally:
        out.write(f"{_MARK}EXIT {status}\n")
        out.flush()
        os._exit(status)


def run(socket_path: str, args: list[str]) -> int:
    """Ask the server for a pytest run of ``args`` here, with this environment; relay it; its status."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(socket_path)
    # The server imported the plugins before pytest could mark them for assert rewriting: it says so.
    args = ["-W", "ignore::pytest.PytestAssertRewriteWarning", *args]
    client.sendall((json.dumps({"args": args, "env": dict(os.environ), "cwd": os.getcwd()}) + "\n").encode())
    child_pid = 0

    def pass_on(signum: int, _frame: object) -> None:
        if child_pid:
            try:
                os.killpg(child_pid, signum)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGINT, pass_on)
    signal.signal(signal.SIGTERM, pass_on)
    for line in client.makefile("r", encoding="utf-8", errors="replace"):
        output, _, message = line.partition(_MARK)
        sys.stdout.write(output)
        sys.stdout.flush()
        if message.startswith("PID "):
            child_pid = int(message.split()[-1])
        elif message.startswith("EXIT "):
            return int(message.split()[-1])
    return _LOST


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        sys.exit(run(sys.argv[2], sys.argv[3:]))
