"""No OTP, token or secret in any response (contract, 'Errors and leaks'), checked on every header
and the body of every kind of answer: each refusal the contract names, and the successes. Each
kind starts its own challenge first, so there is an OTP on the target that could leak."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from contract_tests.plugins.aged import ExpiredChallenges
from contract_tests.plugins.identities import Identities
from contract_tests.steps import guess_wrong, leaked
from otp_suite.config import SuiteConfig
from otp_suite.contract.challenges import Challenge
from otp_suite.contract.client import OPERATION_PATHS, OtpClient, OtpInbox
from otp_suite.contract.expectations import explain
from otp_suite.policy import OtpPolicy
from otp_suite.testdata.phone_numbers import PhoneNumber

Start = Callable[..., Challenge]


class Refusal:
    """Makes one kind of answer on a started challenge; returns the answer and the tokens it sent."""

    def __init__(self, client: OtpClient, identities: Identities, policy: OtpPolicy) -> None:
        self.client, self.identities, self.policy = client, identities, policy

    def bad_token(self, c: Challenge) -> tuple[httpx.Response, list[str]]:
        token = self.identities.bad("tampered_payload") if self.identities.secret or self.identities.fixed_token else self.identities.bad("wrong_secret")
        return self.client.verify(c.number, c.auth_code, c.otp, token=token), [token]

    def no_token(self, c: Challenge) -> tuple[httpx.Response, list[str]]:
        return self.client.verify(c.number, c.auth_code, c.otp, token=None), []

    def malformed_body(self, c: Challenge) -> tuple[httpx.Response, list[str]]:
        return self.client.call("verify", {**c.number.body(), "authCode": c.auth_code, "otp": c.otp + "x"}), []

    def wrong_content_type(self, c: Challenge) -> tuple[httpx.Response, list[str]]:
        return self.client.send("POST", OPERATION_PATHS["verify"], content=c.otp.encode(), content_type="text/plain"), []

    def too_large(self, c: Challenge) -> tuple[httpx.Response, list[str]]:
        return self.client.send("POST", OPERATION_PATHS["verify"], content=b'{"otp": "' + b"9" * 17_000 + b'"}'), []

    def other_method(self, c: Challenge) -> tuple[httpx.Response, list[str]]:
        return self.client.send("GET", OPERATION_PATHS["verify"]), []

    def unknown_path(self, c: Challenge) -> tuple[httpx.Response, list[str]]:
        return self.client.send("POST", "/fe/users/auth/otp/unknown", json=c.number.body()), []

    def invalid_otp(self, c: Challenge) -> tuple[httpx.Response, list[str]]:
        return self.client.verify(c.number, c.auth_code, c.wrong_otp()), []

    def too_many_attempts(self, c: Challenge) -> tuple[httpx.Response, list[str]]:
        guess_wrong(self.client, c, self.policy.max_verify_attempts)
        return self.client.verify(c.number, c.auth_code, c.otp), []

    def too_many_requests(self, c: Challenge) -> tuple[httpx.Response, list[str]]:
        return self.client.resend(c.number), []

    def verified(self, c: Challenge) -> tuple[httpx.Response, list[str]]:
        return self.client.verify(c.number, c.auth_code, c.otp), []


KINDS = [name for name in vars(Refusal) if not name.startswith("_")]


def _secrets_of(challenge: Challenge, inbox: OtpInbox, user_token: str, sent_tokens: list[str], suite_config: SuiteConfig) -> dict[str, str]:
    secrets = {"the OTP": challenge.otp, "the latest OTP": inbox.latest(challenge.number), "the user's token": user_token}
    secrets.update({f"the token sent ({index})": token for index, token in enumerate(sent_tokens, 1) if token})
    if suite_config.jwt_secret:
        secrets["the signing secret"] = suite_config.jwt_secret
    if not inbox.tells_codes_apart:
        # A fixed code is public knowledge of the environment; an answer containing it proves nothing.
        secrets = {k: v for k, v in secrets.items() if "OTP" not in k}
    return secrets


@pytest.mark.parametrize("kind", KINDS)
def test_answer_carries_no_otp_token_or_secret(
    client: OtpClient, inbox: OtpInbox, identities: Identities, policy: OtpPolicy, started: Start, number: PhoneNumber, user_token: str, suite_config: SuiteConfig, kind: str
) -> None:
    challenge = started(number)

    response, sent_tokens = getattr(Refusal(client, identities, policy), kind)(challenge)

    found = leaked(response, _secrets_of(challenge, inbox, user_token, sent_tokens, suite_config))
    assert not found, explain(response, f"no response body or header ever contains an OTP, a token or the signing secret; the {kind.replace('_', ' ')} answer carries {', '.join(found)}")


def test_registered_answer_carries_no_otp_token_or_secret(client: OtpClient, inbox: OtpInbox, number: PhoneNumber, user_token: str, suite_config: SuiteConfig) -> None:
    response = client.register(number)
    challenge = Challenge(number, "", inbox.latest(number), True)

    found = leaked(response, _secrets_of(challenge, inbox, user_token, [], suite_config))
    assert not found, explain(response, f"no response body or header ever contains an OTP, a token or the signing secret; the register answer carries {', '.join(found)}")


@pytest.mark.policy_wait
def test_expired_answer_carries_no_otp_token_or_secret(client: OtpClient, inbox: OtpInbox, expired_challenges: ExpiredChallenges, user_token: str, suite_config: SuiteConfig) -> None:
    challenge = expired_challenges.take("pending_for_leaks")

    response = client.verify(challenge.number, challenge.auth_code, challenge.otp)

    found = leaked(response, _secrets_of(challenge, inbox, user_token, [], suite_config))
    assert not found, explain(response, f"no response body or header ever contains an OTP, a token or the signing secret; the OTP_EXPIRED answer carries {', '.join(found)}")
