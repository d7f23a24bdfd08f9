"""The receiver in process (:mod:`ownscim_infra.receiver.in_process`): Okta's client reaches the
same application through httpx's ASGI transport, within the same one deadline a request."""

from __future__ import annotations

import threading

import pytest

from ownscim_infra.offline.scim_client import OktaScimClient, ReceiverError
from ownscim_infra.receiver import serve_in_process
from tests.receiver.conftest import TOKEN, okta_user

#: The deadline the test gives the client (seconds): small, so that the test is fast.
DEADLINE = 0.3


def test_okta_creates_then_finds_a_user_in_process(make_settings):
    with serve_in_process(make_settings()) as receiver:
        client = OktaScimClient(receiver.base_url, TOKEN, transport=receiver.transport)
        try:
            assert client.find("jane.doe@example.com") is None
            created = client.create("jane.doe@example.com", okta_user())
            found = client.find("jane.doe@example.com")
        finally:
            client.close()
        state = receiver.store.own_state("jane.doe@example.com")
    assert created is not None and found is not None and found["id"] == created["id"]
    assert found["meta"]["location"] == f"{receiver.base_url}/Users/{created['id']}"
    assert state is not None and state.active
    assert [(e.method, e.status) for e in client.exchanges] == [("GET", 200), ("POST", 201), ("GET", 200)]


def test_a_wrong_token_is_refused_in_process_as_over_http(make_settings):
    with serve_in_process(make_settings()) as receiver:
        client = OktaScimClient(receiver.base_url, "not-the-token", transport=receiver.transport)
        try:
            with pytest.raises(ReceiverError, match=r"rejected the token \(401\)"):
                client.find("jane.doe@example.com")
        finally:
            client.close()


def test_a_request_stuck_in_the_receiver_ends_at_its_deadline(make_settings):
    """The create waits in the receiver's worker lane until released (a stuck storage): the
    client's deadline ends the request, with the message the socket's deadline gives."""
    release = threading.Event()
    with serve_in_process(make_settings()) as receiver:
        handle = receiver.app.sync_handler.handle

        def stuck(request):
            release.wait(30)
            return handle(request)

        receiver.app.sync_handler.handle = stuck  # type: ignore[method-assign]
        client = OktaScimClient(receiver.base_url, TOKEN, deadline=DEADLINE, transport=receiver.transport)
        try:
            with pytest.raises(ReceiverError) as raised:
                client.create("jane.doe@example.com", okta_user())
        finally:
            release.set()
            client.close()
    message = str(raised.value)
    assert f"did not answer POST /Users within {DEADLINE:g} seconds" in message
    assert TOKEN not in message
