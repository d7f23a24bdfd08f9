"""Setting up a fresh clone as the README says: `make` with the Python on the PATH (checked
before a venv is made, with fake interpreters in a temporary copy: nothing is installed), and
the tests run by `pytest` alone as well as by `python -m pytest`."""

from __future__ import annotations

import os
import re
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


# --------------------------------------------------------------------------- make with another Python

FAKE_PYTHON = """#!/bin/sh
# Python {version} as far as the Makefile can tell: `-c` runs with that version_info,
# `-m venv DIR` makes DIR/bin/python a copy of this script (kept if there is one: a venv made
# over an old one reuses it), `-m pip` fails as pip does under a Python the package refuses.
case "$1" in
  -c) exec {real} -c "import sys; sys.version_info = ({major}, {minor}, 0, 'final', 0); $2" ;;
  -m) case "$2" in
        venv) mkdir -p "$3/bin"; [ -e "$3/bin/python" ] || cp "$0" "$3/bin/python"; exit 0 ;;
        pip) {pip} ;;
      esac ;;
esac
exit 1
"""


def fake_python(folder: Path, version: str) -> Path:
    major, minor = version.split(".")
    supported = (3, 11) <= (int(major), int(minor)) <= (3, 13)
    refuse = f"echo 'ERROR: Package ownscim-infra requires a different Python: {version}' >&2; exit 1"
    path = folder / f"python{version}"
    path.write_text(
        FAKE_PYTHON.format(
            version=version,
            real=sys.executable,
            major=major,
            minor=minor,
            pip="exit 0" if supported else refuse,
        )
    )
    path.chmod(0o755)
    return path


def clone(tmp_path: Path) -> Path:
    """The files `make .venv/.installed` reads, in a fresh folder."""
    folder = tmp_path / "clone"
    folder.mkdir()
    for name in ("Makefile", "pyproject.toml", "requirements.txt"):
        (folder / name).write_text((REPO / name).read_text())
    return folder


def make(folder: Path, python: Path | str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", ".venv/.installed", f"PYTHON={python}"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_with_a_python_too_old_says_which_are_supported_and_creates_nothing(tmp_path):
    folder = clone(tmp_path)
    old = fake_python(tmp_path, "3.10")
    result = make(folder, old)
    assert result.returncode != 0
    assert f"make: {old} is Python 3.10; ownscim-infra supports Python 3.11 to 3.13" in result.stderr
    assert not (folder / ".venv").exists()
    result = make(folder, tmp_path / "no-such-python")
    assert result.returncode != 0 and "cannot run" in result.stderr and "Python 3.11 to 3.13" in result.stderr
    assert not (folder / ".venv").exists()


def test_make_rebuilds_a_venv_of_another_python(tmp_path):
    """A venv left by an earlier failed install (Python 3.10) is made again, not reused."""
    folder = clone(tmp_path)
    subprocess.run([str(fake_python(tmp_path, "3.10")), "-m", "venv", ".venv"], cwd=folder, check=True)
    result = make(folder, fake_python(tmp_path, "3.12"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "make: .venv is not a working Python 3.12 venv" in result.stdout
    assert (folder / ".venv" / ".installed").exists()
    assert "Python 3.12 as far as" in (folder / ".venv" / "bin" / "python").read_text()


def test_the_makefile_readme_and_package_name_the_same_pythons():
    requires = re.search(r'^requires-python = "(.*)"$', (REPO / "pyproject.toml").read_text(), re.M)
    assert requires is not None and requires.group(1) == ">=3.11,<3.14"
    makefile = (REPO / "Makefile").read_text()
    assert "PYTHON_MIN := 3.11\n" in makefile and "PYTHON_MAX := 3.13\n" in makefile
    assert "`python3` 3.11 to 3.13" in (REPO / "README.md").read_text()


def test_the_readme_says_how_long_make_test_keeps_a_user_waiting():
    """The wall time a user waits (measured with `time make test`), not the CPU time."""
    readme = (REPO / "README.md").read_text()
    assert re.search(r"^make test .*: about \d+ minutes\n\s+# of wall time on 2 cores", readme, re.M)
