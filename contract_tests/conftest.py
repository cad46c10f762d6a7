pytest_plugins = [
    "contract_tests.plugins.target",
    "contract_tests.plugins.identities",
    "contract_tests.plugins.otp",
    "otp_suite.contract.scheduling",  # before plugins.aged, which imports it
    "contract_tests.plugins.aged",
    "contract_tests.plugins.reporting",
]
