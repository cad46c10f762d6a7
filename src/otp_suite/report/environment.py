"""What the report says about the run: target, spec hash, policy, suite version, git revision.

Written as ``environment.properties`` and ``executor.json`` into the results folder, where
Allure picks them up. Only :meth:`SuiteConfig.public_summary` values go in: never a secret.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from otp_suite import __version__
from otp_suite.config import PROJECT_ROOT, SuiteConfig

#: Written into the container image at build time, where there is no .git to ask.
REVISION_FILE = PROJECT_ROOT / "REVISION"


def spec_sha256(spec_path: Path) -> str:
    """The SHA-256 of the OpenAPI file the run checked against, or a note that it is missing."""
    try:
        return hashlib.sha256(Path(spec_path).read_bytes()).hexdigest()
    except OSError:
        return f"missing ({spec_path})"


def git_revision(root: Path = PROJECT_ROOT) -> str:
    """The suite's git commit (``+dirty`` when the work tree has changes), else the REVISION file."""
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return REVISION_FILE.read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        return "unknown"


def environment_entries(config: SuiteConfig, *, target_label: str | None = None) -> dict[str, str]:
    """The key/value pairs shown under 'Environment' in the report (``target_label`` overrides 'target')."""
    entries: dict[str, str] = {
        "suite.version": __version__,
        "suite.git_revision": git_revision(),
        "spec.path": Path(config.spec_path).name,
        "spec.sha256": spec_sha256(config.spec_path),
    }
    for key, value in config.public_summary().items():
        entries[key.replace(" ", "_")] = str(value)
    if target_label:
        entries["target"] = target_label
    return entries


def _escape_property(text: str) -> str:
    # java.util.Properties syntax: backslash escapes, and no raw newlines in a value.
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("=", "\\=").replace(":", "\\:")


def write_environment(results_dir: Path, config: SuiteConfig, *, target_label: str | None = None) -> Path:
    """Write ``environment.properties`` for ``config`` into ``results_dir``; return its path."""
    path = Path(results_dir) / "environment.properties"
    entries = environment_entries(config, target_label=target_label)
    lines = [f"{_escape_property(key)}={_escape_property(value)}" for key, value in entries.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_executor(results_dir: Path, *, build_name: str | None = None, build_url: str | None = None) -> Path:
    """Write ``executor.json`` (who ran the gate, which build) into ``results_dir``."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    executor: dict[str, object] = {
        "name": "otp-suite gate",
        "type": "otp-suite",
        "buildName": build_name or f"otp-suite {__version__} at {stamp}",
        "reportName": "OTP API gate",
    }
    if build_url:
        executor["buildUrl"] = build_url
    path = Path(results_dir) / "executor.json"
    path.write_text(json.dumps(executor, indent=2), encoding="utf-8")
    return path
