"""The contract test suite: Schemathesis, scenario flows and security checks against any target.

Run with ``otp-suite contract`` or ``pytest contract_tests`` (same OTP_* variables)."""
