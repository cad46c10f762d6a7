"""otp-suite: contract and load tests for an OTP authentication API."""

__version__ = "0.1.0"
