"""Nothing under reports/ holds the run's secret or a token: not in a file, not in the report's encoded data."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from helpers.report import SAMPLE_SECRET, SAMPLE_TOKEN, readable_texts, secret_needles
from otp_suite.redaction import REDACTED, Redactor
from otp_suite.report.scrub import find_secrets, scrub_tree


def _leaks(root: Path) -> list[tuple[str, str]]:
    return sorted({(path.name, name) for path, text in readable_texts(root) for name, needle in secret_needles().items() if needle in text})


def test_sample_results_do_leak_the_secret_and_token_before_the_scrub(sample_results):
    leaks = _leaks(sample_results)

    assert {name for _, name in leaks} == set(secret_needles())


def test_no_secret_or_token_anywhere_under_the_reports_folder(built_report):
    assert _leaks(built_report.reports_dir) == []


def test_scrub_leaves_a_marker_where_the_token_was(built_report):
    texts = "\n".join(text for _, text in readable_texts(built_report.results_dir))

    assert REDACTED in texts
    assert "expired token [REDACTED] was accepted" in texts


def test_report_data_encoded_in_the_html_is_scrubbed_too(tmp_path):
    # Arrange: a report page whose data payload (base64, as Allure 3 writes it) holds the token.
    payload = base64.b64encode(f'{{"message": "token {SAMPLE_TOKEN}"}}'.encode()).decode()
    page = tmp_path / "index.html"
    page.write_text(f'<script defer>Promise.allSettled([d("data/test-results/x.json","{payload}")])</script>', encoding="utf-8")
    redactor = Redactor(SAMPLE_TOKEN)
    assert find_secrets(tmp_path, redactor)

    scrub_tree(tmp_path, redactor)

    assert find_secrets(tmp_path, redactor) == []
    assert _leaks(tmp_path) == []


def test_jwt_shaped_strings_and_token_headers_are_redacted_even_when_unknown():
    redactor = Redactor()
    unknown = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"

    text = redactor.redact(f"sent {unknown}; headers: {{'user-jwt-token': 'opaque-value-123'}}")

    assert unknown not in text and "opaque-value-123" not in text


def test_each_part_of_a_known_token_is_redacted_on_its_own():
    signature = SAMPLE_TOKEN.split(".")[2]

    assert signature not in Redactor(SAMPLE_TOKEN).redact(f"signature was {signature}")


def test_the_secret_is_redacted_from_attachments_and_captured_stdout(sample_results, tmp_path):
    results = tmp_path / "allure-results"
    shutil.copytree(sample_results, results)

    scrub_tree(results, Redactor(SAMPLE_SECRET, SAMPLE_TOKEN))

    assert _leaks(results) == []


def test_scrubbed_allure_results_stay_valid_json(tmp_path):
    # Arrange: a result whose message holds a curl line, as the contract suite writes them.
    curl = f'curl -H "user-jwt-token: {SAMPLE_TOKEN}" -H "user-jwt-token: $OTP_JWT_TOKEN" http://127.0.0.1:8000/'
    result = tmp_path / "x-result.json"
    result.write_text(json.dumps({"name": "t", "statusDetails": {"message": curl}}), encoding="utf-8")

    scrub_tree(tmp_path, Redactor(SAMPLE_TOKEN))

    message = json.loads(result.read_text(encoding="utf-8"))["statusDetails"]["message"]
    assert SAMPLE_TOKEN not in message
    # The shell variable a reproduction carries is no token: it stays, so the line runs as pasted.
    assert message == 'curl -H "user-jwt-token: [REDACTED]" -H "user-jwt-token: $OTP_JWT_TOKEN" http://127.0.0.1:8000/'


@pytest.mark.parametrize("line", [
    "curl -X POST -H 'user-jwt-token: [Filtered]' http://127.0.0.1:8000/",  # Schemathesis' own mark
    "curl -X POST -H 'user-jwt-token: [REDACTED]' http://127.0.0.1:8000/",
    'curl -H "user-jwt-token: $(otp-suite token --user-id suite-1)" http://127.0.0.1:8000/',
    'curl -H "user-jwt-token: $OTP_JWT_TOKEN" http://127.0.0.1:8000/',
])  # fmt: skip
def test_a_placeholder_in_a_token_header_is_left_as_it_is_no_doubled_bracket(line):
    assert Redactor().redact(line) == line


def test_a_token_header_value_that_only_starts_like_a_placeholder_is_still_redacted():
    assert Redactor().redact("user-jwt-token: $notavariable.but-a-token") == "user-jwt-token: [REDACTED]"
    assert Redactor().redact("user-jwt-token: opaque-token-value") == "user-jwt-token: [REDACTED]"
