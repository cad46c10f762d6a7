"""The console of a contract run against a broken target: one line per network error, naming the
request, the target and the cause, with the traceback in a file under the reports folder; no
traceback and no pytest internals on the console.

The target is a real HTTP server on loopback that answers the suite's reachability probe (no
token) but drops every connection whose request carries a token, as a crashing upstream would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from otp_suite.config import PROJECT_ROOT
from otp_suite.report.categories import TARGET_UNREACHABLE, category_of

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

TEST_WITH_A_TOKEN = "contract_tests/test_lifecycle.py::test_registered_otp_verifies"
SECRET = "console-test-secret-0123456789abcdef"


class _DropsTokenRequests(BaseHTTPRequestHandler):
    """401 to a request without a token; a request with one: the connection closes unanswered."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("user-jwt-token"):
            self.close_connection = True
            return
        body = b'{"code": "UN_AUTHORIZED", "message": "token missing"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet: the test reads the suite's console, not the server's."""


@pytest.fixture
def dropping_target() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DropsTokenRequests)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _run_contract_tests(base_url: str, reports: Path, *node_ids: str) -> subprocess.CompletedProcess[str]:
    """``pytest contract_tests/…`` as a user runs it, configured by OTP_* variables only."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(reports.parent), "OTP_BASE_URL": base_url, "OTP_JWT_SECRET": SECRET, "OTP_REPORTS_DIR": str(reports)}
    command = [
        sys.executable,
        "-m",
        "pytest",
        *node_ids,
        "-p",
        "no:cacheprovider",
        f"--rootdir={PROJECT_ROOT}",
        "-c",
        str(PROJECT_ROOT / "contract_tests" / "pytest.ini"),
        f"--alluredir={reports / 'allure-results'}",
        "-q",
        "--tb=short",
        "--color=no",
    ]
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=500)


def test_a_network_error_is_one_line_naming_request_target_cause_and_traceback_file(dropping_target, tmp_path):
    reports = tmp_path / "reports"

    finished = _run_contract_tests(dropping_target, reports, TEST_WITH_A_TOKEN)

    console = finished.stdout + finished.stderr
    lines = [line for line in console.splitlines() if line.startswith(f"{TARGET_UNREACHABLE}: POST {dropping_target}/")]
    assert finished.returncode == 1, console[-3000:]
    assert len(lines) == 1, console[-3000:]
    assert "RemoteProtocolError: Server disconnected" in lines[0]
    traceback = re.search(r"\(traceback: (\S+)\)", lines[0])
    assert traceback, lines[0]
    saved = Path(traceback.group(1))
    assert saved.is_file() and saved.is_relative_to(reports / "logs")
    assert "Traceback (most recent call last)" in saved.read_text(encoding="utf-8")
    assert "Traceback" not in console and "httpcore" not in console and "_pytest" not in console


def test_a_network_error_is_filed_as_target_unreachable_in_the_report(dropping_target, tmp_path):
    reports = tmp_path / "reports"

    _run_contract_tests(dropping_target, reports, TEST_WITH_A_TOKEN)

    results = [json.loads(p.read_text(encoding="utf-8")) for p in (reports / "allure-results").glob("*-result.json")]
    assert [(r["status"], category_of(r["status"], r["statusDetails"]["message"])) for r in results] == [("broken", TARGET_UNREACHABLE)]


def test_a_target_gone_before_the_session_says_cannot_judge_without_pytest_internals(refused_url, tmp_path):
    finished = _run_contract_tests(refused_url, tmp_path / "reports", TEST_WITH_A_TOKEN)

    console = finished.stdout + finished.stderr
    assert finished.returncode == 2, console[-3000:]
    assert f"cannot judge: OTP_BASE_URL {refused_url} refused the connection" in console
    assert "_pytest" not in console and "Exit:" not in console and "Traceback" not in console
