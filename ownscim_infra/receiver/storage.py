"""SQLite storage of the SCIM resources, implementing scim2-server's storage interface.

One file, WAL journal, one transaction per SCIM operation (``BEGIN IMMEDIATE`` ... ``COMMIT``,
``ROLLBACK`` when the operation raises, so a refused request stores nothing). Each resource
is kept as its JSON (never with a ``password``: it is dropped before writing), next to the
columns that index it: the case-folded ``userName`` under a UNIQUE index (RFC 7643 §4.1.1:
``userName`` is unique and not case-exact; folded by :func:`.models.fold`, NFC + ``str.lower``,
when the row is written: a database written by an older fold keeps its keys until
rewritten), and Own's state (regions, role, business unit, active) that
:meth:`SqliteStorage.own_state` reads.

Filters and sorting are evaluated by scim2-models (``ScimFilter.match``,
``SearchRequest.sort_value``); only Okta's lookup ``userName eq "..."`` and unfiltered listing
are answered from SQL directly.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union, cast

from scim2_models import (
    Meta,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimFilter,
    ScimProvider,
    SearchRequest,
    UniquenessException,
)
from scim2_models.path import CompareOperator, Comparison
from scim2_server.storage import AsyncScimStorage, ScimStorage, SearchPage
from scim2_server.utils import parametrize

from .models import fold
from .settings import OWN_USER_SCHEMA

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS resources (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    resource_type  TEXT NOT NULL,
    user_name      TEXT,
    user_name_key  TEXT,
    active         INTEGER,
    regions        TEXT,
    role           TEXT,
    business_unit  TEXT,
    version        INTEGER NOT NULL,
    body           TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS resources_user_name_key ON resources(user_name_key)
    WHERE user_name_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS resources_type ON resources(resource_type, seq);
"""


@dataclass(frozen=True)
class OwnUserState:
    """What Own holds for one SCIM user: the state the Own UI would show.

    ``regions`` are lower-case codes in the account's order; ``role`` is ``Read-only`` and
    ``business_unit`` ``Default Business Unit`` for every user the receiver created.
    """

    id: str
    user_name: str
    active: bool
    regions: tuple[str, ...]
    role: str
    business_unit: str


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


