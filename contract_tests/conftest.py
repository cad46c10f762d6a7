pytest_plugins = [
    "contract_tests.plugins.target",
    "contract_tests.plugins.identities",
    "contract_tests.plugins.otp",
    "contract_tests.plugins.aged",
    "contract_tests.plugins.reporting",
    "otp_suite.contract.scheduling",
]
