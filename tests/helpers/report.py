"""The report's tests: real Allure results from a small pytest run, the report built from them
with the pinned Allure 3, and the viewers people use (Allure 2, Allure 3, JUnit). Their fixtures
are in report/conftest.py; headless Chromium to look at the report is plugins/chromium.py.

The sample run is a real ``pytest --alluredir`` over a handful of checks, one per outcome the
gate can produce (contract violation, security failure, SLO breach, unreachable target, pass,
skip). One of them leaks a known token and secret into its message, an attachment and stdout,
so the scrub has something real to remove.
"""

from __future__ import annotations

import base64
import binascii
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otp_suite.config import PROJECT_ROOT, SuiteConfig
from otp_suite.policy import FAST_TEST_POLICY
from otp_suite.report.build import ReportOutcome, build_report
from otp_suite.testdata.tokens import mint_token

SAMPLE_SECRET = "sample-signing-secret-for-report-tests-0123456789"
SAMPLE_TOKEN = mint_token(SAMPLE_SECRET, "user-report-tests")

#: Status of each sample check, by the name pytest gives it, and its area label.
SAMPLE_CHECKS = {
    "test_register_answers_with_a_challenge": ("passed", "contract"),
    "test_resend_answers_with_a_challenge": ("passed", "contract"),
    "test_verify_accepts_the_right_code": ("passed", "contract"),
    "test_verify_rejects_a_wrong_code": ("failed", "contract"),
    "test_needs_a_fixed_code": ("skipped", "contract"),
    "test_expired_token_is_refused": ("failed", "security"),
    "test_error_ratio_within_slo": ("passed", "slo"),
    "test_p95_verify_latency_within_slo": ("failed", "slo"),
    "test_target_reachable": ("broken", "preflight"),
}

_SAMPLE_TESTS = """
import os

import allure
import pytest

TOKEN = os.environ["SAMPLE_TOKEN"]
SECRET = os.environ["SAMPLE_SECRET"]


def area(name):
    return allure.label("area", name)


@area("contract")
def test_register_answers_with_a_challenge():
    pass


@area("contract")
def test_resend_answers_with_a_challenge():
    pass


@area("contract")
def test_verify_accepts_the_right_code():
    pass


@area("contract")
def test_verify_rejects_a_wrong_code():
    assert 200 == 400, "verify answered 200 for a wrong OTP; the contract requires 400"


@area("contract")
def test_needs_a_fixed_code():
    pytest.skip("needs OTP_FIXED_CODE")


@area("security")
def test_expired_token_is_refused():
    print(f"signing with {SECRET}")
    allure.attach(f"POST /fe/users/auth/otp/register\\nuser-jwt-token: {TOKEN}\\n", name="request", attachment_type=allure.attachment_type.TEXT)
    assert False, f"security: an expired token {TOKEN} was accepted (200)"


@area("slo")
def test_error_ratio_within_slo():
    pass


@area("slo")
def test_p95_verify_latency_within_slo():
    assert 812 <= 500, "SLO breached: p95 latency of verify 812 ms > 500 ms"


@area("preflight")
def test_target_reachable():
    raise ConnectionError("cannot judge: OTP_BASE_URL http://127.0.0.1:9 refused the connection; is the service running?")
"""


@dataclass(frozen=True)
class BuiltReport:
    """A report built from the sample results, and where its parts are."""

    reports_dir: Path
    results_dir: Path
    outcome: ReportOutcome

    @property
    def html_path(self) -> Path:
        return self.outcome.html_path


def run_sample_checks(results_dir: Path) -> None:
    """Run the sample checks with allure-pytest, writing real Allure results to ``results_dir``."""
    work = results_dir.parent / "sample-checks"
    work.mkdir(parents=True, exist_ok=True)
    (work / "test_sample_checks.py").write_text(textwrap.dedent(_SAMPLE_TESTS), encoding="utf-8")
    (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "SAMPLE_TOKEN": SAMPLE_TOKEN, "SAMPLE_SECRET": SAMPLE_SECRET}
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(work / "pytest.ini"), "--rootdir", str(work), f"--alluredir={results_dir}", str(work)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # pytest exits 1 because some sample checks fail on purpose; 2+ means the run itself broke.
    assert finished.returncode == 1, finished.stdout[-2000:] + finished.stderr[-2000:]


def sample_config() -> SuiteConfig:
    """The configuration the sample report describes: a loopback target signed with the sample secret."""
    return SuiteConfig(base_url="http://127.0.0.1:9", jwt_secret=SAMPLE_SECRET, policy=FAST_TEST_POLICY)


def build_sample_report(reports_dir: Path, pristine_results: Path, *, history_dir: Path | None = None) -> BuiltReport:
    """Copy the sample results into ``reports_dir`` and build the report there."""
    results = reports_dir / "allure-results"
    if results.exists():
        shutil.rmtree(results)
    shutil.copytree(pristine_results, results)
    outcome = build_report(results, reports_dir / "allure-report", config=sample_config(), history_dir=history_dir or reports_dir / "history", secrets=[SAMPLE_TOKEN])
    return BuiltReport(reports_dir=reports_dir, results_dir=results, outcome=outcome)


