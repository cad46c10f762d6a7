"""The container and cluster files run as documented, checked by the tools their ecosystems use.

Docker cannot run on this machine (no engine), so the image is not built here: the Dockerfile is
linted with hadolint, the compose files are validated against the compose specification
(``check-jsonschema``'s vendored schema), the Kubernetes manifests with ``kubernetes-validate``,
and the properties the documentation promises are read from the files.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from otp_suite.config import PROJECT_ROOT

DOCKERFILE = PROJECT_ROOT / "Dockerfile"
COMPOSE_FILES = (PROJECT_ROOT / "docker-compose.yml", PROJECT_ROOT / "deploy" / "docker-compose.yml")
MANIFESTS = sorted((PROJECT_ROOT / "deploy" / "kubernetes").glob("*.yaml"))


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is not installed in this environment: pip install -c constraints.txt -e . (pyproject pins it)"
    return found


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_dockerfile_is_hadolint_clean():
    finished = _run(_tool("hadolint"), "--no-color", str(DOCKERFILE))

    assert finished.returncode == 0, finished.stdout + finished.stderr


def test_hadolint_flags_a_user_given_by_name(tmp_path):
    named = tmp_path / "Dockerfile"
    named.write_text("FROM python:3.11.11-slim-bookworm\nUSER suite\n", encoding="utf-8")

    finished = _run(_tool("hadolint"), "--no-color", str(named))

    assert finished.returncode == 1 and "DL3066" in finished.stdout + finished.stderr


def test_image_runs_as_a_numeric_user_and_carries_the_profiles():
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")

    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.M)
    assert users and re.fullmatch(r"\d+(:\d+)?", users[-1]), users
    copied = " ".join(re.findall(r"^COPY\s+(.+)$", dockerfile, flags=re.M))
    assert "environments.toml" in copied


def test_docs_show_reports_written_to_a_bind_mount_as_the_calling_user():
    container_doc = (PROJECT_ROOT / "docs" / "container.md").read_text(encoding="utf-8")

    assert '--user "$(id -u):$(id -g)" -v "$PWD/reports:/app/reports"' in container_doc
    assert "/app/environments.toml" in container_doc


def test_compose_files_pass_the_compose_specification():
    finished = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", *map(str, COMPOSE_FILES))

    assert finished.returncode == 0, finished.stdout + finished.stderr


def test_the_compose_specification_rejects_a_broken_service(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  gate:\n    image: otp-suite:local\n    user: [10001]\n", encoding="utf-8")

    assert _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken)).returncode == 1


def test_compose_services_that_bind_mount_reports_can_run_as_the_calling_user():
    for path in COMPOSE_FILES:
        services = yaml.safe_load(path.read_text(encoding="utf-8"))["services"]
        for name, service in services.items():
            if any("reports:/app/reports" in str(volume) for volume in service.get("volumes", [])):
                assert service.get("user") == "${OTP_UID:-10001}:${OTP_GID:-0}", f"{path.name}: {name}"


def test_kubernetes_manifests_pass_kubernetes_validate():
    finished = _run(_tool("kubernetes-validate"), *map(str, MANIFESTS))

    assert finished.returncode == 0, finished.stdout + finished.stderr


def test_kubernetes_validate_rejects_a_broken_manifest(tmp_path):
    broken = tmp_path / "job.yaml"
    broken.write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  backoffLimit: four\n  template:\n    spec:\n      containers: [{name: x, image: otp-suite:0.1.0, imagePullPolicy: Sometimes}]\n", encoding="utf-8"
    )

    assert _run(_tool("kubernetes-validate"), str(broken)).returncode != 0


def test_kubernetes_pods_use_a_locally_built_image_without_pulling_it():
    containers = [
        container
        for path in MANIFESTS
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if document and document.get("kind") == "Job"
        for container in document["spec"]["template"]["spec"]["containers"]
    ]

    assert containers
    for container in containers:
        assert not container["image"].endswith(":latest") and ":" in container["image"], container["image"]
        assert container["imagePullPolicy"] == "IfNotPresent"
