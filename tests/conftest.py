"""Index of the fixture modules of the suite's own tests (one module per line)."""

pytest_plugins = [
    "contract_fixtures",
    "failsafe_fixtures",
    "misbehaving_servers",  # before failsafe_target_fixtures, which imports it
    "failsafe_target_fixtures",
    "load_fixtures",
    "report_fixtures",
    "service_fixtures",
    "parallel_groups",  # how tests sharing an expensive fixture stay on one xdist worker
]
