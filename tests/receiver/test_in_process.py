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


class _ImportsTried:
    """A finder on ``sys.meta_path`` that finds nothing and remembers every module asked for."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, name, path=None, target=None):  # type: ignore[no-untyped-def]
        self.names.append(name)
        return None


def test_an_in_process_request_imports_nothing(make_settings):
    """httpx's ASGI transport imports ``sniffio`` on every request to learn which async library
    runs; without the package each import searched ``sys.path`` and failed (a third of an
    in-process lookup's cost). With the dependency installed, a request imports nothing."""
    import sys

    with serve_in_process(make_settings()) as receiver:
        client = OktaScimClient(receiver.base_url, TOKEN, transport=receiver.transport)
        tried = _ImportsTried()
        try:
            client.find("warm.up@example.com")  # the modules a first request imports once
            sys.meta_path.insert(0, tried)
            try:
                client.find("jane.doe@example.com")
                client.create("jane.doe@example.com", okta_user())
                client.find("jane.doe@example.com")
            finally:
                sys.meta_path.remove(tried)
        finally:
            client.close()
    assert tried.names == []


def test_the_in_process_receiver_gets_the_headers_okta_sends(make_settings):
    """The request goes to the transport without the client's ``send`` (cookies, redirects):
    the receiver still gets what the client's own request carries, Okta's headers included."""
    from ownscim_infra.offline.scim_client import SCIM_JSON, USER_AGENT

    seen: list[dict[str, str]] = []
    with serve_in_process(make_settings()) as receiver:
        app = receiver.transport._asgi.app

        async def spy(scope, receive, send):  # type: ignore[no-untyped-def]
            if scope["type"] == "http":
                seen.append({k.decode(): v.decode() for k, v in scope["headers"]} | {"path": scope["path"]})
            await app(scope, receive, send)

        receiver.transport._asgi.app = spy
        client = OktaScimClient(receiver.base_url, TOKEN, transport=receiver.transport)
        try:
            created = client.create("jane.doe@example.com", okta_user())
        finally:
            client.close()
    assert created is not None
    (headers,) = seen
    assert headers["path"] == "/scim/v2/Users"
    assert headers["user-agent"] == USER_AGENT and headers["authorization"] == TOKEN
    assert headers["accept"] == "application/scim+json" and headers["content-type"] == SCIM_JSON
    assert headers["host"] == "127.0.0.1:0" and int(headers["content-length"]) > 0
