"""Fixtures for the receiver tests: settings on a temporary SQLite file; the receiver's ASGI
application in process (Own's rules, the protocol: ``receiver``, ``receiver_apply``,
:func:`in_process`) or served by real uvicorn on 127.0.0.1 (transport behaviour: ``served``,
``serve_in_background``)."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from ownscim_infra.receiver import ReceiverSettings, create_app, serve_in_background

TOKEN = "test-token-9f8e7d6c5b4a"
REGIONS = ("us1", "emea2")
OKTA_AGENT = "Okta SCIM Client 1.0.0"
SCIM_JSON = "application/scim+json; charset=utf-8"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
OWN_SCHEMA = "urn:ownscim:params:scim:schemas:extension:own:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def okta_user(user_name: str = "jane.doe@example.com", **extra: Any) -> dict[str, Any]:
    """The body Okta's SCIM client POSTs to /Users (Okta SCIM 2.0 protocol reference)."""
    local = user_name.split("@")[0]
    body: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": local.split(".")[0].title(), "familyName": "Doe"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": f"{local} Doe",
        "locale": "en-US",
        "externalId": "00u1abcd2EFGH3ijk4x7",
        "groups": [],
        "password": "1mz050nq!Secret",
        "active": True,
    }
    body.update(extra)
    return body


def deactivate(active: Any = False, path: str | None = None) -> dict[str, Any]:
    """Okta's deactivation PatchOp (no ``path``), or the ``path: "active"`` form."""
    operation: dict[str, Any] = {"op": "replace", "value": {"active": active}}
    if path is not None:
        operation = {"op": "replace", "path": path, "value": active}
    return {"schemas": [PATCH_SCHEMA], "Operations": [operation]}


@pytest.fixture
def make_settings(tmp_path) -> Callable[..., ReceiverSettings]:
    def make(**overrides: Any) -> ReceiverSettings:
        values: dict[str, Any] = {"regions": REGIONS, "token": TOKEN, "db_path": tmp_path / "own.db"}
        values.update(overrides)
        return ReceiverSettings(**values)

    return make


@pytest.fixture(scope="module")
def make_settings_module(tmp_path_factory) -> Callable[..., ReceiverSettings]:
    """:func:`make_settings` for module-scoped fixtures: each call gets a database file of its own."""
    folder = tmp_path_factory.mktemp("receiver")
    made = iter(range(1_000_000))

    def make(**overrides: Any) -> ReceiverSettings:
        values: dict[str, Any] = {"regions": REGIONS, "token": TOKEN, "db_path": folder / f"own-{next(made)}.db"}
        values.update(overrides)
        return ReceiverSettings(**values)

    return make


#: The applications served in process, by the origin of their base URL.
_IN_PROCESS: dict[str, Any] = {}
#: Hosts for the in-process receivers' base URLs: each its own loopback address (127.0.0.0/8) and
#: the discard port, so that a URL used by mistake outside :func:`okta_client` stays on this machine.
_HOSTS = itertools.cycle(f"127.0.0.{n}" for n in range(2, 255))


@dataclass(frozen=True)
class InProcessReceiver:
    """The receiver's ASGI application, called in this process (no socket, no uvicorn): what
    :func:`okta_client` gives for its ``base_url`` is an HTTP client that calls the application
    (starlette's TestClient, an ``httpx.Client``)."""

    app: Any
    base_url: str

    @property
    def store(self) -> Any:
        return self.app.store


@contextmanager
def in_process(settings: ReceiverSettings) -> Iterator[InProcessReceiver]:
    """The receiver of ``settings`` in process; closed (its database too) on exit."""
    app = create_app(settings)
    origin = f"http://{next(_HOSTS)}:9"
    _IN_PROCESS[origin] = app
    try:
        yield InProcessReceiver(app, f"{origin}/scim/v2")
    finally:
        del _IN_PROCESS[origin]
        app.close()


@pytest.fixture
def receiver(make_settings) -> Iterator[InProcessReceiver]:
    """A receiver in Own's default mode (attribute updates refused), in process."""
    with in_process(make_settings()) as handle:
        yield handle


@pytest.fixture
def receiver_keep(make_settings) -> Iterator[InProcessReceiver]:
    """A receiver with ``--deactivation keep`` (a deactivated user stays, inactive), in process."""
    with in_process(make_settings(deactivation="keep")) as handle:
        yield handle


@pytest.fixture
def okta_keep(receiver_keep) -> Iterator[httpx.Client]:
    """:func:`okta` against :func:`receiver_keep`."""
    with okta_client(receiver_keep.base_url) as client:
        yield client