class SqliteStorage(ScimStorage):
    """A :class:`scim2_server.storage.ScimStorage` over one SQLite file.

    :param path: the database file; created with its tables if missing. Restarting on the
        same file keeps every resource.
    :param provider: the scim2-models provider whose resource types are stored; the model of
        each type rebuilds its resources from JSON.

    It follows scim2-server's storage contract (checked by ``ScimStorageContract`` in the
    tests): copies in and out, ``id``/``meta`` filled, ``NotFoundException`` (404),
    ``UniquenessException`` (409 ``uniqueness``), ``PreconditionFailedException`` (412).
    One connection serves the server and the read API (:meth:`own_state`, :meth:`own_states`);
    a lock serializes its users, so tests may call the read API from any thread while the
    server runs (a read waits for the operation in progress, and sees only committed data).
    """

    supports_cursors = False

    def __init__(self, path: str | Path, provider: ScimProvider) -> None:
        self.path = str(path)
        self._models: dict[str, type[Resource[Any]]] = {
            str(rt.name): cast(type[Resource[Any]], provider.model_for(rt)) for rt in provider.resource_types
        }
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = _connect(self.path)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        with self._lock:
            self._conn.executescript("BEGIN IMMEDIATE;" + _DDL + f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")

    def close(self) -> None:
        """Close the server connection (the file keeps every committed resource)."""
        with self._lock:
            self._conn.close()

    # -- transactions ---------------------------------------------------

    @contextmanager
    def operation(self) -> Iterator[None]:
        """One transaction per SCIM operation: committed on success, rolled back on any exception."""
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                if outermost:
                    self._conn.execute("ROLLBACK")
                raise
            else:
                if outermost:
                    self._conn.execute("COMMIT")
            finally:
                self._depth -= 1

    # -- helpers ---------------------------------------------------------

    def _model(self, name: str) -> type[Resource[Any]]:
        return self._models[name]

    def _load(self, name: str, body: str) -> Resource[Any]:
        return self._model(name).model_validate(json.loads(body))

    @staticmethod
    def _columns(resource: Resource[Any]) -> dict[str, Any]:
        user_name = getattr(resource, "user_name", None)
        own = resource.model_dump(mode="json").get(OWN_USER_SCHEMA) or {}
        active = getattr(resource, "active", None)
        return {
            "user_name": user_name,
            "user_name_key": fold(user_name) if isinstance(user_name, str) else None,
            "active": None if active is None else int(bool(active)),
            "regions": json.dumps(own["regions"]) if own.get("regions") is not None else None,
            "role": own.get("role"),
            "business_unit": own.get("businessUnit"),
        }

    @staticmethod
    def _without_secrets(resource: Resource[Any]) -> Resource[Any]:
        update = {"password": None} if "password" in type(resource).model_fields else None
        return resource.model_copy(deep=True, update=update)

    def _row(self, resource_type: ResourceType, resource_id: str | None) -> tuple[int, str]:
        row = self._conn.execute(
            "SELECT version, body FROM resources WHERE resource_type = ? AND id = ?",
            (resource_type.name, resource_id),
        ).fetchone()
        if row is None:
            raise NotFoundException(detail=f"{resource_type.name} {resource_id!r} not found")
        return row

    @staticmethod
    def _check_version(stored: Resource[Any], expected_version: str | None) -> None:
        assert stored.meta is not None
        if expected_version is not None and stored.meta.version != expected_version:
            raise PreconditionFailedException

    def _write(self, sql: str, params: dict[str, Any], resource: Resource[Any]) -> None:
        try:
            self._conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            if "user_name_key" not in str(exc):
                raise
            raise UniquenessException(
                detail=f"userName {getattr(resource, 'user_name', None)!r} is already taken "
                "(userName is unique, case-insensitively)"
            ) from None

    # -- ScimStorage -------------------------------------------------------

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        """Return the stored resource. :raises NotFoundException: unknown ``id`` (404)."""
        with self.operation():
            _, body = self._row(resource_type, resource_id)
            return self._load(str(resource_type.name), body)

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        """Store a new resource (without its password); return it with ``id`` and ``meta``.

        :raises UniquenessException: the case-folded ``userName`` is taken (409).
        """
        with self.operation():
            stored = self._without_secrets(resource)
            stored.id = uuid.uuid4().hex
            now = _utcnow()
            stored.meta = Meta(resource_type=resource_type.name, created=now, last_modified=now, version='W/"1"')
            params = self._columns(stored) | {
                "id": stored.id,
                "resource_type": resource_type.name,
                "version": 1,
                "body": stored.model_dump_json(),
            }
            self._write(
                "INSERT INTO resources (id, resource_type, user_name, user_name_key, active, regions, role,"
                " business_unit, version, body) VALUES (:id, :resource_type, :user_name, :user_name_key,"
                " :active, :regions, :role, :business_unit, :version, :body)",
                params,
                stored,
            )
            return stored.model_copy(deep=True)

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        """Replace the stored resource with ``resource`` (whole new state; password dropped).

        :raises NotFoundException: unknown ``id``. :raises PreconditionFailedException: the
            stored version is not ``expected_version``. :raises UniquenessException: the new
            ``userName`` is taken.
        """
        with self.operation():
            version, body = self._row(resource_type, resource.id)
            current = self._load(str(resource_type.name), body)
            self._check_version(current, expected_version)
            assert current.meta is not None
            updated = self._without_secrets(type(resource).model_validate(resource.model_dump()))
            updated.meta = current.meta.model_copy(
                update={"location": None, "last_modified": _utcnow(), "version": f'W/"{version + 1}"'}
            )
            params = self._columns(updated) | {
                "id": updated.id,
                "resource_type": resource_type.name,
                "version": version + 1,
                "body": updated.model_dump_json(),
            }
            self._write(
                "UPDATE resources SET user_name = :user_name, user_name_key = :user_name_key,"
                " active = :active, regions = :regions, role = :role, business_unit = :business_unit,"
                " version = :version, body = :body WHERE resource_type = :resource_type AND id = :id",
                params,
                updated,
            )
            return updated.model_copy(deep=True)

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        """Delete a resource. :raises NotFoundException: / :raises PreconditionFailedException: as :meth:`update`."""
        with self.operation():
            _, body = self._row(resource_type, resource_id)
            self._check_version(self._load(str(resource_type.name), body), expected_version)
            self._conn.execute(
                "DELETE FROM resources WHERE resource_type = ? AND id = ?", (resource_type.name, resource_id)
            )

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        """Return one page of the matching resources and their total (RFC 7644 §3.4.2).

        Pages by ``startIndex``/``count`` only (no cursors). A ``startIndex`` past the last
        result gives an empty page (RFC 7644 §3.4.2.4), however large. Without filter and sort the
        page comes from SQL; ``userName eq "x"`` is looked up in the case-folded index; any
        other filter is evaluated by scim2-models on every resource of the searched types.
        """
        names = list(dict.fromkeys(str(rt.name) for rt in resource_types))
        marks = ",".join("?" * len(names))
        start = search_request.start_index_0 or 0
        count = search_request.count
        scim_filter = search_request.filter
        with self.operation():
            if scim_filter is None and search_request.sort_by is None:
                (total,) = self._conn.execute(
                    f"SELECT count(*) FROM resources WHERE resource_type IN ({marks})", names
                ).fetchone()
                if start >= total or count == 0:  # also keeps a huge startIndex out of SQLite's 64-bit integers
                    return SearchPage(total, [])
                limit = -1 if count is None else min(count, total)
                rows = self._conn.execute(
                    f"SELECT resource_type, body FROM resources WHERE resource_type IN ({marks})"
                    " ORDER BY seq LIMIT ? OFFSET ?",
                    [*names, limit, start],
                ).fetchall()
                return SearchPage(total, [self._load(n, b) for n, b in rows])

            user_name = _user_name_equality(scim_filter) if len(names) == 1 else None
            if user_name is not None:
                rows = self._conn.execute(
                    "SELECT resource_type, body FROM resources WHERE resource_type = ? AND user_name_key = ?",
                    (names[0], fold(user_name)),
                ).fetchall()
            else:
                rows = self._conn.execute(
                    f"SELECT resource_type, body FROM resources WHERE resource_type IN ({marks}) ORDER BY seq",
                    names,
                ).fetchall()
        candidates = [self._load(n, b) for n, b in rows]
        if scim_filter is not None and not scim_filter.models and candidates:
            models = tuple(dict.fromkeys(type(r) for r in candidates))
            scim_filter = parametrize(ScimFilter, Union[models])(str(scim_filter))  # noqa: UP007 (a Union over a runtime tuple of types)
        found = [r for r in candidates if scim_filter is None or scim_filter.match(r)]
        if search_request.sort_by is not None:
            found = _sorted(search_request, found)
        stop = None if count is None else start + count
        return SearchPage(len(found), found[start:stop])

    # -- Own's read API -----------------------------------------------------

    def own_state(self, user_name: str) -> OwnUserState | None:
        """Own's state of the user whose ``userName`` matches, case-insensitively; ``None`` if none."""
        rows = self._read("WHERE resource_type = 'User' AND user_name_key = ?", (fold(user_name),))
        return rows[0] if rows else None

    def own_states(self) -> list[OwnUserState]:
        """Own's state of every stored user, in creation order."""
        return self._read("WHERE resource_type = 'User'", ())

    def _read(self, where: str, params: tuple[Any, ...]) -> list[OwnUserState]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT id, user_name, active, regions, role, business_unit FROM resources {where} ORDER BY seq",
                params,
            ).fetchall()
        return [
            OwnUserState(
                id=rid,
                user_name=user_name or "",
                active=bool(active),
                regions=tuple(json.loads(regions)) if regions else (),
                role=role or "",
                business_unit=business_unit or "",
            )
            for rid, user_name, active, regions, role, business_unit in rows
        ]


