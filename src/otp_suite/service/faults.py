"""The fault catalog: ways the reference service can be told to break one rule of the contract.

The suite's own tests start the service with ``OTP_FAULT=<name>[,<name>...]`` to show that each
check of the suite fails on a service that breaks the rule it checks. Parameters follow a colon:
``slow_verify:400`` (ms), ``fail_ratio:0.03``, ``stall:4:2`` (start, length in s; the start counts from the first request that carries a token,
or is a Unix time when above 10^9).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: name -> the rule of the contract the fault breaks
CATALOG: dict[str, str] = {
    # lifecycle
    "otp_reusable": "a consumed challenge can be verified again (replay accepted)",
    "no_expiry": "OTPs never expire",
    "resend_keeps_old_otp": "after resend the previous OTP still works",
    "resend_new_authcode": "resend issues a new authCode",
    "resend_resets_attempts": "resend resets the failed-attempt count",
    "unbound_number": "a challenge can be verified with another phone number",
    "unbound_user": "a challenge can be verified by another user",
    "ignore_authcode": "verify does not check the authCode",
    "always_new_user": "isNewUser is always true",
    "never_new_user": "isNewUser is always false",
    # limits
    "no_lockout": "wrong guesses are never limited",
    "lockout_allows_right_otp": "a locked challenge still accepts the right OTP",
    "race_verify": "verify yields between check and update, so concurrent requests race",
    "race_wrong_guesses": "verify reads the lock before yielding, so concurrent wrong guesses pass the attempt limit",
    "no_cooldown": "the resend cooldown is not enforced",
    "no_send_window": "the send window is not enforced",
    "no_retry_after": "429 responses lack Retry-After",
    # authentication
    "ignore_auth": "requests without a valid token are served",
    "accept_expired_token": "expired tokens are accepted",
    "accept_future_nbf": "tokens with nbf in the future are accepted",
    "accept_alg_none": "unsigned (alg none) tokens are accepted",
    "accept_any_hmac": "HS384 and HS512 tokens are accepted",
    "no_claims_check": "tokens without user_id or client_id are accepted",
    "validate_before_auth": "body validation runs before authentication",
    # request handling
    "no_size_limit": "bodies over 16 KiB are processed",
    "any_content_type": "any Content-Type is accepted",
    "lenient_types": "booleans, fractional numbers and numeric phone numbers are accepted",
    "strict_types": "authCode and otp must be strings (integers refused)",
    "no_405": "other methods answer 404 instead of 405",
    "server_error_on_plus_one": "countryCode +1 raises a 500",
    # responses and leaks
    "extra_response_key": "success bodies carry an extra key",
    "register_extra_key": "register's success body (only register's) carries an extra key",
    "authcode_as_int": "authCode is returned as a number",
    "text_errors": "error bodies are served as text/plain",
    "wrong_error_code": "expired OTPs get INVALID_OTP instead of OTP_EXPIRED",
    "leak_otp": "responses carry the OTP in a header",
    "leak_token": "401 messages echo the token",
    # whole-service failures and performance (load tests, fail-safe tests)
    "html_502": "every response is an HTML 502 page",
    "all_500": "every response is a 500",
    "slow_verify": "verify takes PARAM ms longer (default 400)",
    "fail_ratio": "a PARAM share of requests fail with 503 (default 0.03)",
    "stall": "every response is held from START to START+LENGTH s after the first request with a token (START > 1e9: a Unix time) (default 4:2)",
}


class UnknownFault(ValueError):
    """OTP_FAULT names a fault not in :data:`CATALOG`."""


@dataclass(frozen=True)
class Faults:
    """The faults switched on, with their parameters."""

    active: frozenset[str] = frozenset()
    params: dict[str, tuple[float, ...]] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.active

    def param(self, name: str, index: int = 0, default: float = 0.0) -> float:
        """The ``index``-th parameter of fault ``name``, or ``default``."""
        values = self.params.get(name, ())
        return values[index] if index < len(values) else default


def parse_faults(text: str | None) -> Faults:
    """Parse ``OTP_FAULT`` (``name[:p1[:p2]]`` items separated by commas)."""
    if not text:
        return Faults()
    active: set[str] = set()
    params: dict[str, tuple[float, ...]] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, *raw = item.split(":")
        if name not in CATALOG:
            raise UnknownFault(f"OTP_FAULT names unknown fault {name!r}; known: {', '.join(sorted(CATALOG))}")
        try:
            params[name] = tuple(float(v) for v in raw)
        except ValueError:
            raise UnknownFault(f"OTP_FAULT item {item!r} has a parameter that is not a number") from None
        active.add(name)
    return Faults(frozenset(active), params)
