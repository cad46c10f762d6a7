"""The unified report: an Allure results folder turned into one offline, secret-free HTML file.

Steps (see :func:`otp_suite.report.build.build_report`): describe the run (environment,
executor, categories), scrub secrets from the results, generate the single-file report with
the pinned Allure 3 (``package.json``), strip its analytics tag, scrub again and verify.
"""

from otp_suite.report.build import ReportError, ReportOutcome, build_report
from otp_suite.report.totals import Totals, count_results

__all__ = ["ReportError", "ReportOutcome", "Totals", "build_report", "count_results"]
