"""Randomness (contract, 'Challenges'): register's OTP is uniform over 000000-999999 and its
authCode is random. Statistical tests on a sample of fresh challenges, each on its own test
number (one send per number, so no sending limit is touched).

Cost: SAMPLE_SIZE registers and SAMPLE_SIZE inbox reads per test (2 x 200 requests each).
False-failure probability of each test on a correct target (bounds computed for these thresholds
with the Poisson and chi-square tails; each test states its sum below) is under 5e-5, so under
1e-4 for the run:

OTP test, n = 200:
  - at least one OTP below 100000:                         P(none | uniform) = 0.9^200 < 1e-9
  - at most 2 equal pairs (birthday):                      P(>= 3) with lambda = C(200,2)/10^6 = 0.0199: 1.3e-6
  - each of the 6 digit positions: chi-square (9 df) < 40: P(>= 40) = 7.6e-6 each, 4.6e-5 for six
  sum 4.7e-5
authCode test, n = 200:
  - at most 10 equal pairs:                                P(>= 11) with lambda = C(200,2)/10^4 = 1.99: 7.9e-6
  - each of the 4 digit positions: chi-square (9 df) < 40: 3.0e-5 for four
  - at most 2 authCodes equal to the first or last 4 digits of their OTP: P(>= 3), lambda = 0.04: 1.0e-5
  sum 4.8e-5
What they catch: a constant or low-entropy code (pairs), a digit never or too often drawn (chi-square,
e.g. no leading zero for the authCode), an OTP range without 000000-099999, an authCode derived from the OTP.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from otp_suite.contract.challenges import Challenge, start_challenge
from otp_suite.contract.client import OtpClient, OtpInbox
from otp_suite.contract.expectations import expect_verified
from otp_suite.testdata.phone_numbers import NumberAllocator

SAMPLE_SIZE = 200
CHI_SQUARE_LIMIT = 40.0  # 9 degrees of freedom: P(X >= 40) = 7.6e-6
OTP_MAX_EQUAL_PAIRS = 2
AUTH_CODE_MAX_EQUAL_PAIRS = 10
MAX_AUTH_CODES_FROM_OTP = 2
#: Challenges started at once: a sample is 400 requests, and through a far stage's round trips one
#: after another they would hold a worker for seconds (benchmarks/bench_contract_network.py).
_PARALLEL = 16


def _sample(client: OtpClient, inbox: OtpInbox, phone_numbers: NumberAllocator) -> list[Challenge]:
    numbers = phone_numbers.fresh_many(SAMPLE_SIZE)
    with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
        return list(pool.map(lambda number: start_challenge(client, inbox, number), numbers))


def _equal_pairs(values: list[str]) -> int:
    return sum(count * (count - 1) // 2 for count in Counter(values).values())


def _chi_square_by_position(values: list[str]) -> list[float]:
    expected = len(values) / 10
    statistics = []
    for position in range(len(values[0])):
        counts = Counter(value[position] for value in values)
        statistics.append(sum((counts.get(str(digit), 0) - expected) ** 2 / expected for digit in range(10)))
    return statistics


@pytest.mark.chained_requests
def test_otps_are_uniform_over_all_six_digit_codes(client: OtpClient, inbox: OtpInbox, phone_numbers: NumberAllocator, distinct_codes: None) -> None:
    otps = [challenge.otp for challenge in _sample(client, inbox, phone_numbers)]

    below_100000 = sum(1 for otp in otps if otp < "100000")
    pairs = _equal_pairs(otps)
    chi_squares = _chi_square_by_position(otps)

    assert below_100000 > 0, f"OTPs are uniform over 000000-999999: none of {SAMPLE_SIZE} was below 100000 (expected about {SAMPLE_SIZE // 10}; chance on a uniform draw < 1e-9)"
    assert pairs <= OTP_MAX_EQUAL_PAIRS, f"OTPs are uniform over 000000-999999: {pairs} equal pairs among {SAMPLE_SIZE} (expected 0.02; more than {OTP_MAX_EQUAL_PAIRS} has chance 1.3e-6): too few distinct values"
    worst = max(range(6), key=lambda i: chi_squares[i])
    assert chi_squares[worst] < CHI_SQUARE_LIMIT, (
        f"OTPs are uniform over 000000-999999: digit position {worst + 1} has chi-square {chi_squares[worst]:.1f} over {SAMPLE_SIZE} OTPs (limit {CHI_SQUARE_LIMIT:g}, chance 7.6e-6): its digits are not equally likely"
    )


@pytest.mark.chained_requests
def test_auth_codes_are_random(client: OtpClient, inbox: OtpInbox, phone_numbers: NumberAllocator) -> None:
    challenges = _sample(client, inbox, phone_numbers)
    codes = [challenge.auth_code for challenge in challenges]

    pairs = _equal_pairs(codes)
    chi_squares = _chi_square_by_position(codes)
    from_otp = sum(1 for c in challenges if c.auth_code in (c.otp[:4], c.otp[-4:])) if inbox.tells_codes_apart else 0

    assert pairs <= AUTH_CODE_MAX_EQUAL_PAIRS, f"authCodes are random: {pairs} equal pairs among {SAMPLE_SIZE} (expected 2; more than {AUTH_CODE_MAX_EQUAL_PAIRS} has chance 7.9e-6): too few distinct values"
    worst = max(range(4), key=lambda i: chi_squares[i])
    assert chi_squares[worst] < CHI_SQUARE_LIMIT, (
        f"authCodes are random: digit position {worst + 1} has chi-square {chi_squares[worst]:.1f} over {SAMPLE_SIZE} codes (limit {CHI_SQUARE_LIMIT:g}, chance 7.6e-6): its digits are not equally likely"
    )
    assert from_otp <= MAX_AUTH_CODES_FROM_OTP, f"authCodes are random: {from_otp} of {SAMPLE_SIZE} equal the first or last four digits of their OTP (expected 0.04; more than {MAX_AUTH_CODES_FROM_OTP} has chance 1e-5)"


#: Fresh challenges tried to find an authCode with a leading zero. authCodes are uniform over
#: 0000-9999 (test_auth_codes_are_random holds each digit position to that), so none among 160 has
#: chance 0.9^160 = 4.8e-8 on a correct target: then the target is judged, not the check skipped.
LEADING_ZERO_TRIES = 160


def test_integer_codes_with_leading_zeros_compared_by_value(client: OtpClient, inbox: OtpInbox, phone_numbers: NumberAllocator) -> None:
    found = None
    for _ in range(LEADING_ZERO_TRIES):
        challenge = start_challenge(client, inbox, phone_numbers.fresh())
        if challenge.auth_code.startswith("0"):  # verified at once, well inside its lifetime
            found = challenge
            break
    assert found is not None, f"authCodes are random 4-digit codes: none of {LEADING_ZERO_TRIES} began with 0 (one in ten should; chance of none on a correct target 4.8e-8)"

    response = client.verify(found.number, int(found.auth_code), int(found.otp))

    expect_verified(response, f'authCode and otp are compared by value (42 equals "0042"): the authCode {found.auth_code[:1]}... sent as the integer {int(found.auth_code)} verifies')
