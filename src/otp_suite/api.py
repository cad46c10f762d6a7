"""The OTP API's names, written once: paths, the token header, operation ids and field patterns.

Everything that speaks to the API (the reference service, the contract suite, the load flows, the
preflight) imports these; openapi.yaml is the contract they must agree with (tests/contract/test_openapi_spec.py).
"""

from __future__ import annotations

import re

#: The header that carries the user's JWT (contract, 'Authentication').
TOKEN_HEADER = "user-jwt-token"

REGISTER_PATH = "/fe/users/auth/otp/register"
RESEND_PATH = "/fe/users/auth/otp/resend"
VERIFY_PATH = "/fe/users/auth/otp/verify"
#: operationId in openapi.yaml -> path.
OPERATION_PATHS = {"registerOtp": REGISTER_PATH, "resendOtp": RESEND_PATH, "verifyOtp": VERIFY_PATH}
#: The operations that may send an SMS, so every request to them must use a test number.
SENDING_OPERATIONS = frozenset({"registerOtp", "resendOtp"})
OTP_PATHS = (REGISTER_PATH, RESEND_PATH, VERIFY_PATH)

#: The reference service's test inbox: GET ?countryCode=%2B999&phone_number=5550... -> the last OTP.
INBOX_PATH = "/__test__/otp"
#: The reference service's readiness endpoint.
READY_PATH = "/__ready__"

#: A country code: "+" and 1 to 3 digits, no leading zero.
COUNTRY_CODE_PATTERN = r"\+[1-9][0-9]{0,2}"
COUNTRY_CODE = re.compile(COUNTRY_CODE_PATTERN)
#: A phone number without its country code: 6 to 14 digits.
PHONE_NUMBER = re.compile(r"[0-9]{6,14}")
#: A one-time password: 6 digits.
OTP = re.compile(r"[0-9]{6}")
#: An authCode, the challenge's handle: 4 digits.
AUTH_CODE = re.compile(r"[0-9]{4}")
