"""``python -m otp_suite`` runs the CLI."""

from otp_suite.cli import main

main()