@pytest.fixture
def receiver_apply(make_settings) -> Iterator[InProcessReceiver]:
    """A receiver with ``--attribute-updates apply``, in process."""
    with in_process(make_settings(attribute_updates="apply")) as handle:
        yield handle


@pytest.fixture
def served(make_settings) -> Iterator[Any]:
    """A receiver in Own's default mode served by uvicorn on 127.0.0.1 (for transport behaviour)."""
    with serve_in_background(make_settings()) as handle:
        yield handle


def okta_client(base_url: str, authorization: str | None = f"Bearer {TOKEN}", **headers: str) -> httpx.Client:
    """An HTTP client that talks to the receiver at ``base_url`` as Okta's SCIM client does: over
    HTTP, or straight to the application when ``base_url`` is an in-process receiver's."""
    sent = {"User-Agent": OKTA_AGENT, "Accept": "application/scim+json"} | headers
    if authorization is not None:
        sent["Authorization"] = authorization
    url = urlsplit(base_url)
    app = _IN_PROCESS.get(f"{url.scheme}://{url.netloc}")
    if app is not None:
        client = TestClient(app, base_url=base_url)
        client.headers.update(sent)  # replaces its "testclient" User-Agent
        return client
    return httpx.Client(base_url=base_url, headers=sent, timeout=10.0)


@pytest.fixture
def okta(receiver) -> Iterator[httpx.Client]:
    """An HTTP client that talks to the receiver as Okta's SCIM client does."""
    with okta_client(receiver.base_url) as client:
        yield client


def seed_users(receiver: Any, count: int, prefix: str = "seed", **extra: Any) -> None:
    """Store ``count`` users of Okta's create body straight through the storage API (fast set-up);
    ``userName`` is ``{prefix}{i}@example.com``."""
    import json

    service = receiver.app.service
    user_type = service.resource_type_at("Users")
    with service.provider:
        resources = [
            service.read_creation(
                user_type, json.dumps(okta_user(f"{prefix}{i}@example.com", **extra)).encode(), SCIM_JSON
            )
            for i in range(count)
        ]
    store = receiver.store
    create_many = getattr(store, "create_many", None)
    if create_many is not None:
        with service.provider:
            create_many(user_type, resources)
    else:  # a storage without create_many: one transaction
        with service.provider, store.operation():
            for resource in resources:
                store.create(user_type, resource)


def raw_exchange(host: str, port: int, *chunks: bytes, pause: float = 0.0, patience: float = 10.0) -> bytes:
    """Send ``chunks`` on a new connection (``pause`` seconds apart), then read until the server
    closes it; ``patience`` bounds the wait (the answer so far is returned, then)."""
    import socket
    import time

    received = b""
    with socket.create_connection((host, port), timeout=patience) as sock:
        for chunk in chunks:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server closed the connection: read what it said
            if pause:
                time.sleep(pause)
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionResetError:
                return received  # closed, with unread data on the server's side
            if not data:
                return received
            received += data
    return received + b"<<still open>>"


# -- the real command, in a subprocess -------------------------------------------------------------


def free_port() -> int:
    """A TCP port free on 127.0.0.1 at the time of the call."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_receiver(*args: str, token: str | None = TOKEN, **popen: Any) -> subprocess.Popen:
    """``python -m ownscim_infra receiver ARGS`` in a subprocess, with ``OWN_SCIM_TOKEN`` set to
    ``token`` (unset when ``None``); ``popen`` goes to :class:`subprocess.Popen` (stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "OWN_SCIM_TOKEN"}
    if token is not None:
        env["OWN_SCIM_TOKEN"] = token
    return subprocess.Popen([sys.executable, "-m", "ownscim_infra", "receiver", *args], env=env, **popen)


def wait_until_serving(process: subprocess.Popen, base_url: str, seconds: float = 30) -> None:
    """Poll ``base_url/ServiceProviderConfig`` until it answers 200.

    :raises AssertionError: the process ended, or ``seconds`` passed (the process is then killed)."""
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/ServiceProviderConfig", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    process.wait()
    raise AssertionError(f"the receiver did not start (exit code {process.returncode})")


def interrupt(process: subprocess.Popen, seconds: float = 15) -> tuple[Any, Any]:
    """Ctrl-C (SIGINT) to ``process`` and its ``(stdout, stderr)``; killed if it has not ended
    within ``seconds`` (its exit code then says so)."""
    process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()
