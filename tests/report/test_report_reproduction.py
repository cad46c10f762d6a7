"""A failed check's reproduction runs as pasted (issue 24): its curl lines carry
``$(otp-suite token --user-id <id>)`` where the token was, never the token, and end with the seed.

A real contract run against the reference service breaking two rules (``register_extra_key``: a
Schemathesis check fails; ``no_retry_after``: a scenario check fails); each failure's curl line is
then run by bash, with only the target's secret in the environment, and must get the target's
answer to the suite's own user (not a 401), the very answer the check failed on.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.suite_children import SERIAL_CONTRACT
from otp_suite.config import load_config
from otp_suite.contract.runner import run_contract
from otp_suite.polling import poll_until
from otp_suite.redaction import JWT_SHAPE
from otp_suite.report.paths import ReportPaths
from otp_suite.target import resolved_target

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SECRET = "reproduction-test-secret-0123456789abcdef"
SEED = 4242
SCHEMA_CHECK = "contract_tests/test_schema.py::test_operation_conforms_to_openapi"
SCENARIO_CHECK = "contract_tests/test_limits.py::test_second_send_within_cooldown_refused_with_retry_after"


@dataclass(frozen=True)
class FailedRun:
    """The attachments of a contract run with two failed checks, and how to reach its target."""

    attachments: list[str]
    base_url: str
    exit_code: int


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    paths = ReportPaths(tmp_path_factory.mktemp("reproduction") / "reports")
    config = load_config({**SERIAL_CONTRACT, "OTP_MAX_EXAMPLES": "3", "OTP_SEED": str(SEED)}, jwt_secret=SECRET, reports_dir=paths.root)
    with resolved_target(config, fault="register_extra_key,no_retry_after") as target:
        outcome = run_contract(target, allure_dir=paths.allure_results, junit_path=paths.contract_junit, echo=lambda line: None, pytest_args=[SCHEMA_CHECK, SCENARIO_CHECK])
        texts = [path.read_text(encoding="utf-8") for path in paths.allure_results.glob("*-attachment.txt")]
        yield FailedRun([text for text in texts if "curl " in text], target.base_url or "", outcome.exit_code)


def _run_as_pasted(curl_line: str) -> str:
    """What bash prints for ``curl_line``, with ``otp-suite`` on the PATH and the target's secret set, nothing else."""
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}", "OTP_JWT_SECRET": SECRET, "HOME": os.environ.get("HOME", "/tmp")}
    finished = subprocess.run(["bash", "-c", curl_line.strip()], env=env, capture_output=True, text=True, timeout=60)
    return finished.stdout + finished.stderr


def _curl_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("curl ")]


def test_each_failure_carries_curl_lines_with_the_token_as_an_otp_suite_token_command_and_the_seed(failed_run):
    assert failed_run.exit_code == 1
    assert failed_run.attachments, "no curl attached to the failed checks"
    for text in failed_run.attachments:
        for line in _curl_lines(text):
            assert re.search(r'-H "user-jwt-token: \$\(otp-suite token --user-id [\w.-]+\)"', line), line
        assert f"Seed of the generated cases: {SEED}" in text
        assert not JWT_SHAPE.search(text) and "[REDACTED]" not in text and "[Filtered]" not in text


def test_the_schemathesis_reproduction_gets_the_answer_the_check_failed_on(failed_run):
    # Hypothesis replays a failing example, and each replay attaches its text: any one will do.
    text = next(text for text in failed_run.attachments if "Schemathesis" in text)
    [line] = [line for line in _curl_lines(text) if "/register" in line]

    # The check's own send started a cooldown (1 s at the test policy): replayed within it, the
    # target answers 429; the reproduction is run again until the cooldown is over.
    answer = poll_until(lambda: (lambda text: text if "TOO_MANY_REQUESTS" not in text else None)(_run_as_pasted(line)), deadline_s=15, what="an answer past the cooldown", interval_s=0.3)

    assert '"authCode"' in answer and '"debug"' in answer, answer  # register_extra_key: the key the schema refuses


def test_the_scenario_reproduction_is_answered_as_the_checks_own_user(failed_run):
    lines = [line for text in failed_run.attachments if "Schemathesis" not in text for line in _curl_lines(text)]

    answers = [_run_as_pasted(line) for line in lines]

    # The check sent twice to one number within the cooldown. Replayed now, each send is the
    # suite's user's again (never 401): 429 without Retry-After (no_retry_after) while that
    # number's cooldown lasts, 200 once it is over (1 s at the test policy; the machine decides).
    statuses = [answer.split("\n", 1)[0].strip() for answer in answers]
    assert statuses and all(status in ("HTTP/1.1 200 OK", "HTTP/1.1 429 Too Many Requests") for status in statuses), answers
    assert all("retry-after" not in answer.lower() for answer in answers if "429" in answer.split("\n", 1)[0]), answers
