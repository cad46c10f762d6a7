"""The OTP lifecycle (contract, 'Challenges'): one rule per test, each on fresh test numbers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contract_tests.steps import Stopwatch, sent_anew
from otp_suite.contract.challenges import Challenge
from otp_suite.contract.client import OtpClient
from otp_suite.contract.expectations import expect_challenge, expect_error, expect_verified
from otp_suite.contract.json_text import JsonLiteral, escaped_string
from otp_suite.contract.waiting import CLOCK_MARGIN_S, PolicyWaiter
from otp_suite.policy import OtpPolicy
from otp_suite.testdata.phone_numbers import PhoneNumber

Start = Callable[..., Challenge]


def test_registered_otp_verifies(client: OtpClient, started: Start, number: PhoneNumber) -> None:
    challenge = started(number)

    response = client.verify(number, challenge.auth_code, challenge.otp)

    expect_verified(response, "verify with the registered authCode and the OTP sent links the number")


def test_resend_without_pending_challenge_behaves_like_register(client: OtpClient, started: Start, number: PhoneNumber) -> None:
    challenge = started(number, operation="resend")

    response = client.verify(number, challenge.auth_code, challenge.otp)

    expect_verified(response, "resend with no pending challenge starts one, like register")


@pytest.mark.policy_wait
def test_resend_keeps_auth_code_and_new_otp_verifies(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    first = started(number)
    waiter.wait(policy.resend_cooldown_s, "the resend cooldown before a second send to one number")

    resent = started(number, operation="resend")
    response = client.verify(number, resent.auth_code, resent.otp)

    assert resent.auth_code == first.auth_code, "resend of a pending challenge keeps its authCode"
    expect_verified(response, "after resend the new OTP verifies with the same authCode")


@pytest.mark.policy_wait
def test_previous_otp_refused_after_resend(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter, distinct_codes: None) -> None:
    first = started(number)
    clock = Stopwatch(waiter)
    sent_anew(lambda: started(number, operation="resend"), first, clock, policy.resend_cooldown_s + CLOCK_MARGIN_S, "the resend cooldown before a second send to one number")

    response = client.verify(number, first.auth_code, first.otp)

    expect_error(response, 401, "INVALID_OTP", "the previous OTP stops working at once after resend")


def test_consumed_challenge_refuses_replay(client: OtpClient, started: Start, number: PhoneNumber) -> None:
    challenge = started(number)
    expect_verified(client.verify(number, challenge.auth_code, challenge.otp), "first verify succeeds")

    replay = client.verify(number, challenge.auth_code, challenge.otp)

    expect_error(replay, 401, "INVALID_OTP", "a consumed challenge refuses the same OTP again")


@pytest.mark.slow
@pytest.mark.policy_wait
def test_otp_expires_after_its_lifetime(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    waiter.ensure_affordable(policy.ttl_s + 1.0, "the OTP lifetime OTP_TTL_S")
    challenge = started(number)
    waiter.wait(policy.ttl_s, "the OTP lifetime OTP_TTL_S")

    response = client.verify(number, challenge.auth_code, challenge.otp)

    expect_error(response, 401, "OTP_EXPIRED", "an OTP older than its lifetime is refused as expired")


def test_otp_is_bound_to_its_number(client: OtpClient, started: Start, number: PhoneNumber, other_number: PhoneNumber) -> None:
    challenge = started(number)

    response = client.verify(other_number, challenge.auth_code, challenge.otp)

    expect_error(response, 401, "INVALID_OTP", "an OTP verifies only for the number it was sent to")


def test_otp_is_bound_to_the_user_of_the_token(client: OtpClient, started: Start, number: PhoneNumber, other_user_token: str) -> None:
    challenge = started(number)

    response = client.verify(number, challenge.auth_code, challenge.otp, token=other_user_token)

    expect_error(response, 401, "INVALID_OTP", "another user's token cannot verify this user's challenge")


def test_otp_is_bound_to_its_auth_code(client: OtpClient, started: Start, number: PhoneNumber) -> None:
    challenge = started(number)

    response = client.verify(number, challenge.wrong_auth_code(), challenge.otp)

    expect_error(response, 401, "INVALID_OTP", "the right OTP with another authCode is refused")


@pytest.mark.parametrize(("field", "position"), [("otp", position) for position in range(6)] + [("authCode", position) for position in range(4)])
def test_every_digit_of_the_codes_matters(client: OtpClient, started: Start, number: PhoneNumber, field: str, position: int) -> None:
    challenge = started(number)
    right = challenge.otp if field == "otp" else challenge.auth_code
    changed = right[:position] + str((int(right[position]) + 5) % 10) + right[position + 1 :]
    codes = {"otp": challenge.otp, "authCode": challenge.auth_code} | {field: changed}

    response = client.verify(number, codes["authCode"], codes["otp"])

    expect_error(response, 401, "INVALID_OTP", f"every digit is compared: the {field} with digit {position + 1} changed ({changed} for {right}) is refused")
    expect_verified(client.verify(number, challenge.auth_code, challenge.otp), "the challenge itself still verifies with its own codes")


def test_number_never_verified_is_new(started: Start, new_number: PhoneNumber) -> None:
    challenge = started(new_number)

    assert challenge.is_new_user is True, "isNewUser is true for a number no user has verified"


@pytest.mark.policy_wait
def test_number_verified_once_is_no_longer_new(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    waiter.ensure_affordable(policy.resend_cooldown_s + 1.0, "the resend cooldown before registering the number again")
    challenge = started(number)
    expect_verified(client.verify(number, challenge.auth_code, challenge.otp), "the number is linked")
    waiter.wait(policy.resend_cooldown_s, "the resend cooldown before registering the number again")

    again = expect_challenge(client.register(number), "registering a linked number again starts a challenge")

    assert again["isNewUser"] is False, "isNewUser is false once any user has verified the number"


def _with_exponent(digits: str, mark: str = "e") -> JsonLiteral:
    """The integer ``digits`` in scientific notation: 5496 -> 5.496e3 (a number, not a string)."""
    value = str(int(digits))
    return JsonLiteral(f"{value[0]}.{value[1:] or '0'}{mark}{len(value) - 1}")


#: name -> (authCode, otp) as sent: the contract accepts both fields as strings and as integers,
#: and "integer" follows JSON Schema, so an integral float counts, however it is written (an
#: exponent, a negative exponent); a JSON string is the same string whether or not it is escaped.
REPRESENTATIONS: dict[str, Callable[[Challenge], tuple[object, object]]] = {
    "strings": lambda c: (c.auth_code, c.otp),
    "integers": lambda c: (int(c.auth_code), int(c.otp)),
    "integral_floats": lambda c: (float(int(c.auth_code)), float(int(c.otp))),
    "exponent_forms": lambda c: (_with_exponent(c.auth_code), _with_exponent(c.otp, "E+")),
    "negative_exponent_forms": lambda c: (JsonLiteral(f"{int(c.auth_code)}0e-1"), JsonLiteral(f"{int(c.otp)}00E-2")),
    "escaped_strings": lambda c: (escaped_string(c.auth_code), escaped_string(c.otp)),
}


@pytest.mark.parametrize("representation", list(REPRESENTATIONS))
def test_auth_code_and_otp_accepted_in_every_form(client: OtpClient, started: Start, number: PhoneNumber, representation: str) -> None:
    challenge = started(number)
    auth_code, otp = REPRESENTATIONS[representation](challenge)

    response = client.verify(number, auth_code, otp)

    expect_verified(response, f"authCode and otp sent as {representation.replace('_', ' ')} are compared by value")
