"""Index of the fixture modules of the suite's own tests (one module per line)."""

pytest_plugins = [
    "contract_fixtures",
    "load_fixtures",
    "report_fixtures",
    "service_fixtures",
]
