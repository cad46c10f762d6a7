"""No secret reaches a contract report: the redactor, the report scrubbing, and a run against a
target that echoes tokens in its answers."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers.contract import KNOWN_SECRET
from otp_suite.contract.outcome import ContractOutcome
from otp_suite.redaction import REDACTED, Redactor
from otp_suite.report.scrub import scrub_tree
from otp_suite.testdata.tokens import mint_token


def test_registered_secret_is_redacted() -> None:
    redact = Redactor(KNOWN_SECRET)

    assert redact(f"secret={KNOWN_SECRET}!") == f"secret={REDACTED}!"


def test_any_jwt_is_redacted_even_if_never_registered() -> None:
    token = mint_token("some-other-secret", "user-1")

    assert token not in Redactor()(f"got {token} back")


def test_signature_alone_is_redacted_once_the_token_is_registered() -> None:
    token = mint_token(KNOWN_SECRET, "user-1")
    signature = token.rsplit(".", 1)[1]

    assert signature not in Redactor(token)(f"sig {signature}")


def test_scrubbing_rewrites_report_files(tmp_path: Path) -> None:
    report = tmp_path / "result.json"
    report.write_text(json.dumps({"message": f"token {mint_token(KNOWN_SECRET, 'u')} secret {KNOWN_SECRET}"}))

    scrub_tree(tmp_path, Redactor(KNOWN_SECRET))

    assert KNOWN_SECRET not in report.read_text() and "eyJ" not in report.read_text()


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


@pytest.mark.slow
def test_reports_of_a_run_against_a_token_echoing_target_hold_no_secret(contract_run: Callable[..., ContractOutcome], contract_reports: Path) -> None:
    console: list[str] = []

    outcome = contract_run(fault="leak_token", pytest_args=["contract_tests/test_security.py"], echo=console.append)

    assert outcome.exit_code == 1
    texts = [path.read_text(errors="replace") for path in contract_reports.rglob("*") if path.is_file()] + ["\n".join(console)]
    for text in texts:
        assert KNOWN_SECRET not in text and _b64(KNOWN_SECRET) not in text
        assert "eyJ" not in text, "a JWT (or its header) reached a report"
