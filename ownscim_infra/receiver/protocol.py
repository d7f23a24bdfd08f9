"""uvicorn's httptools HTTP/1.1 protocol, with the receiver's guards against slow and excess clients.

uvicorn bounds neither the time a client takes to send a request's headers nor the number of
open connections (``limit_concurrency`` counts requests, and answers them in plain text). This
protocol adds, per connection:

- **idle**: a connection that has sent nothing for ``idle_timeout`` seconds, after it was opened
  or after a response, is closed (after a response uvicorn's keep-alive timeout does it);
- **headers**: from the first byte of a request, its headers must be complete within
  ``header_timeout`` seconds and 64 KiB, or the client gets a SCIM 408 (431 when too large) and
  the connection is closed;
- **connections**: a connection over ``max_connections`` gets a SCIM 503 with ``Retry-After``
  and is closed at once.

The request body's timeout is the application's (it answers a SCIM 408 itself). The error
bodies are rendered once by the server from the application's own error mapping.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

log = logging.getLogger("ownscim_infra.receiver")

#: Largest request head (request line and headers) accepted, in bytes.
MAX_HEADER_BYTES = 64 * 1024


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """:class:`uvicorn.protocols.http.httptools_impl.HttpToolsProtocol` with the guards above.

    The class attributes are set by :func:`guarded_protocol` (times in seconds; responses are
    whole HTTP responses, ``Connection: close`` included).
    """

    header_timeout: float = 10.0
    idle_timeout: float = 5.0
    max_connections: int = 100
    header_timeout_response: bytes = b""
    header_too_large_response: bytes = b""
    overload_response: bytes = b""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.timeout_keep_alive = self.idle_timeout  # type: ignore[assignment]  # uvicorn's timer takes a float
        self._guard: asyncio.TimerHandle | None = None
        self._state = "idle"
        self._head_bytes = 0

    # -- timers -----------------------------------------------------------------------------

    def _arm(self, delay: float, callback: Any) -> None:
        self._disarm()
        self._guard = self.loop.call_later(delay, callback)

    def _disarm(self) -> None:
        if self._guard is not None:
            self._guard.cancel()
            self._guard = None

    def _idle_expired(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()

    def _headers_expired(self) -> None:
        log.info('- - 408 %.1fms "-" headers not received in time', self.header_timeout * 1000)
        self._refuse(self.header_timeout_response)

    def _refuse(self, response: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(response)
            self.transport.close()

    # -- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Count the connection; refuse it (503) over ``max_connections``; else wait for a request."""
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            log.warning('- - 503 0.0ms "-" more than %d connections', self.max_connections)
            self._refuse(self.overload_response)
            return
        self._arm(self.idle_timeout, self._idle_expired)

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the timers, then uvicorn's own clean-up."""
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Start the headers' clock at a request's first byte, and bound their size."""
        if self._state == "idle":
            self._state = "headers"
            self._head_bytes = 0
            self._arm(self.header_timeout, self._headers_expired)
        counting = self._state == "headers"
        if counting:
            self._head_bytes += len(data)
        super().data_received(data)
        if counting and self._state == "headers" and self._head_bytes > MAX_HEADER_BYTES:
            self._disarm()
            log.info('- - 431 0.0ms "-" request headers over %d bytes', MAX_HEADER_BYTES)
            self._refuse(self.header_too_large_response)

    # -- httptools callbacks ----------------------------------------------------------------

    def on_headers_complete(self) -> None:
        """The headers are in: stop their clock (the application times the body)."""
        self._disarm()
        self._state = "request"
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        """Back to waiting for the next request (uvicorn's keep-alive timer closes an idle connection)."""
        pipelined = bool(self.pipeline)
        super().on_response_complete()
        self._state = "request" if pipelined else "idle"


def guarded_protocol(
    *,
    header_timeout: float,
    idle_timeout: float,
    max_connections: int,
    header_timeout_response: bytes,
    header_too_large_response: bytes,
    overload_response: bytes,
) -> type[GuardedHttpToolsProtocol]:
    """A :class:`GuardedHttpToolsProtocol` class with these bounds, for ``uvicorn.Config(http=...)``."""
    return type(
        "ReceiverHttpProtocol",
        (GuardedHttpToolsProtocol,),
        {
            "header_timeout": header_timeout,
            "idle_timeout": idle_timeout,
            "max_connections": max_connections,
            "header_timeout_response": header_timeout_response,
            "header_too_large_response": header_too_large_response,
            "overload_response": overload_response,
        },
    )
