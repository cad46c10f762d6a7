"""Contract runs on a long-lived target's test numbers: run after run in a small range the verdict
is 0 or 2 (cannot judge, with the time to wait), never 1; with two ranges the countryCode rules
are judged, with one they are listed as not judged with the reason; no OTP leaves the ranges."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers.contract import KNOWN_SECRET
from helpers.suite_children import TWO_WORKER_CONTRACT
from otp_suite.config import SuiteConfig, load_config
from otp_suite.contract.outcome import ContractOutcome
from otp_suite.contract.runner import run_contract
from otp_suite.policy import OtpPolicy
from otp_suite.service import ServiceSettings, create_app
from otp_suite.service.server import ServiceThread

#: Fast, but a send counts for ten minutes: numbers an earlier run sent to stay limited, as on a stage.
LONG_WINDOW_POLICY = OtpPolicy(ttl_s=3.0, max_verify_attempts=3, resend_cooldown_s=1.0, max_sends_per_window=3, send_window_s=600.0)
#: A thousand numbers: +999 55501234567000 .. 55501234567999.
THOUSAND_NUMBERS = "+999:55501234567"
COUNTRY_CODE_TESTS = ["contract_tests/test_security_identity.py::test_otp_is_bound_to_its_country_code", "contract_tests/test_limits.py::test_sending_limits_count_per_country_code"]


@dataclasses.dataclass
class LongLivedTarget:
    """One reference service that outlives the runs made against it, and what it sent to."""

    url: str
    sent_to: Callable[[], list[tuple[str, str]]]
    linked: Callable[[], set[tuple[str, str]]]


@pytest.fixture
def long_lived_target() -> Iterator[LongLivedTarget]:
    app = create_app(ServiceSettings(jwt_secret=KNOWN_SECRET, policy=LONG_WINDOW_POLICY))
    with ServiceThread(app) as service:
        store = app.state.store
        # The service's own records: every number it sent to, every number a verify linked.
        yield LongLivedTarget(service.url, lambda: list(store.inbox), lambda: set(store.state.linked))


@pytest.fixture
def run_against(long_lived_target: LongLivedTarget, contract_reports: Path) -> Callable[..., ContractOutcome]:
    """``run_against(variables, pytest_args=())``: a contract run against the long-lived target; every run keeps its ledger in the same history."""

    def run(variables: dict[str, str], pytest_args: list[str] | None = None) -> ContractOutcome:
        config = load_config({**TWO_WORKER_CONTRACT, "OTP_REPORTS_DIR": str(contract_reports), **variables}, jwt_secret=KNOWN_SECRET)
        config = dataclasses.replace(config, base_url=long_lived_target.url, policy=LONG_WINDOW_POLICY)
        with contextlib.redirect_stdout(None):
            return run_contract(
                config,
                allure_dir=contract_reports / "allure-results",
                junit_path=contract_reports / "contract" / "junit.xml",
                echo=lambda line: None,
                pytest_args=pytest_args or [],
            )

    return run


def _in_ranges(config: SuiteConfig, sent_to: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [number for number in sent_to if not any(r.contains(*number) for r in config.number_ranges)]


def _ledger(reports: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(numbers blocked, numbers verified) in the ledger the runs kept in ``reports``' history."""
    until: dict[tuple[str, str], float] = {}
    verified: set[tuple[str, str]] = set()
    for line in (reports / "history" / "test-numbers.jsonl").read_text(encoding="utf-8").splitlines()[1:]:
        entry = json.loads(line)
        country_code, phone_number = entry["number"].split(" ")
        if entry.get("verified"):
            verified.add((country_code, phone_number))
        else:
            until[(country_code, phone_number)] = entry["until"]  # the last line of a number wins
    return {number for number, blocked_until in until.items() if blocked_until > time.time()}, verified


