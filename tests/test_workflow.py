"""The pull-request workflow (.github/workflows/review.yml): valid against GitHub's workflow
schema, and its review step run for real on a throw-away git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, example_data

WORKFLOW = REPO / ".github" / "workflows" / "review.yml"
BIN = Path(sys.executable).parent


def test_the_workflow_passes_githubs_schema():
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    doc = yaml.safe_load(WORKFLOW.read_text())
    assert doc[True]["pull_request"]["paths"] == ["config/**"]  # YAML 1.1 reads `on` as true


def review_step() -> str:
    doc = yaml.safe_load(WORKFLOW.read_text())
    return next(s["run"] for s in doc["jobs"]["review"]["steps"] if s.get("id") == "review")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def pull_request(tmp_path: Path):
    """A repository whose main has the examples; returns (repo, base sha, commit(edit))."""
    repo = tmp_path / "repo"
    (repo / "config").mkdir(parents=True)
    shutil.copy(REPO / "config" / "example.yaml", repo / "config" / "acme.yaml")
    shutil.copy(REPO / "config" / "example-directory.yaml", repo / "config" / "acme-directory.yaml")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    base = git(repo, "rev-parse", "HEAD")

    def commit(data: dict) -> None:
        (repo / "config" / "acme.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qam", "change")

    return repo, base, commit


def run_step(repo: Path, base: str) -> tuple[str, str]:
    output = repo / "github-output.txt"
    env = {**os.environ, "BASE_SHA": base, "GITHUB_OUTPUT": str(output), "PATH": f"{BIN}:{os.environ['PATH']}"}
    env = {k: v for k, v in env.items() if not k.startswith("OKTA_")}
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", review_step()],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return (repo / "review.md").read_text(), output.read_text()


def test_a_region_move_is_commented_and_does_not_fail_the_job(pull_request):
    repo, base, commit = pull_request
    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]
    commit(data)
    comment, outputs = run_step(repo, base)
    assert comment.startswith("## Review of `config/acme.yaml`")
    assert "NEEDS ATTENTION" in comment and "jordan.kim@example.com" in comment
    assert "worst=0" in outputs


def test_a_blocked_change_fails_the_job(pull_request):
    repo, base, commit = pull_request
    data = example_data()
    data["people"][0]["regions"] = ["uk1"]  # dana.lee: Okta refuses (E0000046)
    commit(data)
    comment, outputs = run_step(repo, base)
    assert "BLOCKED" in comment and "worst=2" in outputs


def test_an_invalid_config_is_reported_and_fails_the_job(pull_request):
    repo, base, commit = pull_request
    data = example_data()
    data["groups"][0]["regions"] = ["mars1"]
    commit(data)
    comment, outputs = run_step(repo, base)
    assert "cannot be reviewed" in comment and ".regions[0]: region 'mars1'" in comment and "worst=2" in outputs
