"""Issue 10: the receiver refuses to start, in one line and with exit code 2, before announcing anything.

Each case runs the real command (``python -m ownscim_infra receiver``). Root writes to files
whatever their mode, so when the tests run as root the read-only cases also mark the file or
the folder immutable (``chattr +i``), and skip where that is not possible.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ownscim_infra.receiver import ReceiverSettings, serve_in_background

from .conftest import REGIONS, TOKEN, seed_users


def _receiver(db: Path, port: int = 0) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "OWN_SCIM_TOKEN"} | {"OWN_SCIM_TOKEN": TOKEN}
    return subprocess.run(
        [sys.executable, "-m", "ownscim_infra", "receiver", "--regions", "us1", "--db", str(db), "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def read_only() -> Iterator[Callable[[Path], None]]:
    """Make a file or a folder read-only, for root too; undone after the test."""
    immutable: list[Path] = []

    def make(path: Path) -> None:
        path.chmod(0o555 if path.is_dir() else 0o444)
        if os.geteuid() != 0:
            return
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
            pytest.skip("running as root, and chattr +i is not available to make a file read-only")
        immutable.append(path)

    yield make
    for path in immutable:
        subprocess.run(["chattr", "-i", str(path)], check=False)
    for path in immutable:
        with contextlib.suppress(OSError):
            path.chmod(0o755 if path.is_dir() else 0o644)


def _database(folder: Path, users: int = 0) -> Path:
    db = folder / "own.db"
    settings = ReceiverSettings(regions=REGIONS, token=TOKEN, db_path=db)
    with serve_in_background(settings) as receiver:
        seed_users(receiver, users)
    return db


def _corrupt(folder: Path) -> Path:
    db = _database(folder, users=400)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with db.open("r+b") as file:  # scribble over the middle pages, as a failing disk would
        size = db.stat().st_size
        file.seek(size // 2 - 8192)
        file.write(os.urandom(16384))
    return db


def _read_only_file(folder: Path, read_only: Callable[[Path], None]) -> Path:
    db = _database(folder)
    read_only(db)
    return db


def _read_only_folder(folder: Path, read_only: Callable[[Path], None]) -> Path:
    inner = folder / "locked"
    inner.mkdir()
    db = _database(inner)
    read_only(inner)
    return db


def _not_a_database(folder: Path, read_only: Callable[[Path], None]) -> Path:
    db = folder / "notes.db"
    db.write_text("these are my notes, not a database\n" * 100)
    return db


CASES: dict[str, tuple[Callable[[Path, Callable[[Path], None]], Path], str]] = {
    "missing-folder": (lambda folder, _: folder / "no" / "such" / "own.db", "does not exist"),
    "read-only-file": (_read_only_file, "cannot be written"),
    "read-only-folder": (_read_only_folder, "cannot be written"),
    "not-a-database": (_not_a_database, "is not a SQLite database"),
    "corrupt": (lambda folder, _: _corrupt(folder), "is corrupt"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_database_that_cannot_be_used_is_one_line_and_exit_2(tmp_path, read_only, case):
    make, reason = CASES[case]
    db = make(tmp_path, read_only)

    result = _receiver(db)

    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"receiver: the database {db}") and reason in result.stderr
    assert "Traceback" not in result.stderr and "serving" not in result.stderr
    assert TOKEN not in result.stderr + result.stdout


def test_a_busy_port_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = _receiver(tmp_path / "own.db", taken.getsockname()[1])

    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "cannot listen on 127.0.0.1:" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "serving" not in result.stderr


def test_serve_in_background_raises_the_same_one_line_error(tmp_path):
    from ownscim_infra.receiver.settings import StartupError

    with (
        pytest.raises(StartupError) as caught,
        serve_in_background(ReceiverSettings(regions=REGIONS, token=TOKEN, db_path=tmp_path / "missing" / "own.db")),
    ):
        pass
    assert "does not exist" in str(caught.value) and "\n" not in str(caught.value)
