"""The fault catalog: ways the reference service can be told to break one rule of the contract.

The suite's own tests start the service with ``OTP_FAULT=<name>[,<name>...]`` to show that each
check of the suite fails on a service that breaks the rule it checks. Parameters follow a colon:
``slow_verify:400`` (ms), ``fail_ratio:0.03``, ``stall:4:2`` (start, length in s; the start counts from the first request that carries a token and a phone number,
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
    # subtle edges (issue 11): each breaks one clause at its edge, not the whole rule
    "expiry_before_consumed": "verify judges expiry before consumption: a consumed, expired challenge answers OTP_EXPIRED",
    "lock_before_expiry": "verify judges the lock before expiry: a locked, expired challenge answers TOO_MANY_ATTEMPTS",
    "codes_before_expiry": "verify compares the codes before expiry: a wrong guess on an expired challenge answers INVALID_OTP",
    "codes_before_lock": "verify compares the codes before the lock: a wrong guess on a locked challenge answers INVALID_OTP",
    "no_challenge_expired": "a number with no challenge answers OTP_EXPIRED instead of INVALID_OTP",
    "expiry_early": "an OTP expires one second before its lifetime ends",
    "expiry_grace": "an OTP expires only two seconds after its lifetime ends",
    "lock_at_max_plus_one": "the challenge locks only after max+1 wrong guesses",
    "lock_at_max_minus_one": "the challenge locks after max-1 wrong guesses",
    "wrong_authcode_not_counted": "a wrong authCode with the right OTP is not counted as a failed attempt",
    "resend_keeps_lifetime": "resend does not restart the challenge's lifetime",
    "resend_revives_locked": "resend of a locked challenge keeps it (and its lock) instead of starting a new one",
    "resend_revives_consumed": "resend of a consumed challenge keeps it (still consumed) instead of starting a new one",
    "resend_revives_expired": "resend of an expired challenge keeps its failed attempts instead of starting a new one",
    "register_keeps_pending": "register on a pending challenge keeps it (authCode and failed attempts) like resend",
    "register_keeps_old_otp": "after register on a pending challenge the previous OTP still works",
    "new_user_per_user": "isNewUser is true until this user (not any user) has verified the number",
    "new_user_until_sent": "isNewUser turns false once a number was sent an OTP, not once it was verified",
    "constant_authcode": "every authCode is 2735",
    "authcode_low_entropy": "authCodes come from only 100 values",
    "authcode_from_otp": "the authCode is the first four digits of the OTP",
    "otp_no_leading_zero": "OTPs are drawn from 100000-999999 only",
    "otp_low_entropy": "OTPs come from only 1000 values (three random digits, twice)",
    "user_from_sub": "the user is taken from the token's sub claim, not user_id",
    "user_from_namespaced_id": "the user is taken from namespaced_third_party_user_id, not user_id",
    "user_from_body": "a user_id field in the body overrides the token's user",
    "number_ignores_country_code": "a challenge is bound to the phone_number only, whatever the countryCode",
    "exp_leeway_60": "exp may be up to 60 s past (not 30)",
    "exp_no_leeway": "exp is judged with no leeway (a token 20 s past exp is refused)",
    "nbf_leeway_60": "nbf may be up to 60 s ahead (not 30)",
    "nbf_no_leeway": "nbf is judged with no leeway (a token with nbf 20 s ahead is refused)",
    "iat_optional": "tokens without iat are accepted",
    "empty_user_id_accepted": "an empty user_id is accepted",
    "client_id_any_type": "a client_id that is not a string is accepted",
    "no_signature_check": "the HS256 signature is not verified",
    "token_in_authorization": "a token in Authorization: Bearer is accepted",
    "content_type_before_auth": "Content-Type is checked before authentication",
    "body_before_content_type": "the body is parsed before the Content-Type is checked",
    "content_type_params_refused": "application/json with parameters (charset) is refused",
    "size_limit_inclusive": "a body of exactly 16 KiB is refused as too large",
    "extra_fields_refused": "unknown extra fields are refused with 400",
    "missing_otp_is_zero": "a verify without otp is judged as otp 0 (401, not 400)",
    "unicode_digits": "digits of any script (Arabic-Indic, fullwidth) are accepted in every field",
    "trailing_newline": "a field with a trailing newline matches its pattern (re.match with $)",
    "phone_number_15_digits": "phone numbers of 15 digits are accepted",
    "numeric_phone_number": "a JSON number as phone_number is accepted",
    "country_code_leading_zero": "countryCode +0... is accepted",
    "bool_as_integer": "booleans are accepted as integers 0 and 1 in authCode and otp",
    "code_range_inclusive": "authCode 10000 and otp 1000000 are accepted as integers",
    "compare_as_strings": 'integer authCode and otp are compared as unpadded strings (42 does not equal "0042")',
    "integral_float_refused": "integral floats (5496.0) are refused for authCode and otp",
    "unprocessable_entity": "fields of the wrong type answer 422 instead of 400",
    "race_sends": "register and resend check the limits, yield, then record: concurrent sends pass together",
    "refused_restarts_cooldown": "a refused (429) send restarts the cooldown",
    "refused_counts_in_window": "a refused (429) send counts toward the send window",
    "refused_send_rotates_otp": "a refused (429) send still replaces the pending OTP",
    "limits_per_user": "the sending limits are kept per user and number, not per number",
    "limits_ignore_country_code": "the sending limits are counted per phone_number, whatever the countryCode",
    "cooldown_too_long": "the cooldown is enforced as 1.5 times its length plus 1 s",
    "window_allows_one_more": "the send window allows one send more than the maximum",
    "window_one_short": "the send window allows one send less than the maximum",
    "retry_after_zero": "Retry-After is rounded down (0 when under a second is left)",
    "retry_after_too_long": "a refused send's Retry-After is the whole send window plus a minute, whatever refused it",
    "retry_after_fractional": "Retry-After is given in fractional seconds",
    "no_retry_after_on_lockout": "TOO_MANY_ATTEMPTS answers lack Retry-After",
    "leak_otp_on_lockout": "the TOO_MANY_ATTEMPTS message names the OTP",
    "leak_otp_on_cooldown": "the TOO_MANY_REQUESTS message names the OTP sent",
    "leak_token_header": "400 answers echo the token in a header",
    "error_extra_key": "error bodies carry an extra status key",
    "no_allow_header": "405 answers lack the Allow header",
    "trailing_slash_redirect": "a path with a trailing slash redirects instead of 404",
    # where clauses meet (issue 22): another user on the same number, what one operation leaves for the next, exact identities, every digit
    "user_id_case_insensitive": "user ids are compared ignoring letter case (Alice's challenge is Alice's twin's too)",
    "fallback_to_any_users_challenge": "a user with no challenge for a number verifies against another user's challenge for it",
    "wrong_guesses_per_number": "a wrong guess on a number counts against every user's challenge for it",
    "otp_last_digit_ignored": "the OTP's last digit is not compared",
    "authcode_first_digit_ignored": "the authCode's first digit is not compared",
    "verify_resets_send_limits": "a successful verify clears the number's sends (cooldown and window start over)",
    "register_keeps_lock": "register on a locked challenge starts a new one that keeps the failed attempts",
    "window_counts_registers_only": "resends do not count toward the send window",
    # the token's place and the extremes of JSON (issue 22): each takes a token from one more place, or mishandles one kind of JSON value
    "token_in_cookie": "a token in a user-jwt-token cookie is accepted when the header is missing",
    "token_in_other_cookie": "a token in a cookie named token, jwt or access_token is accepted when the header is missing",
    "token_in_query": "a token in the query string (user-jwt-token or token) is accepted",
    "token_in_body": "a token in the body (a user-jwt-token or token field) is accepted",
    "token_header_underscore": "a token in a user_jwt_token header (underscores, another name) is accepted",
    "token_header_prefixed": "a token in an X-User-Jwt-Token header is accepted",
    "huge_number_500": "a number beyond any float (1e400, a 400-digit integer) anywhere in the body raises a 500",
    "big_int_wraps": "integer authCode and otp are taken modulo 2**64 (an int64 overflow), so the right code plus 2**64 verifies",
    "exponent_int_refused": "integers written with an exponent (5.496e3, 54960e-1) are refused for authCode and otp",
    "negative_zero_refused": "-0 and -0.0 are refused as negative for authCode and otp (they are the integer 0)",
    "non_json_constants": "NaN, Infinity and -Infinity are parsed as numbers (they are not JSON)",
    "escaped_strings_refused": "a body with \\u escapes in its strings is refused (fields matched before unescaping)",
    "array_unwrapped": "a one-element array is read as its element in every field",
    # a send that sends nothing (issue 22): the answer says 200, the inbox keeps what it had
    "resend_sends_nothing": "resend answers 200 with its authCode but sends no OTP (the inbox keeps the previous one, or has none)",
    "register_again_sends_nothing": "register to a number sent to before answers 200 but sends no new OTP (the inbox keeps the previous one)",
    # whole-service failures and performance (load tests, fail-safe tests)
    "html_502": "every response is an HTML 502 page",
    "all_500": "every response is a 500",
    "slow_verify": "verify takes PARAM ms longer (default 400)",
    "fail_ratio": "a PARAM share of requests fail with 503 (default 0.03)",
    "stall": "every response is held from START to START+LENGTH s after the first request with a token and a phone number (START > 1e9: a Unix time) (default 4:2)",
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
