"""Sending limits at their edges (contract, 'Sending limits'): a refused send neither restarts the
cooldown nor counts toward the window; the window allows exactly its number of sends; sends to one
number that arrive together pass at most once; every 429 carries Retry-After."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from contract_tests.steps import COOLDOWN_MARGIN_S, Stopwatch, answer_counts, at_once
from otp_suite.contract.challenges import Challenge
from otp_suite.contract.client import OtpClient
from otp_suite.contract.expectations import expect_challenge, expect_error, expect_retry_after, expect_verified, explain
from otp_suite.contract.skip_causes import SkipCause, skip
from otp_suite.contract.waiting import CLOCK_MARGIN_S, PolicyWaiter
from otp_suite.policy import OtpPolicy
from otp_suite.testdata.phone_numbers import PhoneNumber

Start = Callable[..., Challenge]
CONCURRENT_SENDS = 8
#: Where in the cooldown the refused probe goes: late, so a cooldown it restarted would outlast the check.
PROBE_AT_SHARE = 0.7
#: After the cooldown of the first send, but before the end of one restarted by the probe.
CHECK_AFTER_COOLDOWN_S = 0.35


def _no_cooldown_to_observe(policy: OtpPolicy) -> None:
    if policy.resend_cooldown_s < 1:
        skip(SkipCause.POLICY, f"OTP_RESEND_COOLDOWN_S={policy.resend_cooldown_s:g}: no cooldown to observe")


def test_verify_leaves_the_send_limits_as_they_were(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    _no_cooldown_to_observe(policy)
    clock = Stopwatch(waiter)
    challenge = started(number)
    expect_verified(client.verify(number, challenge.auth_code, challenge.otp), "the arranged challenge verifies")

    response = client.register(number)

    if response.status_code == 200 and clock.elapsed() >= policy.resend_cooldown_s:
        skip(SkipCause.TIMING, f"the register was answered {clock.elapsed():.2f} s after the first send (a busy machine): the cooldown of {policy.resend_cooldown_s:g} s could be over")
    expect_error(response, 429, "TOO_MANY_REQUESTS", "a verify is not a send and clears nothing: a register within the cooldown of the last send is still refused")


@pytest.mark.policy_wait
def test_refused_send_does_not_restart_the_cooldown(client: OtpClient, started: Start, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    _no_cooldown_to_observe(policy)
    cooldown = policy.resend_cooldown_s
    since_before_send = Stopwatch(waiter)  # before the request: an upper bound on the target's time since its send
    started(number)
    clock = Stopwatch(waiter)  # after the answer: the target's send is earlier, so waits from here are lower bounds
    clock.wait_until(cooldown * PROBE_AT_SHARE, "most of the resend cooldown")
    probe = client.resend(number)
    if probe.status_code == 200:
        _probe_passed(probe, since_before_send.elapsed(), cooldown)
    expect_error(probe, 429, "TOO_MANY_REQUESTS", "arranging: a send late in the cooldown is refused")
    clock.wait_until(cooldown + CHECK_AFTER_COOLDOWN_S, "the rest of the resend cooldown")

    response = client.resend(number)

    expect_challenge(
        response,
        f"a refused request is not a send: {cooldown + CHECK_AFTER_COOLDOWN_S:g} s after the last send (cooldown {cooldown:g} s) a send passes though a refused one came {cooldown * (1 - PROBE_AT_SHARE) + CHECK_AFTER_COOLDOWN_S:g} s ago",
    )


def _probe_passed(probe: httpx.Response, at_most_s: float, cooldown: float) -> None:
    """A send the target allowed late in the cooldown: a failure when it came surely inside it, else a skip.

    ``at_most_s`` bounds the target's time between the two sends from above (from before the first
    request to after the probe's answer). Below the cooldown by more than the clock margin (a
    whole-second clock adds up to one second), every correct target refuses; nearer the end, one
    with whole-second timestamps may allow it, and the rule cannot be judged on this number.
    """
    assert at_most_s >= cooldown - CLOCK_MARGIN_S, explain(
        probe, f"a second send within the resend cooldown is refused: this one came at most {at_most_s:.2f} s after the last send (cooldown {cooldown:g} s, clock margin {CLOCK_MARGIN_S:g} s) and passed"
    )
    skip(
        SkipCause.TIMING,
        f"the target allowed a send {at_most_s:.2f} s at most after the last, within the clock margin ({CLOCK_MARGIN_S:g} s) of the end of a {cooldown:g} s cooldown (a whole-second clock?); a refusal late in the cooldown is needed to judge this rule",
    )


@pytest.mark.slow
@pytest.mark.policy_wait
def test_refused_sends_do_not_count_toward_the_window(client: OtpClient, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    _no_cooldown_to_observe(policy)
    allowed = policy.max_sends_per_window
    gap = policy.resend_cooldown_s + COOLDOWN_MARGIN_S
    if (allowed - 1) * gap >= policy.send_window_s - 1:
        skip(SkipCause.POLICY, f"{allowed} sends {gap:g} s apart do not fit in the window OTP_SEND_WINDOW_S={policy.send_window_s:g}")
    waiter.ensure_affordable((allowed - 1) * gap, f"{allowed - 1} resend cooldowns")
    for send in range(1, allowed):
        expect_challenge(client.register(number), f"arranging: send {send} of the {allowed} the window allows")
        clock = Stopwatch(waiter)
        expect_error(client.register(number), 429, "TOO_MANY_REQUESTS", f"arranging: a send right after send {send} is refused")
        clock.wait_until(gap, "the resend cooldown between sends")

    response = client.register(number)

    expect_challenge(response, f"the window allows {allowed} sends and refused requests do not count: send {allowed} passes after {allowed - 1} refusals")


def _concurrent_sends_pass_at_most_once(responses: list[httpx.Response], clock: Stopwatch, policy: OtpPolicy, rule: str) -> None:
    """Judge sends released together: only 200 or 429 (with Retry-After), whenever they came; at most
    one 200 unless the run itself was so late that they did not arrive within one cooldown (a skip)."""
    counts = answer_counts(responses)
    assert set(counts) <= {"200 OK", "429 TOO_MANY_REQUESTS"}, explain(responses[0], f"the others are refused 429 TOO_MANY_REQUESTS; answers were {dict(counts)}")
    for response in responses:
        if response.status_code == 429:
            expect_retry_after(response, "every 429 carries Retry-After, also one refused under concurrency")
    if counts["200 OK"] > 1 and clock.elapsed() >= policy.resend_cooldown_s:
        skip(SkipCause.TIMING, f"the {len(responses)} requests took {clock.elapsed():.2f} s (a busy machine), more than one cooldown; they did not arrive together, so {counts['200 OK']} passing may be right")
    assert counts["200 OK"] <= 1, explain(responses[0], f"{rule}; answers were {dict(counts)}")


def test_concurrent_registers_to_one_number_pass_at_most_once(client: OtpClient, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    _no_cooldown_to_observe(policy)

    clock = Stopwatch(waiter)
    responses = at_once(CONCURRENT_SENDS, lambda _: client.register(number))

    _concurrent_sends_pass_at_most_once(responses, clock, policy, f"of {CONCURRENT_SENDS} registers to one number arriving together at most one passes within one cooldown")


def test_concurrent_resends_to_one_number_pass_at_most_once(client: OtpClient, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter) -> None:
    _no_cooldown_to_observe(policy)

    clock = Stopwatch(waiter)
    responses = at_once(CONCURRENT_SENDS, lambda _: client.resend(number))

    _concurrent_sends_pass_at_most_once(responses, clock, policy, f"of {CONCURRENT_SENDS} resends to one number arriving together at most one passes within one cooldown")


def test_concurrent_sends_of_two_users_to_one_number_pass_at_most_once(client: OtpClient, number: PhoneNumber, policy: OtpPolicy, waiter: PolicyWaiter, other_user_token: str) -> None:
    _no_cooldown_to_observe(policy)
    operations = ("register", "resend")

    clock = Stopwatch(waiter)
    responses = at_once(CONCURRENT_SENDS, lambda i: client.call(operations[i % 2], number.body(), **({"token": other_user_token} if i % 4 >= 2 else {})))

    _concurrent_sends_pass_at_most_once(responses, clock, policy, f"of {CONCURRENT_SENDS} registers and resends by two users to one number arriving together at most one passes")
