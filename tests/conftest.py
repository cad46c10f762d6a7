"""Index of the fixture modules of the suite's own tests (one module per line)."""

pytest_plugins = [
    "service_fixtures",
]
