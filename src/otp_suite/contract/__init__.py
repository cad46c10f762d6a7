"""The contract run: HTTP client and inbox for the scenario tests, redaction, and the runner that
executes ``contract_tests`` with pytest and turns its results into an exit code."""
