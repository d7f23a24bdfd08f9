"""The examples' outputs, byte for byte: ``plan`` (every format) and ``simulate`` (text, JSON).

The files under ``golden/`` are what a reviewer reads. A change to them is a change of
behaviour and is made on purpose: regenerate them with ``OWNSCIM_UPDATE_GOLDEN=1 make test``
and read the diff in the pull request. The receiver's port, chosen by the OS, is the only
thing normalised.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

GOLDEN = Path(__file__).parent / "golden"
EXAMPLE = "config/example.yaml"
DIRECTORY = "config/example-directory.yaml"
PORT = re.compile(r"127\.0\.0\.1:\d+/scim")

CASES = {
    "example.plan.text": ["plan", EXAMPLE, "--format", "text"],
    "example.plan.markdown": ["plan", EXAMPLE, "--format", "markdown"],
    "example.plan.json": ["plan", EXAMPLE, "--format", "json"],
    "example.simulate.text": ["simulate", EXAMPLE, "--directory", DIRECTORY],
    "example.simulate.json": ["simulate", EXAMPLE, "--directory", DIRECTORY, "--format", "json"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_is_the_reviewed_one(name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ownscim_infra", *CASES[name]], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    output = PORT.sub("127.0.0.1:PORT/scim", result.stdout)
    golden = GOLDEN / name
    if os.environ.get("OWNSCIM_UPDATE_GOLDEN") == "1":
        golden.write_text(output, encoding="utf-8")
    assert output == golden.read_text(encoding="utf-8")
