"""The stack settings that name the config (``ownscim:config``, default ``config/<stack>.yaml``):
a stack made by copying Pulumi.example.yaml, as its first line says to, reads its own config,
never the example's."""

from __future__ import annotations

import shutil

import pulumi
import pytest
import yaml

from ownscim_infra.offline.mocks import run_program
from ownscim_infra.program.stack import declare_stack
from tests.conftest import EXAMPLE, REPO


def example_settings() -> dict[str, str]:
    return {k: str(v) for k, v in yaml.safe_load((REPO / "Pulumi.example.yaml").read_text())["config"].items()}


def test_a_production_stack_copied_from_the_example_settings_does_not_deploy_the_example(tmp_path, monkeypatch):
    (tmp_path / "config").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "config" / "example.yaml")
    monkeypatch.chdir(tmp_path)
    settings = example_settings()  # Pulumi.acme-prod.yaml, copied from Pulumi.example.yaml
    assert "ownscim:config" not in settings
    with pytest.raises(pulumi.RunError) as info:
        run_program(declare_stack, config=settings, secret_keys=[], stack="acme-prod")
    assert str(info.value).splitlines()[-1].strip() == (
        "config/acme-prod.yaml: cannot read the file: No such file or directory"
    )
    # the stack the example is written for still reads the example
    run = run_program(declare_stack, config=settings, secret_keys=[], stack="example")
    assert run.outputs["appLabel"] == "Own"
