"""Load tests: the locustfile's building blocks, the headless runner and the SLO gate.

``run_load(config, options, reports_dir=..., allure_dir=..., echo=...) -> LoadOutcome`` is the
entry point for ``otp-suite load`` and ``otp-suite gate``.
"""

from otp_suite.loadtest.options import LoadOptions, load_options
from otp_suite.loadtest.pacing import EMBEDDED_LOAD_POLICY
from otp_suite.loadtest.runner import LoadOutcome, run_load
from otp_suite.loadtest.slo import DEFAULT_SLOS, SloResult, SloThreshold

__all__ = ["DEFAULT_SLOS", "EMBEDDED_LOAD_POLICY", "LoadOptions", "LoadOutcome", "SloResult", "SloThreshold", "load_options", "run_load"]
