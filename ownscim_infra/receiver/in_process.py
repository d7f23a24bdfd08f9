"""The receiver in the caller's process, without a socket: its ASGI application behind an httpx transport.

``simulate`` and ``review`` start a receiver for each run and send it Okta's requests from
the same process. Over HTTP on 127.0.0.1 each request crossed the loopback twice, uvicorn's
parser and the GIL's handover to uvicorn's thread (about 2.3 ms a request, three a user).
Here the same requests, built by the same :class:`httpx.Client`
(:class:`~ownscim_infra.offline.scim_client.OktaScimClient`), reach the same application
(:class:`~.app.ReceiverApplication`: authentication, bounds, the lookup's fast path, the
worker lanes, the storage) through :class:`httpx.ASGITransport`, httpx's own in-process
transport (https://www.python-httpx.org/advanced/transports/#asgi-transport). httpx's ASGI
transport is asynchronous; :class:`InProcessTransport` runs it on an event loop of its own
(uvloop's, as uvicorn serves the receiver) for the synchronous client, one request at a time.

**The deadline.** Each request may take ``deadline`` seconds in all (the client's request
deadline, which it also gives httpx as its timeout: the ``timeout`` request extension's
``read``). Over a socket the client shuts the socket down when it passes; here there is no
socket: the request runs under :func:`asyncio.timeout`, which cancels the application where it
waits (a worker lane, the storage's writer) and raises :class:`httpx.ReadTimeout`. Code the
application runs on the event loop itself without awaiting cannot be cancelled; that is
constant work only (the authentication, ``/ServiceProviderConfig``, the lookup's one indexed
read: :mod:`.app`).

There is no server, so nothing of :mod:`.protocol` applies (header and idle timeouts, the
connection limit): those bound connections, and there is none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvloop

from .app import BASE_PATH, ReceiverApplication, create_app
from .settings import ReceiverSettings
from .storage import SqliteStorage

#: The SCIM base URL the requests are addressed to (their ``Host`` header, the ``meta.location``
#: the receiver writes). Port 0: no socket is bound or connected.
IN_PROCESS_URL = f"http://127.0.0.1:0{BASE_PATH}"


class InProcessTransport(httpx.BaseTransport):
    """A synchronous httpx transport delivering each request to an ASGI application in this
    process (:class:`httpx.ASGITransport` on an event loop of its own), within the request's
    deadline (the ``timeout`` extension's ``read`` seconds, httpx's timeout).

    Not thread-safe: one request at a time, as the client sends them."""

    def __init__(self, app: ReceiverApplication) -> None:
        # scim2-server types the ASGI scope as a dict, httpx as a MutableMapping: the same protocol
        self._asgi = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self._loop = uvloop.new_event_loop()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """The application's whole answer to ``request``.

        :raises httpx.ReadTimeout: the deadline passed before the answer was complete."""
        deadline = (request.extensions.get("timeout") or {}).get("read")
        try:
            status, headers, body = self._loop.run_until_complete(self._exchange(request, deadline))
        except TimeoutError:
            raise httpx.ReadTimeout(f"no answer within {deadline:g} s", request=request) from None
        return httpx.Response(status, headers=headers, content=body, request=request)

    async def _exchange(self, request: httpx.Request, deadline: float | None) -> tuple[int, httpx.Headers, bytes]:
        async with asyncio.timeout(deadline):
            response = await self._asgi.handle_async_request(request)
            body = await response.aread()
        return response.status_code, response.headers, body

    def close(self) -> None:
        """Close the event loop (idempotent)."""
        if not self._loop.is_closed():
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()


@dataclass(frozen=True)
class InProcessReceiver:
    """A receiver running in this process: ``transport`` delivers requests addressed to
    ``base_url`` (:data:`IN_PROCESS_URL`) to ``app``; ``store`` gives Own's state."""

    base_url: str
    app: ReceiverApplication
    store: SqliteStorage
    transport: InProcessTransport


@contextmanager
def serve_in_process(settings: ReceiverSettings) -> Iterator[InProcessReceiver]:
    """Build the receiver's application (the database checked and opened) and yield it behind
    an :class:`InProcessTransport`; on exit close the transport, then the application (its
    requests, its writes, the database checkpointed and closed).

    :raises StartupError: the database cannot be used (nothing is left open).
    """
    app = create_app(settings)
    transport: InProcessTransport | None = None
    try:
        transport = InProcessTransport(app)
        yield InProcessReceiver(IN_PROCESS_URL, app, app.store, transport)
    finally:
        if transport is not None:
            transport.close()
        app.close()
