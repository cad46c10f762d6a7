"""Generated bodies of register and resend are moved into the test range without changing validity."""

from __future__ import annotations

from pathlib import Path

import pytest

from otp_suite.api import COUNTRY_CODE, PHONE_NUMBER
from otp_suite.contract.test_range import is_in_test_range, map_into_test_range
from otp_suite.testdata.phone_numbers import PhoneNumberSource


@pytest.fixture
def source() -> PhoneNumberSource:
    return PhoneNumberSource("+999", "5550")


def test_valid_number_is_replaced_by_a_test_range_number(source: PhoneNumberSource) -> None:
    body = map_into_test_range({"phone_number": "9876543219", "countryCode": "+91"}, source)

    assert source.contains(body["countryCode"], body["phone_number"])
    assert PHONE_NUMBER.fullmatch(body["phone_number"]) and COUNTRY_CODE.fullmatch(body["countryCode"])


def test_each_call_gives_a_fresh_number(source: PhoneNumberSource) -> None:
    first = map_into_test_range({"phone_number": "9876543219", "countryCode": "+91"}, source)["phone_number"]
    second = map_into_test_range({"phone_number": "9876543219", "countryCode": "+91"}, source)["phone_number"]

    assert first != second


@pytest.mark.parametrize("invalid", ["12345", "123456789012345678", "98765x43219", "", " "])
def test_invalid_phone_number_stays_invalid(source: PhoneNumberSource, invalid: str) -> None:
    body = map_into_test_range({"phone_number": invalid, "countryCode": "+91"}, source)

    assert not PHONE_NUMBER.fullmatch(body["phone_number"])


def test_phone_number_inside_garbage_is_moved_into_the_range(source: PhoneNumberSource) -> None:
    body = map_into_test_range({"phone_number": " 9876543219", "countryCode": "+91"}, source)

    assert body["phone_number"].startswith(" 5550") and not PHONE_NUMBER.fullmatch(body["phone_number"])


def test_numeric_phone_number_keeps_its_type_with_a_test_range_value(source: PhoneNumberSource) -> None:
    body = map_into_test_range({"phone_number": 9876543219, "countryCode": "+91"}, source)

    assert isinstance(body["phone_number"], int) and str(body["phone_number"]).startswith("5550")


@pytest.mark.parametrize("invalid", ["91", "+0091", "+1234", "++91", True, None])
def test_invalid_country_code_stays_invalid(source: PhoneNumberSource, invalid: object) -> None:
    body = map_into_test_range({"phone_number": "9876543219", "countryCode": invalid}, source)

    assert not (isinstance(body["countryCode"], str) and COUNTRY_CODE.fullmatch(body["countryCode"]))


def test_bare_country_digits_become_the_test_country_digits(source: PhoneNumberSource) -> None:
    body = map_into_test_range({"phone_number": "9876543219", "countryCode": "91"}, source)

    assert body["countryCode"] == "999"


@pytest.mark.parametrize("body", [[{"phone_number": "9876543219", "countryCode": "+91"}], None, "text", {"other": 1}])
def test_bodies_without_number_fields_are_left_alone(source: PhoneNumberSource, body: object) -> None:
    assert map_into_test_range(body, source) == body


def test_range_check_flags_a_valid_number_outside_the_range(source: PhoneNumberSource) -> None:
    assert not is_in_test_range({"phone_number": "9876543219", "countryCode": "+91"}, source)
    assert is_in_test_range(map_into_test_range({"phone_number": "9876543219", "countryCode": "+91"}, source), source)


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["", "lenient_types"])
def test_contract_run_sends_otps_only_inside_the_test_range(contract_reports: Path, fault: str) -> None:
    import dataclasses
    from pathlib import Path

    from helpers.contract import KNOWN_SECRET
    from helpers.suite_children import TWO_WORKER_CONTRACT
    from otp_suite.config import load_config
    from otp_suite.contract.runner import run_contract
    from otp_suite.policy import FAST_TEST_POLICY
    from otp_suite.service import ServiceSettings, create_app
    from otp_suite.service.faults import parse_faults
    from otp_suite.service.server import ServiceThread

    app = create_app(ServiceSettings(jwt_secret=KNOWN_SECRET, policy=FAST_TEST_POLICY, faults=parse_faults(fault)))
    config = dataclasses.replace(load_config(TWO_WORKER_CONTRACT, jwt_secret=KNOWN_SECRET), policy=FAST_TEST_POLICY, reports_dir=Path(contract_reports))
    with ServiceThread(app) as service:
        run_contract(
            config.with_target(service.url),
            allure_dir=Path(contract_reports) / "allure",
            junit_path=Path(contract_reports) / "junit.xml",
            echo=lambda line: None,
            pytest_args=["contract_tests/test_schema.py", "contract_tests/test_security.py"],
        )
    sent_to = list(app.state.store.inbox)  # the service's record of every number it sent to

    assert sent_to, "the run sent no OTP at all, so it proves nothing"
    assert [number for number in sent_to if not any(r.contains(*number) for r in config.number_ranges)] == []
