"""A clean stop of the real command (SIGTERM as a service manager sends it, or Ctrl-C): the writes
are kept, the database is one file (no -wal nor -shm left), the exit code is 0 (issue 22 item 8)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess

import httpx
import pytest

from .conftest import TOKEN, free_port, okta_user, start_receiver, wait_until_serving


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_clean_stop_leaves_one_database_file_with_every_user(tmp_path, stop):
    db = tmp_path / "own.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}/scim/v2"
    proc = start_receiver(
        "--regions", "us1", "--port", str(port), "--db", str(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_until_serving(proc, base)
        for i in range(3):
            created = httpx.post(f"{base}/Users", json=okta_user(f"u{i}@example.com"), headers={"Authorization": TOKEN})
            assert created.status_code == 201
        assert (tmp_path / "own.db-wal").exists()  # WAL mode while serving
    finally:
        proc.send_signal(stop)
        try:
            _, stderr = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()

    assert proc.returncode == 0, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["own.db"]
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT count(*) FROM resources").fetchone() == (3,)


def test_serving_does_not_touch_loggings_private_state(monkeypatch, tmp_path):
    import logging

    from ownscim_infra.cli import main
    from ownscim_infra.receiver import server

    served = []
    monkeypatch.setattr(server, "serve", lambda settings, **kwargs: served.append(settings))
    for flag in ("logThreads", "logProcesses", "logMultiprocessing"):  # public switches the command sets
        monkeypatch.setattr(logging, flag, getattr(logging, flag))
    monkeypatch.setenv("OWN_SCIM_TOKEN", TOKEN)
    before = logging._srcfile

    assert main(["receiver", "--regions", "us1", "--db", str(tmp_path / "own.db")]) == 0

    assert served and logging._srcfile == before