def _user_name_equality(scim_filter: ScimFilter[Any] | None) -> str | None:
    """Return ``x`` when the filter is exactly ``userName eq "x"`` (Okta's lookup), else ``None``."""
    if scim_filter is None:
        return None
    node = scim_filter.ast
    if not isinstance(node, Comparison) or node.op != CompareOperator.eq or not isinstance(node.value, str):
        return None
    attr = str(node.attr_path).casefold()
    if attr in ("username", "urn:ietf:params:scim:schemas:core:2.0:user:username"):
        return node.value
    return None


def _sorted(search_request: SearchRequest[Any], resources: list[Resource[Any]]) -> list[Resource[Any]]:
    """Order by the sort value (missing values last, RFC 7644 §3.4.2.3), then by ``id``."""
    descending = search_request.sort_order == SearchRequest.SortOrder.descending

    def key(resource: Resource[Any]) -> tuple[bool, Any, str]:
        value = search_request.sort_value(resource)
        return value is None, value if value is not None else "", cast(str, resource.id)

    return sorted(resources, key=key, reverse=descending)


class AsyncSqliteStorage(AsyncScimStorage):
    """The :class:`SqliteStorage` served to scim2-server's ASGI application.

    SQLite calls are short and run on the event loop; an :class:`asyncio.Lock` keeps one SCIM
    operation (one transaction) at a time.
    """

    def __init__(self, storage: SqliteStorage) -> None:
        self.storage = storage
        self._lock: asyncio.Lock | None = None

    @asynccontextmanager
    async def operation(self) -> AsyncIterator[None]:
        """One SCIM operation (one transaction), serialized with the others."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            with self.storage.operation():
                yield

    async def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        """See :meth:`SqliteStorage.get`."""
        return self.storage.get(resource_type, resource_id, response_parameters=response_parameters)

    async def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        """See :meth:`SqliteStorage.search`."""
        return self.storage.search(resource_types, search_request, position=position)

    async def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        """See :meth:`SqliteStorage.create`."""
        return self.storage.create(resource_type, resource)

    async def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        """See :meth:`SqliteStorage.update`."""
        return self.storage.update(resource_type, resource, expected_version=expected_version)

    async def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        """See :meth:`SqliteStorage.delete`."""
        self.storage.delete(resource_type, resource_id, expected_version=expected_version)
