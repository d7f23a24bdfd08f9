"""A SCIM 2.0 receiver that behaves like Own's SCIM endpoint for Okta (issue 3).

Run it with ``python -m ownscim_infra receiver --regions us1,emea2`` (token in
``OWN_SCIM_TOKEN``); import it in tests::

    from ownscim_infra.receiver import ReceiverSettings, serve_in_background

    settings = ReceiverSettings(regions=("us1", "emea2"), token="t", db_path=tmp / "own.db")
    with serve_in_background(settings) as receiver:
        ...  # drive receiver.base_url like Okta, then read receiver.store.own_state("x@y")

See docs/receiver.md.
"""

from .app import create_app
from .server import ReceiverHandle, serve_in_background
from .settings import ReceiverSettings
from .storage import OwnUserState, SqliteStorage

__all__ = [
    "OwnUserState",
    "ReceiverHandle",
    "ReceiverSettings",
    "SqliteStorage",
    "create_app",
    "serve_in_background",
]
