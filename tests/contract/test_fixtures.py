"""The token factory and the phone-number source."""

from __future__ import annotations

import json
import multiprocessing

import jwt
import pytest

from otp_suite.service.auth import authenticated_user
from otp_suite.testdata.phone_numbers import PhoneNumberSource
from otp_suite.testdata.tokens import BAD_TOKEN_VARIANTS, bad_token, mint_token

SECRET = "fixture-test-secret"


def test_minted_token_carries_every_claim_of_the_public_examples():
    claims = jwt.decode(mint_token(SECRET, "alice", client_id="c-1"), SECRET, algorithms=["HS256"])

    assert set(claims) == {"sub", "client_id", "iat", "iss", "exp", "user_id", "third_party_client_id", "namespaced_third_party_user_id", "wallet_address"}
    assert claims["namespaced_third_party_user_id"] == "c-1___alice"
    assert claims["wallet_address"].startswith("0x") and len(claims["wallet_address"]) == 42
    int(claims["wallet_address"][2:], 16)


def test_minted_token_lives_for_the_requested_lifetime():
    claims = jwt.decode(mint_token(SECRET, "bob", lifetime_s=120, issued_at=1_000), SECRET, algorithms=["HS256"], options={"verify_exp": False})

    assert claims["exp"] - claims["iat"] == 120


@pytest.mark.parametrize("variant", sorted(BAD_TOKEN_VARIANTS))
def test_every_bad_variant_is_refused_by_the_contracts_rules(variant):
    import time

    token = bad_token(variant, SECRET, "carol")

    assert authenticated_user(token, SECRET, time.time()) is None


def test_tampered_variant_keeps_the_original_signature():
    good = mint_token(SECRET, "dave")
    tampered = bad_token("tampered_payload", SECRET, "dave")

    assert tampered.split(".")[2] == good.split(".")[2] or len(tampered.split(".")[2]) == len(good.split(".")[2])
    assert json.loads(jwt.utils.base64url_decode(tampered.split(".")[1]))["user_id"] == "dave-admin"


def test_numbers_are_unique_and_inside_the_test_range():
    source = PhoneNumberSource("+999", "5550")

    numbers = [source.next() for _ in range(2000)]

    assert len({n.phone_number for n in numbers}) == 2000
    assert all(n.country_code == "+999" and n.phone_number.startswith("5550") and len(n.phone_number) == 14 for n in numbers)


def _draw(args: tuple[str, str, int]) -> list[str]:
    country, prefix, lane = args
    source = PhoneNumberSource(country, prefix, lane=lane)
    return [source.next().phone_number for _ in range(500)]


def test_numbers_are_unique_across_processes():
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        batches = pool.map(_draw, [("+999", "5550", 0), ("+999", "5550", 0), ("+999", "5550", 1)])

    drawn = [n for batch in batches for n in batch]
    assert len(set(drawn)) == len(drawn)


def test_a_long_prefix_still_yields_valid_numbers():
    number = PhoneNumberSource("+91", "9876543210").next()

    assert number.phone_number.startswith("9876543210") and 6 <= len(number.phone_number) <= 14
