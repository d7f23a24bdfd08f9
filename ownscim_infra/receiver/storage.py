"""The SCIM storage: scim2-server's storage interface over the SQLite engine of :mod:`.sqlite`.

Each resource is kept as its JSON (never with a ``password``: it is dropped before writing),
next to the columns that index it: the case-folded ``userName`` under a UNIQUE index (RFC 7643
§4.1.1: ``userName`` is unique and not case-exact; folded by :func:`.models.fold`, NFC +
``str.lower``, when the row is written: a database written by an older fold keeps its keys
until rewritten), and Own's state (regions, role, business unit, active) that
:meth:`SqliteStorage.own_state` reads. Each SCIM operation writes at most once, in one job of
the group-committing writer.

Filters and sorting are evaluated by scim2-models (``ScimFilter.match``,
``SearchRequest.sort_value``); only Okta's lookup ``userName eq "..."`` and unfiltered listing
are answered from SQL directly. A filtered scan keeps only the requested page in memory.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, Union, cast

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
from .settings import OWN_USER_SCHEMA, Durability
from .sqlite import SqliteDatabase, StorageUnavailableException, unavailable

__all__ = ["AsyncSqliteStorage", "OwnUserState", "SqliteStorage", "StorageUnavailableException"]

T = TypeVar("T")

_INSERT = (
    "INSERT INTO resources (id, resource_type, user_name, user_name_key, active, regions, role,"
    " business_unit, version, body) VALUES (:id, :resource_type, :user_name, :user_name_key,"
    " :active, :regions, :role, :business_unit, :version, :body)"
)


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


# -- the storage -------------------------------------------------------------------------------------------


class SqliteStorage(ScimStorage):
    """A :class:`scim2_server.storage.ScimStorage` over one SQLite file.

    :param path: the database file; created with its tables if missing, checked otherwise
        (:func:`open_database`). Restarting on the same file keeps every resource.
    :param provider: the scim2-models provider whose resource types are stored; the model of
        each type rebuilds its resources from JSON.
    :param durability: ``full`` (default) or ``normal``: SQLite's ``synchronous`` for the
        writes (see :class:`~.settings.ReceiverSettings`).
    :param busy_timeout: seconds a write waits for a lock held by another process, then 503.
    :raises StartupError: the file cannot be used (one line saying why).

    It follows scim2-server's storage contract (checked by ``ScimStorageContract`` in the
    tests): copies in and out, ``id``/``meta`` filled, ``NotFoundException`` (404),
    ``UniquenessException`` (409 ``uniqueness``), ``PreconditionFailedException`` (412), and
    :class:`StorageUnavailableException` (503) when the database is locked or failing. Every
    method may be called from any thread; :meth:`own_state` and :meth:`own_states` see what
    is committed.
    """

    supports_cursors = False

    def __init__(
        self, path: str | Path, provider: ScimProvider, *, durability: Durability = "full", busy_timeout: float = 1.0
    ) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self._models: dict[str, type[Resource[Any]]] = {
            str(rt.name): cast(type[Resource[Any]], provider.model_for(rt)) for rt in provider.resource_types
        }
        self.database = SqliteDatabase(self.path, durability, busy_timeout)
        self._local = threading.local()  # what this thread read or wrote last (:meth:`stored_json`)
        self._stripes = [threading.Lock() for _ in range(64)]

    def close(self) -> None:
        """Finish the writes in progress, checkpoint and close the database (idempotent)."""
        self.database.close()

    # -- connections and transactions ------------------------------------------------

    def reader(self, *, wait: bool = True) -> sqlite3.Connection:
        """The calling thread's read-only connection: see :meth:`.sqlite.SqliteDatabase.reader`."""
        return self.database.reader(wait=wait)

    def read_transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """A read transaction: see :meth:`.sqlite.SqliteDatabase.read_transaction`."""
        return self.database.read_transaction()

    def locked(self, resource_id: str | None) -> threading.Lock:
        """The lock serializing the read-modify-write operations (PUT, PATCH, DELETE) on one
        resource in this process, so that two concurrent PATCHes of a user do not make the
        second fail its ``expected_version`` check."""
        return self._stripes[hash(resource_id) % len(self._stripes)]

    def operation(self) -> Any:
        """One SCIM operation: it writes at most once, in its own committed job (see the module)."""
        return nullcontext()

    def write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run a write job in a committed transaction (group commit): :meth:`.sqlite.SqliteDatabase.write`."""
        return self.database.write(job)

    def writing(self) -> AbstractContextManager[None]:
        """Enclose a SCIM operation that will write (create, replace, patch, delete), from before
        its validation: the writer then waits a little for its write to commit it with others."""
        return self.database.writing()

    @property
    def commits(self) -> int:
        """Write transactions committed since the storage was opened (a commit holds one or more writes)."""
        return self.database.commits

    def pending_writes(self) -> int:
        """Writes waiting for the writer thread."""
        return self.database.pending_writes()

    # -- helpers ---------------------------------------------------------------

    def _model(self, name: str) -> type[Resource[Any]]:
        return self._models[name]

    def _load(self, name: str, body: str) -> Resource[Any]:
        return self._model(name).model_validate_json(body)

    @staticmethod
    def _row(resource_type: ResourceType, resource: Resource[Any], version: int) -> dict[str, Any]:
        """The row of a resource: its JSON (``password`` left out) and the columns indexing it."""
        body = resource.model_dump_json(exclude={"password"} if "password" in type(resource).model_fields else None)
        data = json.loads(body)
        user_name = data.get("userName")
        active = data.get("active")
        own = data.get(OWN_USER_SCHEMA) or {}
        return {
            "id": resource.id,
            "resource_type": resource_type.name,
            "version": version,
            "body": body,
            "user_name": user_name,
            "user_name_key": fold(user_name) if isinstance(user_name, str) else None,
            "active": None if active is None else int(bool(active)),
            "regions": json.dumps(own["regions"]) if own.get("regions") is not None else None,
            "role": own.get("role"),
            "business_unit": own.get("businessUnit"),
        }

    @staticmethod
    def _without_secrets(resource: Resource[Any]) -> Resource[Any]:
        """A shallow copy of ``resource`` without ``password`` (its nested values are not changed)."""
        update = {"password": None} if "password" in type(resource).model_fields else None
        return resource.model_copy(update=update)

    def _prepared(self, resource_type: ResourceType, resource: Resource[Any]) -> tuple[Resource[Any], dict[str, Any]]:
        """A copy of a new resource with ``id`` and ``meta``, and its row."""
        stored = self._without_secrets(resource)
        stored.id = uuid.uuid4().hex
        now = _utcnow()
        stored.meta = Meta(resource_type=resource_type.name, created=now, last_modified=now, version='W/"1"')
        return stored, self._row(resource_type, stored, 1)

    @staticmethod
    def _current_version(conn: sqlite3.Connection, resource_type: ResourceType, resource_id: str | None) -> int:
        row = conn.execute(
            "SELECT version FROM resources WHERE resource_type = ? AND id = ?", (resource_type.name, resource_id)
        ).fetchone()
        if row is None:
            raise NotFoundException(detail=f"{resource_type.name} {resource_id!r} not found")
        return int(row[0])

    @staticmethod
    def _check_version(version: int, expected_version: str | None) -> None:
        if expected_version is not None and f'W/"{version}"' != expected_version:
            raise PreconditionFailedException

    @staticmethod
    def _execute(conn: sqlite3.Connection, sql: str, params: dict[str, Any], user_name: Any) -> None:
        try:
            conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            if "user_name_key" not in str(exc):
                raise
            raise UniquenessException(
                detail=f"userName {user_name!r} is already taken (userName is unique, case-insensitively)"
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
        with self.read_transaction() as conn:
            row = conn.execute(
                "SELECT version, body FROM resources WHERE resource_type = ? AND id = ?",
                (resource_type.name, resource_id),
            ).fetchone()
        if row is None:
            raise NotFoundException(detail=f"{resource_type.name} {resource_id!r} not found")
        self._local.known = (resource_id, row[0], row[1])
        return self._load(str(resource_type.name), row[1])

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        """Store a new resource (without its password); return it with ``id`` and ``meta`` once committed.

        :raises UniquenessException: the case-folded ``userName`` is taken (409).
        :raises StorageUnavailableException: the database is locked or failing (503).
        """
        return self.insert(resource_type, resource)[0]

    def insert(self, resource_type: ResourceType, resource: Resource[Any]) -> tuple[Resource[Any], str]:
        """:meth:`create`, also returning the JSON stored (``password`` left out), once committed."""
        stored, row = self._prepared(resource_type, resource)
        self.write(lambda conn: self._execute(conn, _INSERT, row, row["user_name"]))
        self._local.known = (stored.id, row["version"], row["body"])
        return stored, row["body"]

    def stored_json(self, resource: Resource[Any]) -> str | None:
        """The stored JSON of ``resource`` when this thread has just read or written it (same
        ``id`` and version: :meth:`get`, :meth:`create`, :meth:`update`), so that it need not be
        dumped again; ``None`` otherwise. A resource changed in place keeps its version until it
        is stored: only ask for the JSON of what was read or stored."""
        known = getattr(self._local, "known", None)
        if known is None or resource.meta is None:
            return None
        resource_id, version, body = known
        return body if resource.id == resource_id and resource.meta.version == f'W/"{version}"' else None

    def create_many(self, resource_type: ResourceType, resources: Iterable[Resource[Any]]) -> int:
        """Store many new resources in one transaction (to seed a database); return how many.

        The resources are prepared as :meth:`create` does, inside the writer, so an iterator is
        consumed without holding every resource in memory.

        :raises UniquenessException: two ``userName`` values collide; nothing is stored.
        """

        def job(conn: sqlite3.Connection) -> int:
            count = 0
            for resource in resources:
                _, row = self._prepared(resource_type, resource)
                self._execute(conn, _INSERT, row, row["user_name"])
                count += 1
            return count

        return self.write(job)

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        """Replace the stored resource with ``resource`` (its whole new state, as scim2-models
        validated it when the PUT body was read or the PATCH applied; ``password`` dropped).

        :raises NotFoundException: unknown ``id``. :raises PreconditionFailedException: the
            stored version is not ``expected_version``. :raises UniquenessException: the new
            ``userName`` is taken. :raises StorageUnavailableException: locked or failing (503).
        """
        updated = self._without_secrets(resource)

        def job(conn: sqlite3.Connection) -> tuple[Resource[Any], str, int]:
            row = conn.execute(
                "SELECT version, body FROM resources WHERE resource_type = ? AND id = ?",
                (resource_type.name, updated.id),
            ).fetchone()
            if row is None:
                raise NotFoundException(detail=f"{resource_type.name} {updated.id!r} not found")
            version = int(row[0])
            self._check_version(version, expected_version)
            # created and resourceType as stored (a resource read from the store carries them)
            meta = resource.meta or Meta.model_validate(json.loads(row[1])["meta"])
            updated.meta = meta.model_copy(
                update={"location": None, "last_modified": _utcnow(), "version": f'W/"{version + 1}"'}
            )
            params = self._row(resource_type, updated, version + 1)
            self._execute(
                conn,
                "UPDATE resources SET user_name = :user_name, user_name_key = :user_name_key,"
                " active = :active, regions = :regions, role = :role, business_unit = :business_unit,"
                " version = :version, body = :body WHERE resource_type = :resource_type AND id = :id",
                params,
                params["user_name"],
            )
            return updated, params["body"], version + 1

        updated, body, version = self.write(job)
        self._local.known = (updated.id, version, body)
        return updated

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        """Delete a resource. :raises NotFoundException: / :raises PreconditionFailedException: as :meth:`update`."""

        def job(conn: sqlite3.Connection) -> None:
            self._check_version(self._current_version(conn, resource_type, resource_id), expected_version)
            conn.execute("DELETE FROM resources WHERE resource_type = ? AND id = ?", (resource_type.name, resource_id))

        self.write(job)
        self._local.known = None  # the JSON this thread read of it is no longer stored

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
        other filter is evaluated by scim2-models on every resource of the searched types, one
        at a time, keeping the page only.
        """
        names = list(dict.fromkeys(str(rt.name) for rt in resource_types))
        marks = ",".join("?" * len(names))
        start = search_request.start_index_0 or 0
        count = search_request.count
        scim_filter = search_request.filter
        with self.read_transaction() as conn:
            if scim_filter is None and search_request.sort_by is None:
                (total,) = conn.execute(
                    f"SELECT count(*) FROM resources WHERE resource_type IN ({marks})", names
                ).fetchone()
                if start >= total or count == 0:  # also keeps a huge startIndex out of SQLite's 64-bit integers
                    return SearchPage(total, [])
                limit = -1 if count is None else min(count, total)
                rows = conn.execute(
                    f"SELECT resource_type, body FROM resources WHERE resource_type IN ({marks})"
                    " ORDER BY seq LIMIT ? OFFSET ?",
                    [*names, limit, start],
                ).fetchall()
                return SearchPage(total, [self._load(n, b) for n, b in rows])

            user_name = _user_name_equality(scim_filter) if len(names) == 1 else None
            if user_name is not None:
                rows = conn.execute(
                    "SELECT seq, resource_type, body FROM resources WHERE resource_type = ? AND user_name_key = ?",
                    (names[0], fold(user_name)),
                ).fetchall()
                return self._page(conn, rows, search_request, start, count)
            cursor = conn.execute(
                f"SELECT seq, resource_type, body FROM resources WHERE resource_type IN ({marks}) ORDER BY seq", names
            )
            return self._page(conn, cursor, search_request, start, count)

    def _page(
        self,
        conn: sqlite3.Connection,
        rows: Iterable[tuple[int, str, str]],
        search_request: SearchRequest[Any],
        start: int,
        count: int | None,
    ) -> SearchPage:
        """Match ``rows`` one by one; keep the requested page (or, when sorting, the sort keys only)."""
        stop = None if count is None else start + count
        scim_filter = search_request.filter
        bound: dict[tuple[type[Resource[Any]], ...], ScimFilter[Any]] = {}
        total = 0
        page: list[Resource[Any]] = []
        keys: list[tuple[tuple[bool, Any, str], int, str]] = []
        for seq, name, body in rows:
            resource = self._load(name, body)
            if scim_filter is not None and not _bound(scim_filter, type(resource), bound).match(resource):
                continue
            if search_request.sort_by is not None:
                keys.append((_sort_key(search_request, resource), seq, name))
            elif start <= total and (stop is None or total < stop):
                page.append(resource)
            total += 1
        if search_request.sort_by is None:
            return SearchPage(total, page)
        descending = search_request.sort_order == SearchRequest.SortOrder.descending
        keys.sort(key=lambda item: item[0], reverse=descending)
        chosen = keys[start:stop]
        bodies = dict(
            conn.execute(
                f"SELECT seq, body FROM resources WHERE seq IN ({','.join('?' * len(chosen))})",
                [seq for _, seq, _ in chosen],
            ).fetchall()
        )
        return SearchPage(total, [self._load(name, bodies[seq]) for _, seq, name in chosen])

    # -- Okta's lookup -------------------------------------------------------------

    def user_body(self, resource_type: ResourceType, user_name: str, *, wait: bool = True) -> tuple[str, str] | None:
        """``(id, stored JSON)`` of the resource whose folded ``userName`` is ``fold(user_name)``,
        or ``None``: one read of the UNIQUE index, no model built (Okta's lookup).

        :param wait: ``False`` never waits for a lock (see :meth:`reader`).
        :raises StorageUnavailableException: SQLite answered busy or failed (503).
        """
        try:
            row = (
                self.reader(wait=wait)
                .execute(
                    "SELECT id, body FROM resources WHERE resource_type = ? AND user_name_key = ?",
                    (resource_type.name, fold(user_name)),
                )
                .fetchone()
            )
        except sqlite3.OperationalError as exc:
            raise unavailable(exc) from None
        return None if row is None else (row[0], row[1])

    def backup(self, path: str | Path) -> None:
        """Copy what is committed into a new SQLite database at ``path`` (SQLite's online
        backup API, https://www.sqlite.org/backup.html, from this thread's read connection):
        a receiver opened on the copy holds Own as it is now. The writes in progress are not
        in it.

        :raises StorageUnavailableException: the database is closing (503)."""
        target = sqlite3.connect(path)
        try:
            self.reader().backup(target)
        finally:
            target.close()

    # -- Own's read API -----------------------------------------------------

    def own_state(self, user_name: str) -> OwnUserState | None:
        """Own's state of the user whose ``userName`` matches, case-insensitively; ``None`` if none."""
        rows = self._read("WHERE resource_type = 'User' AND user_name_key = ?", (fold(user_name),))
        return rows[0] if rows else None

    def own_states(self) -> list[OwnUserState]:
        """Own's state of every stored user, in creation order."""
        return self._read("WHERE resource_type = 'User'", ())

    def _read(self, where: str, params: tuple[Any, ...]) -> list[OwnUserState]:
        with self.read_transaction() as conn:
            rows = conn.execute(
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


def _bound(
    scim_filter: ScimFilter[Any],
    model: type[Resource[Any]],
    cache: dict[tuple[type[Resource[Any]], ...], ScimFilter[Any]],
) -> ScimFilter[Any]:
    """The filter bound to the models it is evaluated on (scim2-models binds a filter to its models)."""
    if scim_filter.models:
        return scim_filter
    key = (model,)
    if key not in cache:
        cache[key] = parametrize(ScimFilter, Union[key])(str(scim_filter))  # noqa: UP007 (a Union over a runtime tuple of types)
    return cache[key]


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


def _sort_key(search_request: SearchRequest[Any], resource: Resource[Any]) -> tuple[bool, Any, str]:
    """The sort value (missing values last, RFC 7644 §3.4.2.3), then ``id``."""
    value = search_request.sort_value(resource)
    return value is None, value if value is not None else "", cast(str, resource.id)


class AsyncSqliteStorage(AsyncScimStorage):
    """The :class:`SqliteStorage` as scim2-server's asynchronous storage: every call runs in a
    worker thread (:func:`asyncio.to_thread`), never on the event loop.

    The receiver's application serves each request with scim2-server's synchronous handler in a
    worker thread instead; this adapter is for embedding the storage in another ASGI application.
    """

    def __init__(self, storage: SqliteStorage) -> None:
        self.storage = storage

    @asynccontextmanager
    async def operation(self) -> AsyncIterator[None]:
        """One SCIM operation: see :meth:`SqliteStorage.operation`."""
        yield

    async def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        """See :meth:`SqliteStorage.get`."""
        return await _to_thread(self.storage.get, resource_type, resource_id)

    async def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        """See :meth:`SqliteStorage.search`."""
        return await _to_thread(self.storage.search, resource_types, search_request)

    async def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        """See :meth:`SqliteStorage.create`."""
        return await _to_thread(self.storage.create, resource_type, resource)

    async def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        """See :meth:`SqliteStorage.update`."""
        return await _to_thread(lambda: self.storage.update(resource_type, resource, expected_version=expected_version))

    async def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        """See :meth:`SqliteStorage.delete`."""
        await _to_thread(lambda: self.storage.delete(resource_type, resource_id, expected_version=expected_version))


async def _to_thread(function: Callable[..., T], *args: Any) -> T:
    import asyncio

    return await asyncio.to_thread(function, *args)