@pytest.mark.slow
def test_repeated_runs_in_a_thousand_numbers_hold_or_cannot_judge_never_fail(run_against: Callable[..., ContractOutcome], long_lived_target: LongLivedTarget, contract_reports: Path) -> None:
    variables = {"OTP_TEST_RANGES": THOUSAND_NUMBERS, "OTP_CONTRACT_DEPTH": "quick"}

    outcomes = [run_against(variables) for _ in range(3)]
    blocked, verified = _ledger(contract_reports)

    codes = [outcome.exit_code for outcome in outcomes]
    assert codes[0] == 0, f"the first run in a fresh range must hold: {outcomes[0].failures} {outcomes[0].reason}"
    assert set(codes) <= {0, 2}, f"exit codes {codes}: a range used up by earlier runs is 'cannot judge', never 'broken' ({[o.failures for o in outcomes]})"
    assert codes[1:] == [2, 2], f"exit codes {codes}: a second quick run cannot find the numbers it needs (NUMBERS_A_RUN_NEEDS) free of the first run's sends in 1000"
    assert "free of the send limits that earlier runs left" in str(outcomes[1].reason) and " s: run again then" in str(outcomes[1].reason), outcomes[1].reason
    assert _in_ranges(load_config({"OTP_TEST_RANGES": THOUSAND_NUMBERS}), long_lived_target.sent_to()) == []
    assert set(long_lived_target.sent_to()) <= blocked, "every number the service sent to is blocked in the ledger for the send window"
    assert long_lived_target.linked() and long_lived_target.linked() <= verified, "every number a verify linked is in the ledger as verified (never again 'new')"


@pytest.mark.slow
def test_a_range_used_up_during_a_run_is_cannot_judge(run_against: Callable[..., ContractOutcome]) -> None:
    # A hundred numbers: each randomness sample wants 200. A narrowed run is not checked beforehand;
    # two tests, so two xdist workers, each stopped by the range.
    variables = {"OTP_TEST_RANGES": "+999:555012345678"}
    samples = ["contract_tests/test_lifecycle_randomness.py::test_auth_codes_are_random", "contract_tests/test_lifecycle_randomness.py::test_otps_are_uniform_over_all_six_digit_codes"]

    outcome = run_against(variables, samples)

    assert outcome.exit_code == 2, f"exit {outcome.exit_code}: {outcome.failures} {outcome.reason}"
    assert "test range +999:555012345678 (100 numbers) is used up" in str(outcome.reason) and "free in" in str(outcome.reason), outcome.reason


@pytest.mark.slow
def test_country_code_rules_are_judged_with_two_ranges(run_against: Callable[..., ContractOutcome], long_lived_target: LongLivedTarget) -> None:
    variables = {"OTP_TEST_RANGES": "+999:5550,+990:5550"}

    outcome = run_against(variables, COUNTRY_CODE_TESTS)

    assert (outcome.exit_code, outcome.passed, outcome.skipped) == (0, 2, 0), f"{outcome.summary()} {outcome.skip_reasons}"
    assert _in_ranges(load_config(variables), long_lived_target.sent_to()) == []


@pytest.mark.slow
def test_country_code_rules_are_not_judged_with_one_range_and_say_why(run_against: Callable[..., ContractOutcome]) -> None:
    outcome = run_against({"OTP_TEST_COUNTRY_CODE": "+999", "OTP_TEST_PHONE_PREFIX": "5550"}, COUNTRY_CODE_TESTS)

    assert (outcome.passed, outcome.skipped) == (0, 2), outcome.summary()
    assert all("needs a second range of test numbers" in reason and "OTP_TEST_RANGES=" in reason for reason in outcome.skip_reasons), outcome.skip_reasons


@pytest.mark.slow
def test_ranges_sharing_no_phone_number_judge_the_binding_and_send_only_inside_them(run_against: Callable[..., ContractOutcome], long_lived_target: LongLivedTarget) -> None:
    variables = {"OTP_TEST_RANGES": "+999:5550,+990:77009"}

    outcome = run_against(variables, COUNTRY_CODE_TESTS)

    assert (outcome.passed, outcome.skipped) == (1, 1), outcome.summary()
    assert "share no phone_number, and no OTP is sent outside them" in outcome.skip_reasons[0], outcome.skip_reasons
    assert _in_ranges(load_config(variables), long_lived_target.sent_to()) == []


@pytest.mark.slow
def test_a_ledger_that_cannot_be_written_is_cannot_judge_naming_it(run_against: Callable[..., ContractOutcome], tmp_path: Path) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("", encoding="utf-8")

    outcome = run_against({"OTP_NUMBER_LEDGER": str(not_a_folder / "test-numbers.jsonl")})

    assert outcome.exit_code == 2 and outcome.passed == 0, outcome.summary()
    assert f"the ledger of test numbers {not_a_folder / 'test-numbers.jsonl'} cannot be used" in str(outcome.reason) and "OTP_NUMBER_LEDGER" in str(outcome.reason), outcome.reason
