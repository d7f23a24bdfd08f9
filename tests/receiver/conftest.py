"""Fixtures for the receiver tests: settings on a temporary SQLite file, a real server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ownscim_infra.receiver import ReceiverSettings, serve_in_background

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


@pytest.fixture
def receiver(make_settings) -> Iterator[Any]:
    """A receiver in Own's default mode (attribute updates refused), served on 127.0.0.1."""
    with serve_in_background(make_settings()) as handle:
        yield handle


def okta_client(base_url: str, authorization: str | None = f"Bearer {TOKEN}") -> httpx.Client:
    headers = {"User-Agent": OKTA_AGENT, "Accept": "application/scim+json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    return httpx.Client(base_url=base_url, headers=headers, timeout=10.0)


@pytest.fixture
def okta(receiver) -> Iterator[httpx.Client]:
    """An HTTP client that talks to the receiver as Okta's SCIM client does."""
    with okta_client(receiver.base_url) as client:
        yield client
