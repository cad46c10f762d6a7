"""Where the user comes from (contract, 'Authentication' and 'Challenges'): the token's user_id and
nothing else: not sub, not the namespaced id, not the body. A challenge is bound to the whole number,
country code included (judged with a second range of test numbers, another country code)."""

from __future__ import annotations

from collections.abc import Callable

from contract_tests.plugins.identities import Identities
from otp_suite.contract.challenges import Challenge
from otp_suite.contract.client import OtpClient
from otp_suite.contract.expectations import expect_error, expect_verified
from otp_suite.testdata.phone_numbers import NumberAllocator, PhoneNumber
from otp_suite.testdata.tokens import new_user_id

Start = Callable[..., Challenge]
OTHER_CLIENT_ID = "7f0c2a9e-5b1d-4c3e-9a8f-0d1e2f3a4b5c"


def test_same_user_id_with_another_sub_verifies(client: OtpClient, identities: Identities, started: Start, number: PhoneNumber) -> None:
    user = new_user_id()
    challenge = started(number, token=identities.token_with(user, extra={"sub": f"{user}-sub-a"}))

    response = client.verify(number, challenge.auth_code, challenge.otp, token=identities.token_with(user, extra={"sub": f"{user}-sub-b"}))

    expect_verified(response, "the user is the token's user_id: a token of the same user_id with another sub verifies the challenge")


def test_another_user_id_with_the_same_sub_cannot_verify(client: OtpClient, identities: Identities, started: Start, number: PhoneNumber) -> None:
    shared_sub = new_user_id()
    challenge = started(number, token=identities.token_with(new_user_id(), extra={"sub": shared_sub}))

    response = client.verify(number, challenge.auth_code, challenge.otp, token=identities.token_with(new_user_id(), extra={"sub": shared_sub}))

    expect_error(response, 401, "INVALID_OTP", "the user is the token's user_id: another user_id with the same sub cannot verify the challenge")


def test_same_user_id_with_another_client_verifies(client: OtpClient, identities: Identities, started: Start, number: PhoneNumber) -> None:
    user = new_user_id()
    challenge = started(number, token=identities.token_with(user))

    response = client.verify(number, challenge.auth_code, challenge.otp, token=identities.token_with(user, client_id=OTHER_CLIENT_ID))

    expect_verified(response, "the user is the token's user_id, not namespaced_third_party_user_id (<client_id>___<user_id>): the same user_id through another client verifies")


def test_user_id_differing_only_in_letter_case_is_another_user(client: OtpClient, identities: Identities, started: Start, number: PhoneNumber) -> None:
    owner = new_user_id()
    challenge = started(number, token=identities.token_with(owner))

    response = client.verify(number, challenge.auth_code, challenge.otp, token=identities.token_with(owner.upper()))

    expect_error(response, 401, "INVALID_OTP", f"user ids are compared exactly: {owner.upper()!r} is not {owner!r} and cannot verify its challenge")


def test_user_id_in_the_body_is_ignored(client: OtpClient, identities: Identities, started: Start, number: PhoneNumber) -> None:
    owner = new_user_id()
    challenge = started(number, token=identities.token_with(owner))
    body = number.body(authCode=challenge.auth_code, otp=challenge.otp, user_id=owner)

    response = client.call("verify", body, token=identities.token_with(new_user_id()))

    expect_error(response, 401, "INVALID_OTP", "the user comes from the token only: a user_id field in the body does not make another user the owner")


def test_otp_is_bound_to_its_country_code(client: OtpClient, started: Start, phone_numbers: NumberAllocator, second_range: int) -> None:
    first, other_country = _same_phone_number_in_two_ranges(phone_numbers, second_range)
    challenge = started(first)

    response = client.verify(other_country, challenge.auth_code, challenge.otp)

    expect_error(response, 401, "INVALID_OTP", "a challenge belongs to (countryCode, phone_number): the same phone_number under another countryCode has none")


def _same_phone_number_in_two_ranges(phone_numbers: NumberAllocator, second_range: int) -> tuple[PhoneNumber, PhoneNumber]:
    """One phone_number under the first and the second range's country code, both fresh; when the
    ranges share no phone_number, the second is outside its range, which a verify may name (it sends nothing)."""
    pair = phone_numbers.fresh_in_both(0, second_range)
    if pair is not None:
        return pair
    first = phone_numbers.fresh()
    return first, PhoneNumber(phone_numbers.ranges[second_range].country_code, first.phone_number)
