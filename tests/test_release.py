"""Release hygiene and the lock: one lock file with hashes (requirements.txt) that satisfies
every requirement of pyproject.toml and that make, pulumi install and the workflows install
from; a wheel built from a clean tagged clone carries the tag's version, the license, py.typed
and the classifiers."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ownscim_infra import PULUMI_OKTA_VERSION
from tests.conftest import REPO

LOCK = REPO / "requirements.txt"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of the lock."""
    text = LOCK.read_text().replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([A-Za-z0-9_.\-\[\],]+)==(\S+)", line)
        assert m, f"not an exact pin: {line[:80]}"
        name = re.sub(r"[-_.]+", "-", m.group(1).split("[")[0]).lower()
        pins[name] = (m.group(2), re.findall(r"--hash=sha256:[0-9a-f]{64}", line))
    return pins


def test_every_locked_package_is_pinned_exactly_with_hashes():
    pins = locked()
    assert len(pins) > 50
    for name, (_, hashes) in pins.items():
        assert hashes, f"{name} has no hash"


def test_the_lock_satisfies_every_requirement_of_pyproject_on_every_python_ci_tests():
    pins = locked()
    requirements = [*PYPROJECT["project"]["dependencies"]]
    for extra in ("test", "policy"):
        requirements += PYPROJECT["project"]["optional-dependencies"][extra]
    for python in ("3.11", "3.12", "3.13"):
        env = {**default_environment(), "python_version": python, "extra": ""}
        for text in requirements:
            req = Requirement(text)
            if req.marker and not req.marker.evaluate(env):
                continue
            name = re.sub(r"[-_.]+", "-", req.name).lower()
            assert name in pins, f"{req.name} is not in the lock: run `make lock`"
            assert req.specifier.contains(pins[name][0], prereleases=True), f"{text} but the lock has {pins[name][0]}"


def test_the_lock_pins_the_provider_the_emulation_documents_and_an_sdk_with_replacement_trigger():
    pins = locked()
    assert pins["pulumi-okta"][0] == PULUMI_OKTA_VERSION
    assert f"pulumi-okta {PULUMI_OKTA_VERSION}" in (REPO / "docs" / "provider-semantics.md").read_text()
    assert Version(pins["pulumi"][0]) >= Version("3.214")
    assert "uvicorn" in pins


def test_make_pulumi_install_and_the_workflows_install_from_the_lock():
    makefile = (REPO / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r requirements.txt" in makefile
    assert "--no-deps --no-build-isolation -e ." in makefile
    runtime = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["runtime"]
    # Pulumi's pip toolchain installs requirements.txt into the virtualenv it names
    assert runtime["options"]["toolchain"] == "pip" and runtime["options"]["virtualenv"] == ".venv"
    review = (REPO / ".github" / "workflows" / "review.yml").read_text()
    assert "--require-hashes -r reviewer/requirements.txt" in review
    assert "make test" in (REPO / ".github" / "workflows" / "test.yml").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "rm -rf .venv" in ci and "make test" in ci


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_a_wheel_from_a_tagged_clean_clone_has_the_tags_version_license_and_py_typed(tmp_path):
    clone = tmp_path / "clone"
    clone.mkdir()
    tracked = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in filter(None, tracked):
        source = REPO / name
        if source.is_file() and not name.startswith(("tests/", "benchmarks/", "docs/")):
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    git(clone, "init", "-q", "-b", "main")
    git(clone, "add", ".")
    git(clone, "commit", "-qm", "release")
    git(clone, "tag", "v9.8.7")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", "dist", "."],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = (clone / "dist").glob("*.whl")
    assert wheel.name.startswith("ownscim_infra-9.8.7-")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "ownscim_infra/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: Apache-2.0" in metadata
    assert "Version: 9.8.7" in metadata
    (requires,) = re.findall(r"^Requires-Python: (.*)$", metadata, re.M)
    assert SpecifierSet(requires) == SpecifierSet(">=3.11,<3.14")
    assert "Classifier: Programming Language :: Python :: 3.13" in metadata
    assert f"Requires-Dist: pulumi-okta=={PULUMI_OKTA_VERSION}" in metadata
    assert "Apache License" in (REPO / "LICENSE").read_text() and "Version 2.0" in (REPO / "LICENSE").read_text()
    assert "## [Unreleased]" in (REPO / "CHANGELOG.md").read_text()


def test_a_clone_with_no_tag_still_builds(tmp_path):
    clone = tmp_path / "clone"
    shutil.copytree(REPO / "ownscim_infra", clone / "ownscim_infra", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, clone / name)
    git(clone, "init", "-q", "-b", "main")
    git(clone, "add", ".")
    git(clone, "commit", "-qm", "no tag yet")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", "dist", "."],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = (clone / "dist").glob("*.whl")
    assert re.match(r"ownscim_infra-0\.\d+(\.\d+)?\.dev\d+", wheel.name), wheel.name