_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")


def readable_texts(root: Path) -> Iterator[tuple[Path, str]]:
    """Every file's text under ``root`` and, for HTML, every base64 run in it decoded.

    Written apart from the scrub's own finder so the secret search does not trust the code it checks.
    """
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        text = raw.decode("utf-8", errors="replace")
        yield path, text
        if path.suffix == ".html":
            for run in _BASE64_RUN.findall(text):
                try:
                    yield path, base64.b64decode(run + "=" * (-len(run) % 4)).decode("utf-8", errors="replace")
                except (binascii.Error, ValueError):
                    continue


def secret_needles() -> dict[str, str]:
    """What must not appear anywhere: the secret, the token, and each part of the token."""
    header, payload, signature = SAMPLE_TOKEN.split(".")
    return {"secret": SAMPLE_SECRET, "token": SAMPLE_TOKEN, "token header": header, "token payload": payload, "token signature": signature}


# --- the viewers people use: Allure 2 (allure-commandline), Allure 3, JUnit ------------------

#: allure-commandline (npm, pinned in package.json): Allure 2 on the installed Java. Its bin is
#: also called ``allure``, so it is run by path, beside Allure 3's node_modules/.bin/allure.
ALLURE2 = PROJECT_ROOT / "node_modules" / "allure-commandline" / "bin" / "allure"


def allure2_report(results_dir: Path, report_dir: Path) -> Path:
    """Generate an Allure 2 report (data, no browser needed) from ``results_dir``; return its folder."""
    assert ALLURE2.is_file(), f"Allure 2 is not installed at {ALLURE2}; run `npm ci` (package.json pins allure-commandline)"
    finished = subprocess.run([str(ALLURE2), "generate", str(results_dir), "-o", str(report_dir), "--clean"], capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    return report_dir


def allure2_totals(report_dir: Path) -> dict[str, int]:
    """The totals Allure 2 shows on its overview page (``widgets/summary.json``)."""
    import json

    totals: dict[str, int] = json.loads((report_dir / "widgets" / "summary.json").read_text(encoding="utf-8"))["statistic"]
    return totals


def allure2_categories(report_dir: Path) -> dict[str, list[str]]:
    """Allure 2's categories tab: category name -> names of the tests filed under it."""
    import json

    def leaves(node: dict[str, Any]) -> list[str]:
        children = node.get("children")
        return [node["name"]] if children is None else [name for child in children for name in leaves(child)]

    tree = json.loads((report_dir / "data" / "categories.json").read_text(encoding="utf-8"))
    return {category["name"]: sorted(leaves(category)) for category in tree.get("children", [])}


def junit_cases(junit_path: Path) -> list[tuple[str, str, str]]:
    """(classname, name, outcome) of every test case in a JUnit file; outcome passed/failed/error/skipped."""
    import xml.etree.ElementTree as ElementTree

    cases = []
    for case in ElementTree.parse(junit_path).getroot().iter("testcase"):
        outcome = next((tag for tag in ("failure", "error", "skipped") if case.find(tag) is not None), "passed")
        cases.append((case.get("classname", ""), case.get("name", ""), "failed" if outcome == "failure" else outcome))
    return cases


@dataclass(frozen=True)
class Allure3Shown:
    """What an Allure 3 single-file report shows: its totals and its categories tab."""

    statistic: dict[str, int]
    categories: dict[str, list[str]]


def allure3_shown(html_path: Path) -> Allure3Shown:
    """Read the data the single-file report embeds for its widgets (``d("widgets/…", "<base64>")``).

    The page draws its totals and its categories tree from exactly these files; reading them needs no browser.
    """
    import json

    html = html_path.read_text(encoding="utf-8")

    def widget(name: str) -> dict[str, Any]:
        match = re.search(r'd\("widgets/' + re.escape(name) + r'","([A-Za-z0-9+/=]+)"\)', html)
        assert match, f"{html_path} embeds no widgets/{name}"
        data: dict[str, Any] = json.loads(base64.b64decode(match.group(1)))
        return data

    tree = widget("categories.json")
    nodes = tree["nodes"]

    def leaves(node_id: str) -> list[str]:
        node = nodes[node_id]
        return [node["name"]] if node.get("type") == "tr" else [name for child in node.get("childrenIds", []) for name in leaves(child)]

    categories = {nodes[root]["name"]: sorted(leaves(root)) for root in tree["roots"]}
    return Allure3Shown(statistic=widget("statistic.json"), categories=categories)


def allure3_data_report(results_dir: Path, out_dir: Path) -> Allure3Shown:
    """Build the gate's single-file Allure 3 report of ``results_dir`` in ``out_dir`` and read what it shows."""
    outcome = build_report(results_dir, out_dir / "allure-report", config=sample_config(), history_dir=out_dir / "history")
    return allure3_shown(outcome.html_path)
