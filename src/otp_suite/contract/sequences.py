"""Sending a model test's requests to a target and reading its answers the way the model judges them.

:class:`SequenceTarget` times every exchange (its :class:`~otp_suite.model.moments.Moment`), checks
the shape of every answer (the same expectations the scenario tests use), reduces it to an
:class:`~otp_suite.model.oracle.Observed`, reads the test inbox after sends, and keeps a
:class:`Reproduction`: the sequence so far as shell lines a person can paste (curl, sleep, and
``&``/``wait`` for requests released together), tokens made by ``otp-suite token`` at replay time.
"""

from __future__ import annotations

import json
import shlex
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from otp_suite.api import INBOX_PATH, TOKEN_HEADER
from otp_suite.contract.client import OPERATION_PATHS, OtpClient
from otp_suite.contract.expectations import expect_challenge, expect_retry_after, expect_verified, json_body
from otp_suite.contract.replay import UNREPRODUCIBLE_TOKEN, replay_notes
from otp_suite.model.moments import Moment
from otp_suite.model.oracle import ModelRequest, Observed, Oracle
from otp_suite.model.rules import Number, code_value


@dataclass(frozen=True)
class SequenceRequest:
    """One request of a sequence: the operation, whose token, which number, and the codes as sent (any JSON form)."""

    operation: str
    user_id: str
    number: Number
    auth_code: Any = None
    otp: Any = None

    def body(self) -> dict[str, Any]:
        """The JSON body."""
        body: dict[str, Any] = {"countryCode": self.number[0], "phone_number": self.number[1]}
        if self.operation == "verify":
            body |= {"authCode": self.auth_code, "otp": self.otp}
        return body


@dataclass
class Reproduction:
    """The sequence so far as shell lines that replay it, and the seed that regenerates it.

    ``token_texts``: user id -> what a curl line carries for that user's token
    (:func:`otp_suite.contract.replay.shell_token`), never the token.
    """

    base_url: str
    seed: int | None
    token_texts: dict[str, str]
    lines: list[str] = field(default_factory=list)

    def request(self, request: SequenceRequest, *, background: bool = False) -> None:
        """Add the curl line of ``request``."""
        url = self.base_url.rstrip("/") + OPERATION_PATHS[request.operation]
        token = f'-H "{TOKEN_HEADER}: {self.token_texts[request.user_id]}"'
        line = f"curl -sS -i -X POST {shlex.quote(url)} {token} -H 'content-type: application/json' --data-binary {shlex.quote(json.dumps(request.body()))}"
        self.lines.append(line + (" &" if background else ""))

    def released_together(self) -> None:
        """Close a group of requests sent at once."""
        self.lines.append("wait")

    def wait(self, seconds: float, why: str) -> None:
        """Add a pause."""
        self.lines.append(f"sleep {seconds:.2f}  # {why}")

    def text(self) -> str:
        """The reproduction as one block: the shortest sequence found, how to run it, and the seed."""
        header = ["# The shortest sequence found (a target draws new codes on each run: a verify's authCode and otp are this run's)."]
        notes = replay_notes(self.seed, needs_token_variable=UNREPRODUCIBLE_TOKEN in self.token_texts.values())
        return "\n".join([*header, *self.lines, notes, "# Only this test: otp-suite contract --select model"])


class SequenceTarget:
    """Sends sequence requests to one target, timing each, and judges each answer with an :class:`Oracle`."""

    def __init__(self, client: OtpClient, tokens: dict[str, str], oracle: Oracle, reproduction: Reproduction, *, inbox_url: str | None, margin_s: float) -> None:
        self.client = client
        self.tokens = tokens
        self.oracle = oracle
        self.reproduction = reproduction
        self.inbox_url = inbox_url
        self.margin_s = margin_s

    def send(self, request: SequenceRequest) -> None:
        """Send one request and judge its answer."""
        self.reproduction.request(request)
        self.send_together([request])

    def send_together(self, requests: Sequence[SequenceRequest]) -> None:
        """Release ``requests`` at once (a barrier), then judge their answers in every order the target could have taken them."""
        if len(requests) > 1:
            for request in requests:
                self.reproduction.request(request, background=True)
            self.reproduction.released_together()
        exchanges = self._exchange_all(requests)
        model_requests = [_model_request(request, sent_at, received_at, self.margin_s) for request, (_, sent_at, received_at) in zip(requests, exchanges, strict=True)]
        observed = [observe(request.operation, response) for request, (response, _, _) in zip(requests, exchanges, strict=True)]
        self.oracle.judge(model_requests, observed)
        for number in dict.fromkeys(request.number for request in requests):
            self.read_inbox(number)

    def read_inbox(self, number: Number) -> None:
        """Read the test inbox for ``number`` and let the model learn (or check) its OTP."""
        if self.inbox_url is None:
            return
        response = self.client.send("GET", self.inbox_url if self.inbox_url.startswith("http") else INBOX_PATH, params={"countryCode": number[0], "phone_number": number[1]}, token=None, content_type=None)
        if response.status_code == 404:
            self.oracle.learn_inbox(number, None)
            return
        body = json_body(response, 'the test inbox answers {"otp": "<6 digits>"} for a number that was sent an OTP')
        assert response.status_code == 200 and isinstance(body, dict) and isinstance(body.get("otp"), str), f"the test inbox answered {response.status_code} {body!r} for {number[0]} {number[1]}"
        self.oracle.learn_inbox(number, body["otp"])

    def _exchange_all(self, requests: Sequence[SequenceRequest]) -> list[tuple[httpx.Response, float, float]]:
        if len(requests) == 1:
            return [self._exchange(requests[0])]
        barrier = threading.Barrier(len(requests))

        def one(request: SequenceRequest) -> tuple[httpx.Response, float, float]:
            barrier.wait(timeout=10)
            return self._exchange(request)

        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            return list(pool.map(one, requests))

    def _exchange(self, request: SequenceRequest) -> tuple[httpx.Response, float, float]:
        sent_at = time.monotonic()
        response = self.client.call(request.operation, request.body(), token=self.tokens[request.user_id])
        return response, sent_at, time.monotonic()


def _model_request(request: SequenceRequest, sent_at: float, received_at: float, margin_s: float) -> ModelRequest:
    return ModelRequest(
        operation=request.operation,
        user_id=request.user_id,
        number=request.number,
        moment=Moment.of_exchange(sent_at, received_at, margin_s),
        auth_code=code_value(request.auth_code),
        otp=code_value(request.otp),
    )


def observe(operation: str, response: httpx.Response) -> Observed:
    """The answer as the model reads it, after checking its shape (fails on a malformed answer)."""
    if response.status_code == 200:
        if operation == "verify":
            expect_verified(response, 'a verify the model accepts answers exactly {"message": "Users linked successfully"}')
            return Observed(200)
        challenge = expect_challenge(response, f"a {operation} that sends answers authCode and isNewUser")
        return Observed(200, auth_code=challenge["authCode"], is_new_user=challenge["isNewUser"])
    try:
        error_body: Any = response.json()
    except ValueError:
        error_body = None
    code = error_body.get("code") if isinstance(error_body, dict) and set(error_body) == {"code", "message"} and isinstance(error_body.get("code"), str) else None
    if code is None:
        return Observed(response.status_code, code=f"(not an error body: {response.text[:80]!r})")
    json_body(response, 'every error body is {"code", "message"} served as application/json')
    retry_after = expect_retry_after(response, "every 429 carries Retry-After") if response.status_code == 429 else None
    return Observed(response.status_code, code=code, retry_after=retry_after)
