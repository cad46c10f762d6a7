"""Test data the suite hands to targets, importable by users of the package.

One module a job: :mod:`~otp_suite.testdata.tokens` (JWTs shaped like the public examples, and the
bad ones), :mod:`~otp_suite.testdata.phone_numbers` (test phone numbers, always inside the
configured ranges) with its ledger :mod:`~otp_suite.testdata.number_ledger`, and
:mod:`~otp_suite.testdata.delaying_proxy` (a loopback TCP proxy that adds network delay), and
:mod:`~otp_suite.testdata.codes` (an OTP or authCode that is certainly wrong).
"""
