"""Serving the receiver with uvicorn: in the foreground (the CLI) or in a background thread (tests).

uvicorn is the ASGI server, with httptools and uvloop (``uvicorn[standard]``) and the guarded
protocol of :mod:`.protocol` (header and idle timeouts, a connection limit). Its access log is
off: the application logs one line per request itself (``ownscim_infra.receiver`` logger),
without the token or any password.

Start-up checks everything before anything is announced: the database (:func:`.sqlite.open_database`:
folder, file, ``PRAGMA quick_check``, writable) and the address (the socket is bound before
uvicorn starts). A failure is a :class:`~.settings.StartupError` with a one-line message.
"""

from __future__ import annotations

import json
import logging
import math
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import httpx
import uvicorn
from scim2_models import SCIMException

from .app import BASE_PATH, ReceiverApplication, RequestTimeoutException, create_app
from .protocol import MAX_HEADER_BYTES, guarded_protocol
from .settings import ReceiverSettings, StartupError
from .storage import SqliteStorage


class TooManyConnectionsException(SCIMException):
    """More connections are open than ``max_connections``: 503 without scimType, ``Retry-After``."""

    status = 503
    _default_detail = "Too many open connections; retry later"


class HeaderTooLargeException(SCIMException):
    """The request line and headers exceed 64 KiB: 431 (RFC 6585 §5), without scimType."""

    status = 431
    _default_detail = f"The request headers exceed {MAX_HEADER_BYTES} bytes"


@dataclass(frozen=True)
class ReceiverHandle:
    """A running receiver: ``base_url`` is its SCIM base URL (``http://127.0.0.1:PORT/scim/v2``),
    ``store`` the storage whose ``own_state``/``own_states`` give Own's state."""

    base_url: str
    store: SqliteStorage
    app: ReceiverApplication
    host: str
    port: int


def raw_error(app: ReceiverApplication, exception: SCIMException) -> bytes:
    """A whole HTTP/1.1 response carrying the SCIM error of ``exception`` (the application's
    mapping, :meth:`~.app.ReceiverApplication.error_response`), closing the connection."""
    response = app.error_response(exception)
    body = json.dumps(response.body).encode()
    status = HTTPStatus(response.status)
    lines = [f"HTTP/1.1 {status.value} {status.phrase}"]
    lines += [f"{name}: {value}" for name, value in response.headers.items() if name.lower() != "connection"]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body


def _config(app: ReceiverApplication, log_level: str) -> uvicorn.Config:
    settings = app.settings
    protocol = guarded_protocol(
        header_timeout=settings.header_timeout,
        idle_timeout=settings.idle_timeout,
        max_connections=settings.max_connections,
        header_timeout_response=raw_error(
            app,
            RequestTimeoutException(
                detail=f"The request headers were not received within {settings.header_timeout:g} seconds"
            ),
        ),
        header_too_large_response=raw_error(app, HeaderTooLargeException()),
        overload_response=raw_error(
            app, TooManyConnectionsException(detail=f"More than {settings.max_connections} open connections")
        ),
    )
    return uvicorn.Config(
        app,
        loop="uvloop",
        http=protocol,
        ws="none",  # no WebSocket upgrade: SCIM is plain HTTP
        lifespan="on",
        access_log=False,
        log_config=None,
        log_level=log_level,
        server_header=False,
        proxy_headers=True,
        timeout_keep_alive=max(1, math.ceil(settings.idle_timeout)),
    )


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: a free port) and listening (a client that connects
    before uvicorn runs waits in the backlog), ready for uvicorn.

    :raises StartupError: the address cannot be bound (in use, not local...), in one line.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def _base_url(host: str, port: int) -> str:
    netloc = f"[{host}]" if ":" in host else host
    return f"http://{netloc}:{port}{BASE_PATH}"


class Terminated(Exception):
    """SIGTERM reached the receiver serving in the foreground: a clean stop, as Ctrl-C."""


def _terminated(signum: int, frame: Any) -> None:
    raise Terminated


@contextmanager
def running(
    settings: ReceiverSettings, host: str, port: int, log_level: str
) -> Iterator[tuple[ReceiverHandle, uvicorn.Server, socket.socket]]:
    """The one life of a receiver, in the foreground or a thread: build the application (the
    database checked), bind the address, give the handle, the uvicorn server to run and its
    socket; on exit close the socket, then the application (its requests, its writes, the
    database checkpointed and closed: no ``-wal``/``-shm`` file left).

    :raises StartupError: the database or the address cannot be used (nothing is left open).
    """
    app = create_app(settings)
    try:
        sock = bind(host, port)
    except StartupError:
        app.close()
        raise
    try:
        bound_port = sock.getsockname()[1]
        handle = ReceiverHandle(
            base_url=_base_url(host, bound_port), store=app.store, app=app, host=host, port=bound_port
        )
        yield handle, uvicorn.Server(_config(app, log_level.lower())), sock
    finally:
        sock.close()
        app.close()


def serve(
    settings: ReceiverSettings,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    *,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Check the database and the address, serve until interrupted (Ctrl-C / SIGTERM) in the
    calling thread, and call ``announce(base_url)`` once serving (uvicorn's signal handlers set).

    SIGTERM is a clean stop as Ctrl-C is: the requests in progress are answered, the writes
    committed, the database checkpointed and closed, and ``serve`` returns (uvicorn re-raises
    the signal it caught once it has stopped: its default action would end the process before
    the database is closed).

    :raises StartupError: the database or the address cannot be used (nothing was announced).
    """
    with running(settings, host, port, log_level) as (handle, server, sock):
        if announce is not None:
            handle.app.on_startup = lambda: announce(handle.base_url)
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _terminated) if main else None
        try:
            server.run(sockets=[sock])
        except Terminated:
            pass
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)


@contextmanager
def serve_in_background(
    settings: ReceiverSettings, host: str = "127.0.0.1", port: int = 0, *, log_level: str = "warning"
) -> Iterator[ReceiverHandle]:
    """Start uvicorn in a thread, wait until the receiver answers, yield a :class:`ReceiverHandle`, stop on exit.

    :param port: 0 binds a free port; the handle tells which.
    :raises StartupError: the database or the address cannot be used.
    :raises RuntimeError: the server does not answer within 10 s.
    """
    with running(settings, host, port, log_level) as (handle, server, sock):
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="ownscim-receiver", daemon=True)
        thread.start()
        try:
            _wait_until_up(handle.base_url, thread)
            yield handle
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def _wait_until_up(base_url: str, thread: threading.Thread, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    # plain http on this machine: no CA bundle to load (building one costs about 0.2 s)
    with httpx.Client(timeout=1.0, verify=False) as client:
        while time.monotonic() < deadline:
            if not thread.is_alive():
                raise RuntimeError("the receiver stopped while starting")
            try:
                if client.get(f"{base_url}/ServiceProviderConfig").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.02)
    raise RuntimeError(f"the receiver did not answer at {base_url} within {timeout:.0f}s")


logging.getLogger("ownscim_infra.receiver").addHandler(logging.NullHandler())
