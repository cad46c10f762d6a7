"""Steps the scenario tests share: wrong guesses, requests released together, counting answers,
and waits to a point in the target's clock (bounded by OTP_MAX_WAIT_S).

Only arranging and acting live here; every assertion about the contract stays in the test.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from otp_suite.contract.challenges import Challenge
from otp_suite.contract.client import OtpClient
from otp_suite.contract.expectations import expect_error
from otp_suite.contract.skip_causes import SkipCause, skip
from otp_suite.contract.waiting import CLOCK_MARGIN_S, PolicyWaiter
from otp_suite.policy import OtpPolicy

#: A send after the cooldown is judged "elapsed >= cooldown"; a target with whole-second timestamps
#: (floor on both ends) still sees a full second after 1 s, so half a second covers scheduling jitter.
COOLDOWN_MARGIN_S = 0.5
#: Expiry is "older than" (elapsed > lifetime); with whole-second timestamps that needs a full second more.
EXPIRY_MARGIN_S = CLOCK_MARGIN_S + 0.3


def guess_wrong(client: OtpClient, challenge: Challenge, times: int, *, token: object = None) -> None:
    """``times`` wrong OTPs (right authCode), each refused as 401 INVALID_OTP."""
    for attempt in range(1, times + 1):
        kwargs = {} if token is None else {"token": token}
        response = client.verify(challenge.number, challenge.auth_code, challenge.wrong_otp(attempt), **kwargs)  # type: ignore[arg-type]
        expect_error(response, 401, "INVALID_OTP", f"wrong guess {attempt} of {times} is refused as INVALID_OTP")


def at_once(count: int, send: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """``count`` requests released together (a barrier), so the target sees them concurrently; ``send(i)``."""
    barrier = threading.Barrier(count)

    def one(index: int) -> httpx.Response:
        barrier.wait(timeout=10)
        return send(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def answer_counts(responses: list[httpx.Response]) -> Counter[str]:
    """``{"200 OK": n, "429 TOO_MANY_REQUESTS": m, ...}`` for a failure message."""
    counts: Counter[str] = Counter()
    for response in responses:
        try:
            code = response.json().get("code", "OK") if response.status_code != 200 else "OK"
        except (ValueError, AttributeError):
            code = f"HTTP {response.status_code}"
        counts[f"{response.status_code} {code}"] += 1
    return counts


def answered_after(response: httpx.Response, code: str, clock: Stopwatch, seconds: float) -> bool:
    """True when ``response`` is the error ``code`` but came back ``seconds`` or more after ``clock`` started.

    A busy machine can delay a request past an edge the test aimed inside of; such an answer
    cannot judge the edge, so the test skips instead of failing the target.
    """
    try:
        got = response.json().get("code") if response.status_code != 200 else None
    except (ValueError, AttributeError):
        return False
    return got == code and clock.elapsed() >= seconds


class Stopwatch:
    """Time since an arranged event (a send), and waits until a point after it, bounded by OTP_MAX_WAIT_S."""

    def __init__(self, waiter: PolicyWaiter) -> None:
        self.waiter = waiter
        self.started = time.monotonic()

    def restart(self) -> None:
        """Count from now."""
        self.started = time.monotonic()

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.monotonic() - self.started

    def wait_until(self, seconds: float, why: str) -> None:
        """Sleep until ``seconds`` after the start (modelling the target's clock); skip if that is beyond OTP_MAX_WAIT_S."""
        self.waiter.ensure_affordable(seconds, why)
        remaining = seconds - self.elapsed()
        if remaining > 0:
            time.sleep(remaining)


#: Sends a check makes before "the OTP did not change" is the target's defect and not chance: a
#: correct target draws each OTP uniformly from 10^6 codes, so one send repeats a given OTP with
#: chance 1e-6, and two sends in a row with chance 1e-12 (the false failure rate of the check).
NEW_OTP_SENDS = 2


def sent_anew(send: Callable[[], Challenge], previous: Challenge, clock: Stopwatch, gap_s: float, why: str) -> Challenge:
    """``send()`` once ``gap_s`` after ``clock``'s start (a cooldown), and again while its OTP is ``previous``'s.

    Returns the first challenge whose OTP differs from ``previous.otp``; fails, with the evidence,
    when :data:`NEW_OTP_SENDS` sends in a row repeat it. Never skips: a repeated OTP cannot be told
    from a target that does not draw a new one, except by drawing again.
    """
    for _ in range(NEW_OTP_SENDS):
        clock.wait_until(gap_s, why)
        challenge = send()
        clock.restart()  # after the answer: the target's send is earlier, so the next wait is at least gap_s
        if challenge.otp != previous.otp:
            return challenge
    raise AssertionError(
        f"{NEW_OTP_SENDS} sends in a row to {previous.number} delivered the same OTP as the challenge before them:"
        f" each send draws a new OTP, uniform over 10^6 codes (chance of this on a correct target 1e-{6 * NEW_OTP_SENDS})"
    )


def leaked(response: httpx.Response, secrets: dict[str, str]) -> list[str]:
    """Names of the ``secrets`` (name -> value) found in any header or the body of ``response``.

    A digit-only secret (an OTP) counts only as a whole number, not inside a longer digit run.
    """
    text = "\n".join(f"{k}: {v}" for k, v in response.headers.items()) + "\n" + response.text
    found = []
    for name, value in secrets.items():
        pattern = rf"(?<![0-9]){re.escape(value)}(?![0-9])" if value.isdigit() else re.escape(value)
        if value and re.search(pattern, text):
            found.append(name)
    return found


def window_to_fill(policy: OtpPolicy, waiter: PolicyWaiter) -> tuple[int, float]:
    """(sends the window allows, the cooldown between them) for a test that fills the send window; skips when the policy leaves no room or the waits cost too much."""
    allowed = policy.max_sends_per_window
    if allowed * policy.resend_cooldown_s >= policy.send_window_s:
        skip(SkipCause.POLICY, f"with cooldown {policy.resend_cooldown_s:g} s the window {policy.send_window_s:g} s never holds {allowed + 1} sends")
    waiter.ensure_affordable(allowed * (policy.resend_cooldown_s + 1.0), f"{allowed} resend cooldowns to fill the send window")
    return allowed, policy.resend_cooldown_s
