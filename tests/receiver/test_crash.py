"""Issue 10: a receiver killed (SIGKILL) in the middle of Okta-style load loses no acknowledged create.

Several rounds: start the real command on one SQLite file (``--durability full``), let several
clients provision users (lookup then create), kill the process at a random moment, then check
the file (``PRAGMA integrity_check``) and that every create answered 201 is stored; the next
round restarts on the same file. A last start checks every acknowledged user over HTTP.

Sizes: ``OWNSCIM_CRASH_ROUNDS`` (default 3) rounds of ``OWNSCIM_CRASH_CLIENTS`` (default 4)
clients; run bigger with e.g. ``OWNSCIM_CRASH_ROUNDS=30 pytest tests/receiver/test_crash.py -s``.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import httpx

from ownscim_infra.receiver.models import fold

from .conftest import OKTA_AGENT, TOKEN, free_port, interrupt, okta_user, start_receiver, wait_until_serving

ROUNDS = int(os.environ.get("OWNSCIM_CRASH_ROUNDS", "3"))
CLIENTS = int(os.environ.get("OWNSCIM_CRASH_CLIENTS", "4"))


def _start(db: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    args = ["--regions", "us1,emea2", "--port", str(port), "--db", str(db), "--durability", "full"]
    with log.open("ab") as out:
        process = start_receiver(*args, "--log-level", "warning", stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}/scim/v2"
    try:
        wait_until_serving(process, base)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {log.read_text()[-2000:]}") from None
    return process, base


def _provision(base: str, prefix: str, stop: threading.Event, acknowledged: dict[str, str], lock: threading.Lock):
    headers = {"Authorization": f"Bearer {TOKEN}", "User-Agent": OKTA_AGENT}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        i = 0
        while not stop.is_set():
            name = f"{prefix}-{i}@example.com"
            i += 1
            try:
                client.get("/Users", params={"filter": f'userName eq "{name}"', "startIndex": 1, "count": 100})
                response = client.post("/Users", json=okta_user(name))
            except httpx.TransportError:
                return  # killed
            if response.status_code == 201:
                with lock:
                    acknowledged[name] = response.json()["id"]


def test_every_acknowledged_create_survives_sigkill_mid_load(tmp_path):
    db, log = tmp_path / "own.db", tmp_path / "receiver.log"
    rng = random.Random(int(os.environ.get("OWNSCIM_CRASH_SEED", "10")))
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()
    for round_ in range(ROUNDS):
        process, base = _start(db, log)
        stop = threading.Event()
        clients = [
            threading.Thread(target=_provision, args=(base, f"r{round_}c{k}", stop, acknowledged, lock))
            for k in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        time.sleep(rng.uniform(0.3, 1.2))  # in the middle of the load
        process.send_signal(signal.SIGKILL)
        process.wait()
        stop.set()
        for client in clients:
            client.join()

        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            stored = dict(conn.execute("SELECT user_name_key, id FROM resources").fetchall())
        missing = [name for name in acknowledged if stored.get(fold(name)) != acknowledged[name]]
        assert not missing, f"round {round_}: {len(missing)} acknowledged creates lost, e.g. {missing[:3]}"

    process, base = _start(db, log)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            found = 0
            for name, user_id in acknowledged.items():
                page = client.get("/Users", params={"filter": f'userName eq "{name}"'}).json()
                found += [r["id"] for r in page["Resources"]] == [user_id]
    finally:
        interrupt(process, 30)
    contents = b"".join(p.read_bytes() for p in tmp_path.glob("own.db*"))
    print(f"\ncrash: {ROUNDS} rounds x {CLIENTS} clients, {len(acknowledged)} creates acknowledged, {found} found")
    assert acknowledged, "no create was acknowledged before the kills"
    assert found == len(acknowledged)
    assert TOKEN.encode() not in contents and okta_user()["password"].encode() not in contents
