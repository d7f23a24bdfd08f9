"""Setting up a fresh clone as the README says: `make` with the Python on the PATH, and the
tests run by `pytest` alone as well as by `python -m pytest`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

BIN = Path(sys.executable).parent


def test_pytest_alone_imports_the_tests_package():
    """`pytest` (the script) does not put the working directory on ``sys.path`` as
    `python -m pytest` does; ``pythonpath`` in pyproject.toml does, so ``tests.conftest``
    imports either way."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [str(BIN / "pytest"), "--collect-only", "-q", "-p", "no:cacheprovider", "tests/config/test_schema.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No module named 'tests'" not in result.stdout + result.stderr
