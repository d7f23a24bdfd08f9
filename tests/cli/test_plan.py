"""``plan`` says whether it read a directory: the membership warnings need one, and without
one they are skipped, which the reader must be told."""

from __future__ import annotations

import json
import shutil

import pytest

from ownscim_infra.cli import main
from tests.conftest import EXAMPLE, REPO


@pytest.fixture
def solo(tmp_path):
    """config/example.yaml with no directory beside it."""
    path = tmp_path / "acme.yaml"
    shutil.copy(EXAMPLE, path)
    return path


def plan(capsys, *argv: str) -> str:
    assert main(["plan", *argv]) == 0
    return capsys.readouterr().out


def test_plan_names_the_directory_it_read(capsys, monkeypatch, solo):
    monkeypatch.chdir(REPO)
    text = plan(capsys, "config/example.yaml").splitlines()
    assert text[2] == "with directory config/example-directory.yaml"  # the one beside the config
    text = plan(capsys, str(solo), "--directory", "config/example-directory.yaml").splitlines()
    assert text[2] == "with directory config/example-directory.yaml"
    assert "With directory `config/example-directory.yaml`." in plan(capsys, "--format", "markdown").splitlines()
    assert json.loads(plan(capsys, "--format", "json"))["directory"] == "config/example-directory.yaml"


def test_plan_without_a_directory_says_the_membership_warnings_are_skipped(capsys, solo):
    text = plan(capsys, str(solo)).splitlines()
    assert (
        text[2] == "no directory: membership warnings skipped (--directory FILE; default NAME-directory.yaml beside it)"
    )
    assert len(text[2]) <= 100
    markdown = plan(capsys, str(solo), "--format", "markdown")
    assert (
        "\n\nNo directory: membership warnings skipped (--directory FILE; default NAME-directory.yaml beside it).\n\n"
        in markdown
    )
    assert json.loads(plan(capsys, str(solo), "--format", "json"))["directory"] is None
