"""Okta's emulated SCIM client against a hostile receiver: one that drips its answer one byte at a
time, each byte within httpx's per-read timeout, so that only a deadline for the whole request
ends it (issue 21 item 11). The server is real, on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from ownscim_infra.offline.scim_client import OktaScimClient, ReceiverError
from tests.cli.runner import ownscim

#: The deadline the tests give the client (seconds): small, so that the tests are fast.
DEADLINE = 0.6
#: Seconds between two bytes of the dripping server: within the client's per-read timeout
#: (httpx's timeout is the deadline too), so no read ever times out.
DRIP = 0.1


@pytest.fixture
def dripping_server() -> Iterator[str]:
    """A server on 127.0.0.1 that answers every request with a status line and headers sent one
    byte every :data:`DRIP` seconds, never ending them, until the client hangs up (or 60 s);
    yields its SCIM base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)  # the request (small: a lookup)
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\n"
                filler = b"X-Drip: " + b"." * 10_000
                for n in range(600):  # 60 s at most
                    if stop.is_set():
                        return
                    conn.sendall((head + filler)[n : n + 1])
                    stop.wait(DRIP)
            except OSError:  # the client hung up
                return

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/scim/v2"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_a_request_to_a_dripping_receiver_ends_at_its_deadline(dripping_server):
    client = OktaScimClient(dripping_server, "a-token", deadline=DEADLINE)
    try:
        with pytest.raises(ReceiverError) as raised:
            client.find("ann@example.com")
    finally:
        client.close()
    message = str(raised.value)
    assert f"did not answer GET /Users within {DEADLINE:g} seconds" in message
    assert "a-token" not in message and "\n" not in message


def test_simulate_against_a_dripping_receiver_answers_one_line_and_exits_2(dripping_server):
    ran = ownscim(
        "simulate", "config/example.yaml", "--receiver", dripping_server, "--request-deadline", str(DEADLINE),
        env={"OWN_SCIM_TOKEN": "a-token"},
    )  # fmt: skip
    assert ran.returncode == 2, ran.stderr
    [line] = ran.stderr.strip().splitlines()
    assert f"did not answer GET /Users within {DEADLINE:g} seconds" in line
    assert "Traceback" not in ran.stderr and "a-token" not in ran.stderr


def test_a_deadline_must_be_a_positive_number():
    with pytest.raises(ReceiverError, match="positive number"):
        OktaScimClient("http://127.0.0.1:9/scim/v2", "t", deadline=0)
