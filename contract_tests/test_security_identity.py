"""Where the user comes from (contract, 'Authentication' and 'Challenges'): the token's user_id and
nothing else: not sub, not the namespaced id, not the body. A challenge is bound to the whole number,
country code included."""

from __future__ import annotations

from collections.abc import Callable

from fixtures.phone_numbers import PhoneNumber
from fixtures.tokens import new_user_id
from otp_suite.contract.challenges import Challenge
from otp_suite.contract.client import OtpClient
from otp_suite.contract.expectations import expect_error, expect_verified
from contract_tests.plugins.identities import Identities

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


def test_user_id_in_the_body_is_ignored(client: OtpClient, identities: Identities, started: Start, number: PhoneNumber) -> None:
    owner = new_user_id()
    challenge = started(number, token=identities.token_with(owner))
    body = number.body(authCode=challenge.auth_code, otp=challenge.otp, user_id=owner)

    response = client.call("verify", body, token=identities.token_with(new_user_id()))

    expect_error(response, 401, "INVALID_OTP", "the user comes from the token only: a user_id field in the body does not make another user the owner")


def test_otp_is_bound_to_its_country_code(client: OtpClient, started: Start, number: PhoneNumber) -> None:
    challenge = started(number)
    other_country = PhoneNumber("+44" if number.country_code != "+44" else "+49", number.phone_number)

    response = client.verify(other_country, challenge.auth_code, challenge.otp)

    expect_error(response, 401, "INVALID_OTP", "a challenge belongs to (countryCode, phone_number): the same phone_number under another countryCode has none")
