"""Run the pinned Allure 3 generator (``package.json``: ``allure``) over a results folder."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from otp_suite.config import PROJECT_ROOT
from otp_suite.report.categories import allure3_categories
from otp_suite.report.labels import AREA_LABEL
from otp_suite.report.paths import ReportPaths

#: Trend charts read this many earlier runs; the file CI caches stays small.
HISTORY_LIMIT = 30
GENERATE_TIMEOUT_S = 180.0


class ReportError(RuntimeError):
    """The report could not be built; ``str()`` names the cause and the fix."""


def allure_command(project_root: Path = PROJECT_ROOT) -> list[str]:
    """The command that runs Allure 3: the project's pinned copy, else one on PATH.

    The pinned copy is run by its package path, not ``node_modules/.bin/allure``: Allure 2's
    ``allure-commandline`` (pinned too, for the suite's own tests) has a bin of the same name.
    """
    pinned = project_root / "node_modules" / "allure" / "cli.js"
    if pinned.exists():
        return [shutil.which("node") or "node", str(pinned)]
    found = shutil.which("allure")
    if found:
        return [found]
    raise ReportError(f"Allure 3 is not installed; run `npm ci` in {project_root} (package.json pins it), or set --no-report")


def allure_config(*, output_dir: Path, history_file: Path, report_name: str) -> dict[str, object]:
    """The ``allurerc.json`` for one run: single file, history, categories, grouped by area."""
    return {
        "name": report_name,
        "output": str(output_dir),
        "historyPath": str(history_file),
        "historyLimit": HISTORY_LIMIT,
        "categories": allure3_categories(),
        "plugins": {
            "awesome": {
                "options": {
                    "reportName": report_name,
                    "singleFile": True,
                    "reportLanguage": "en",
                    "groupBy": [AREA_LABEL],
                    "appendTitlePath": True,
                }
            }
        },
    }


def generate_single_file(results_dir: Path, output_dir: Path, *, history_file: Path, report_name: str, work_dir: Path) -> Path:
    """Generate ``output_dir/index.html`` from ``results_dir``, appending to ``history_file``.

    ``work_dir``, a reports folder, receives the generated ``allurerc.json`` (ReportPaths.allure_config; kept: it documents how the report was built).
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    history_file.parent.mkdir(parents=True, exist_ok=True)
    config_path = ReportPaths(work_dir).allure_config
    config_path.write_text(json.dumps(allure_config(output_dir=output_dir, history_file=history_file, report_name=report_name), indent=2), encoding="utf-8")
    command = [*allure_command(), "generate", "--config", str(config_path), "--output", str(output_dir), str(results_dir)]
    try:
        finished = subprocess.run(command, cwd=work_dir, capture_output=True, text=True, timeout=GENERATE_TIMEOUT_S, env=_node_environment())
    except subprocess.TimeoutExpired:
        raise ReportError(f"Allure did not finish generating the report within {GENERATE_TIMEOUT_S:g} s") from None
    except OSError as error:
        raise ReportError(f"cannot run Allure ({error.strerror}: {command[0]}); is Node.js installed? run `npm ci`") from None
    index = output_dir / "index.html"  # the name Allure gives it
    if finished.returncode != 0 or not index.is_file():
        last_line = (finished.stderr or finished.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ReportError(f"Allure exited {finished.returncode} without a report ({last_line[0][:200]})")
    return index


def _node_environment() -> dict[str, str]:
    import os

    # Only what Node needs: the run's OTP_* values (secrets among them) stay out of the child.
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "CI", "GITHUB_ACTIONS", "GITLAB_CI")
    env = {key: value for key, value in os.environ.items() if key in keep}
    env["NO_COLOR"] = "1"
    return env
