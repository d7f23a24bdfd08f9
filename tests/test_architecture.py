"""The layout's rules (docs/architecture.md): the import contracts, and what a command loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_every_import_contract_is_kept() -> None:
    result = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _modules_loaded(argv: list[str]) -> set[str]:
    """The modules ``python -m ownscim_infra ARGV`` has imported when it exits."""
    probe = (
        "import atexit, json, sys, runpy\n"
        "atexit.register(lambda: print('MODULES=' + json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
        f"sys.argv = ['ownscim_infra', *{argv!r}]\n"
        "runpy.run_module('ownscim_infra', run_name='__main__')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKTA_")}  # never reach a real org
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    line = next(x for x in result.stderr.splitlines() if x.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES=")))


@pytest.mark.parametrize("command", ["simulate", "plan", "verify", "adopt", "receiver"])
def test_help_loads_no_server_and_no_pulumi(command: str) -> None:
    loaded = _modules_loaded([command, "--help"])
    assert "uvicorn" not in loaded
    assert "pulumi" not in loaded
    assert "pulumi_okta" not in loaded


def test_importing_the_receiver_face_loads_no_server() -> None:
    code = "import sys, ownscim_infra.receiver as r; print('uvicorn' in sys.modules, 'scim2_server' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["False", "False"]


def test_verify_loads_no_pulumi() -> None:
    loaded = _modules_loaded(["verify", "config/example.yaml"])  # no credentials: exits 2 before any request
    assert "ownscim_infra.live.verify" in loaded
    assert not {"pulumi", "pulumi_okta"} & loaded
