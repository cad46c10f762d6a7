"""The reference OTP service: the suite's embedded default target, implementing the contract."""

from otp_suite.service.app import ServiceSettings, create_app

__all__ = ["ServiceSettings", "create_app"]
