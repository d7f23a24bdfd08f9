"""A SCIM 2.0 receiver that behaves like Own's SCIM endpoint for Okta.

Run it with ``python -m ownscim_infra receiver --regions us1,emea2`` (token in
``OWN_SCIM_TOKEN``); import it in tests::

    from ownscim_infra.receiver import ReceiverSettings, serve_in_background

    settings = ReceiverSettings(regions=("us1", "emea2"), token="t", db_path=tmp / "own.db")
    with serve_in_background(settings) as receiver:
        ...  # drive receiver.base_url like Okta, then read receiver.store.own_state("x@y")

This face is light: importing it loads only :mod:`.settings` (stdlib). The server, the
application and the storage (uvicorn, scim2-server, SQLite) load on first use of their
names (PEP 562 module ``__getattr__``). See docs/receiver.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .settings import OWN_USER_SCHEMA, TOKEN_ENV, ReceiverSettings, SettingsError

if TYPE_CHECKING:
    from .app import create_app
    from .in_process import InProcessReceiver, serve_in_process
    from .server import ReceiverHandle, serve_in_background
    from .storage import OwnUserState, SqliteStorage

#: name -> the submodule that defines it, imported on first access.
_LAZY = {
    "create_app": "app",
    "InProcessReceiver": "in_process",
    "serve_in_process": "in_process",
    "ReceiverHandle": "server",
    "serve_in_background": "server",
    "OwnUserState": "storage",
    "SqliteStorage": "storage",
}

__all__ = [
    "OWN_USER_SCHEMA",
    "TOKEN_ENV",
    "InProcessReceiver",
    "OwnUserState",
    "ReceiverHandle",
    "ReceiverSettings",
    "SettingsError",
    "SqliteStorage",
    "create_app",
    "serve_in_background",
    "serve_in_process",
]


def __getattr__(name: str) -> Any:
    """Import the heavy part of the receiver on first use of one of its names."""
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
