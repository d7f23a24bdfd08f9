"""Serving the receiver with uvicorn: in the foreground (the CLI) or in a background thread (tests).

uvicorn is the ASGI server; its access log is off, the application logs one line per
request itself (``ownscim_infra.receiver`` logger), without the token or any password.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn

from .app import BASE_PATH, ReceiverApplication, create_app
from .settings import ReceiverSettings
from .storage import SqliteStorage


@dataclass(frozen=True)
class ReceiverHandle:
    """A running receiver: ``base_url`` is its SCIM base URL (``http://127.0.0.1:PORT/scim/v2``),
    ``store`` the storage whose ``own_state``/``own_states`` give Own's state."""

    base_url: str
    store: SqliteStorage
    app: ReceiverApplication
    host: str
    port: int


def _config(app: ReceiverApplication, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        access_log=False,
        log_config=None,
        log_level=log_level,
        server_header=False,
        proxy_headers=True,
    )


def serve(settings: ReceiverSettings, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Serve the receiver until interrupted (Ctrl-C / SIGTERM), in the calling thread."""
    app = create_app(settings)
    try:
        uvicorn.Server(_config(app, host, port, log_level.lower())).run()
    finally:
        app.store.close()


@contextmanager
def serve_in_background(
    settings: ReceiverSettings, host: str = "127.0.0.1", port: int = 0, *, log_level: str = "warning"
) -> Iterator[ReceiverHandle]:
    """Start uvicorn in a thread, wait until the receiver answers, yield a :class:`ReceiverHandle`, stop on exit.

    :param port: 0 lets uvicorn bind a free port; the handle tells which.
    :raises RuntimeError: if the server cannot bind or does not answer within 10 s.
    """
    app = create_app(settings)
    server = uvicorn.Server(_config(app, host, port, log_level))
    thread = threading.Thread(target=server.run, name="ownscim-receiver", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the receiver could not start on {host}:{port}")
            time.sleep(0.01)
        bound_port = server.servers[0].sockets[0].getsockname()[1]
        netloc = f"[{host}]" if ":" in host else host
        base_url = f"http://{netloc}:{bound_port}{BASE_PATH}"
        _wait_until_up(base_url, thread)
        yield ReceiverHandle(base_url=base_url, store=app.store, app=app, host=host, port=bound_port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.store.close()


def _wait_until_up(base_url: str, thread: threading.Thread, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
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
