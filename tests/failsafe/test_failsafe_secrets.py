"""A whole gate run leaves no secret and no token anywhere: not under reports/ (the single-file
report's base64 data included), not on the terminal.

The test knows the secret and one token; tokens the suite mints during the run it cannot know, so
anything shaped like a JWT counts as a leak too. The header part of a token is the same for every
HS256 token and reveals nothing, but it is searched for like the other parts: a reader grepping
the reports cannot tell it from a leaked fragment, and the suite never needs to print it.
"""

from __future__ import annotations

import base64

import pytest

from helpers.failsafe import KNOWN_TOKEN, GateOnKnownSecrets, searchable_texts, secret_leaks
from helpers.suite_children import GATE_TEST_TIMEOUT_S

#: The gate runs behind these tests are module fixtures, set up under the first test's timeout.
pytestmark = pytest.mark.timeout(GATE_TEST_TIMEOUT_S)


def _everything_written(gate_run: GateOnKnownSecrets) -> list[tuple[str, str]]:
    return [("terminal", gate_run.output), *searchable_texts(gate_run.reports_dir)]


def test_the_search_finds_a_token_part_hidden_in_the_report_data(tmp_path):
    # Arrange: a report page whose base64 data holds the token's signature alone, as Allure 3 embeds it.
    signature = KNOWN_TOKEN.split(".")[2]
    payload = base64.b64encode(f'{{"message": "signature {signature}"}}'.encode()).decode()
    (tmp_path / "index.html").write_text(f'<script>d("data/x.json","{payload}")</script>', encoding="utf-8")

    leaks = secret_leaks(searchable_texts(tmp_path))

    assert leaks == [f"{tmp_path / 'index.html'} (base64 data): token signature"]


def test_gate_signing_with_a_known_secret_passes_and_leaves_the_secret_nowhere(gate_with_known_secret):
    texts = _everything_written(gate_with_known_secret)

    assert gate_with_known_secret.exit_code == 0, gate_with_known_secret.output[-2000:]
    assert any(where.endswith("index.html (base64 data)") for where, _ in texts)  # the report's data was searched
    assert secret_leaks(texts) == []


def test_gate_with_a_known_token_leaves_the_token_and_its_parts_nowhere(gate_with_known_token):
    texts = _everything_written(gate_with_known_token)

    assert gate_with_known_token.exit_code == 0, gate_with_known_token.output[-2000:]
    assert secret_leaks(texts) == []


def test_gate_fails_a_target_that_echoes_tokens(gate_on_a_target_echoing_tokens):
    run = gate_on_a_target_echoing_tokens

    assert run.exit_code == 1, run.output[-2000:]
    assert "otp-suite gate: FAILED (exit 1)" in run.output
    assert "test_no_response_carries_otp_token_or_secret" in (run.reports_dir / "contract" / "junit.xml").read_text(encoding="utf-8")


def test_tokens_a_target_echoes_are_scrubbed_from_the_reports_and_the_terminal(gate_on_a_target_echoing_tokens):
    run = gate_on_a_target_echoing_tokens
    texts = _everything_written(run)

    # The target did echo tokens (JWTs the suite minted), and the scrub replaced them.
    assert any("(got [REDACTED])" in text for where, text in texts if "allure-results" in where)
    assert secret_leaks(texts) == []
