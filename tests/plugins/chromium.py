"""Headless Chromium, shared by the report tests and the gate runs that open the report."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from otp_suite.report.browser import CHROMIUM, INSTALL_SCRIPT


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed by scripts/install-browser.sh when missing (needs root)."""
    if not CHROMIUM.exists():
        finished = subprocess.run(["sh", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=900)
        assert finished.returncode == 0 and CHROMIUM.exists(), f"could not install Chromium: {finished.stderr[-1000:]}"
    return CHROMIUM
