"""``simulate``'s receiver in process (the default) and over HTTP on 127.0.0.1 (``--http``):
Okta's same requests reach the same receiver, and Own's state is read from the receiver's
database in process, through SCIM lookups over HTTP: the report is the same; in process, no
socket."""

from __future__ import annotations

import json
import re
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import yaml

from ownscim_infra.offline.report_text import render_text
from ownscim_infra.offline.simulate import simulate
from tests.conftest import EXAMPLE, REPO, example_data

DIRECTORY = REPO / "config" / "example-directory.yaml"
#: The receiver's URL differs by its port (0 in process: no socket); everything else is the same.
PORT = re.compile(r"127\.0\.0\.1:\d+/scim")

#: Set while a test records the process's sockets (audit hooks cannot be removed once added).
_recording: list[list[tuple[str, object]]] = []


def _audit(event: str, args: tuple) -> None:
    if not _recording:
        return
    ip_socket = event == "socket.__new__" and args[1] in (socket.AF_INET, socket.AF_INET6)
    if ip_socket or event in ("socket.connect", "socket.bind", "socket.getaddrinfo"):
        _recording[-1].append((event, args[1]))


sys.addaudithook(_audit)


@contextmanager
def network_sockets() -> Iterator[list[tuple[str, object]]]:
    """What the code in the block does with network sockets (``socket.__new__`` of an IP
    socket, ``connect``, ``bind``, ``getaddrinfo``: the audit events of :mod:`socket`)."""
    seen: list[tuple[str, object]] = []
    _recording.append(seen)
    try:
        yield seen
    finally:
        _recording.remove(seen)


def _both(text: str) -> str:
    return PORT.sub("127.0.0.1:PORT/scim", text)


def test_in_process_and_http_give_the_same_report():
    in_process = simulate(EXAMPLE, DIRECTORY)
    over_http = simulate(EXAMPLE, DIRECTORY, http=True)
    assert in_process.receiver == "http://127.0.0.1:0/scim/v2"
    assert over_http.receiver != in_process.receiver
    assert _both(render_text(in_process)) == _both(render_text(over_http))
    assert _both(json.dumps(in_process.to_json())) == _both(json.dumps(over_http.to_json()))


def test_a_change_reports_the_same_in_process_and_over_http(tmp_path):
    """A change with deactivations and moves (PATCH, re-creation): the same report either way."""
    data = example_data()
    data["groups"][0]["regions"] = list(reversed(data["groups"][0]["regions"]))
    data["people"] = data["people"][1:]
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(data, sort_keys=False))
    runs = [simulate(new, DIRECTORY, previous=(EXAMPLE, DIRECTORY), http=http) for http in (False, True)]
    changed = [u for u in runs[0].users if u.changes]
    assert changed, "the change must do something to someone"
    assert _both(render_text(runs[0])) == _both(render_text(runs[1]))
    assert _both(json.dumps(runs[0].to_json())) == _both(json.dumps(runs[1].to_json()))


def test_the_in_process_receiver_opens_no_socket():
    with network_sockets() as in_process:
        report = simulate(EXAMPLE, DIRECTORY)
    with network_sockets() as over_http:
        simulate(EXAMPLE, DIRECTORY, http=True)
    assert report.ok and any(u.own is not None and u.own.active for u in report.users)
    assert in_process == []
    # the recording sees the wire when there is one
    assert ("socket.bind", ("127.0.0.1", 0)) in over_http
    assert any(event == "socket.connect" for event, _ in over_http)


def test_in_process_own_is_read_from_the_receivers_database_not_through_scim(monkeypatch):
    """In process, Own's state is read with one query of the receiver's database a user; over
    HTTP (and from ``--receiver URL``) through a SCIM lookup a user, as before."""
    from ownscim_infra.offline import simulate as simulate_module

    lookups: list[str] = []
    lookup = simulate_module.read_own_state

    def counted(reader, login):  # type: ignore[no-untyped-def]
        lookups.append(login)
        return lookup(reader, login)

    monkeypatch.setattr(simulate_module, "read_own_state", counted)
    in_process = simulate(EXAMPLE, DIRECTORY)
    assert lookups == []
    over_http = simulate(EXAMPLE, DIRECTORY, http=True)
    provisioned = [u.login for u in over_http.users if u.own is not None]
    assert provisioned and sorted(lookups) == sorted(provisioned)
    assert [u.own for u in in_process.users] == [u.own for u in over_http.users]
