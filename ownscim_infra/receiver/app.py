"""The ASGI transport: routing under ``/scim/v2``, authentication, the bounds of one HTTP
request, the worker lanes, the request log, and the one exit point where every error becomes
a SCIM error (:meth:`ReceiverApplication.error_response`).

Served under ``/scim/v2`` (RFC 7644 §3.13 versioning); one resource type, ``/Users``.
Every response is ``application/scim+json``; every error body is an RFC 7644 §3.12
``urn:ietf:params:scim:api:messages:2.0:Error`` with ``status`` and, where the RFC defines
one, ``scimType``. What Own does with a user is :mod:`.service`'s; the answers spliced from
the stored JSON are :mod:`.spliced`'s; the storage is :mod:`.storage` over :mod:`.sqlite`.

Error mapping (besides scim2-server's own: 400 ``invalidSyntax``/``invalidValue``/
``invalidFilter``, 404, 405, 409 ``uniqueness``, 412, 415, 501):

=====================================  ======  =================
case                                   status  scimType
=====================================  ======  =================
missing/wrong ``Authorization``        401     --
body over 1 MiB                        413     --
unknown region in ``regions``          400     ``invalidValue``
business unit not ``Default ...``      400     --
PUT/PATCH changing more than active    400     ``mutability``
(``--attribute-updates refuse``)
PATCH changing Own's extension (any     400     ``mutability``
mode; a PUT's readOnly values are
ignored, RFC 7644 §3.5.1)
PATCH removing ``active``/setting null  400     ``invalidValue``
``active`` not true/false/"true"/...    400     ``invalidValue``
empty/blank/too long/control-character  400     ``invalidValue``
``userName``
``/Groups`` (Push Groups unsupported)  404     --
PATCH over ``max_patch_operations``    400     ``invalidValue``
filter over its clauses/length bound   400     ``tooMany``
body not received in time              408     --
media type not JSON                    415     --
database locked by another process     503     -- (``Retry-After``)
=====================================  ======  =================

Where the work runs: the event loop reads and writes HTTP only, plus three things that are
constant or one indexed read and never wait for a lock: ``/ServiceProviderConfig``, the
authentication check, and Okta's lookup ``GET /Users?filter=userName eq "..."`` (answered
from the stored JSON, see :func:`.spliced.lookup_response`). Every other request is served
by scim2-server's synchronous handler in a worker thread: searches that scan in a lane of
their own, everything else in the main lane; writes then go through the storage's
group-committing writer thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import functools
import hmac
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote

from scim2_models import (
    Error,
    NotFoundException,
    PatchOp,
    PayloadTooLargeException,
    Resource,
    ResourceType,
    SCIMException,
    UnauthorizedException,
)
from scim2_server.applications.asgi import ASGIApplication, Receive, Scope, Send
from scim2_server.applications.base import VERSION_PREFIX
from scim2_server.conditions import Conditions
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.routing import Operation

from . import own
from .models import MAX_BODY_BYTES
from .service import OwnScimService
from .settings import ReceiverSettings, parse_region_list
from .spliced import JsonScimResponse, lookup_response, okta_lookup
from .storage import AsyncSqliteStorage, SqliteStorage

#: Where the SCIM endpoints live on the server (Own's "SCIM URL" ends with it).
BASE_PATH = "/scim/v2"

log = logging.getLogger("ownscim_infra.receiver")

#: Characters left as they are when a path is put in a URL or a log line; every other one
#: (controls, spaces, quotes, non-ASCII) is percent-encoded (RFC 3986 §2.1).
_PATH_SAFE = "/:@!$&'()*+,;=-._~"

#: A ``Host`` header that needs no percent-encoding.
_PLAIN_HOST = re.compile(r"[A-Za-z0-9.\-]*(:[0-9]*)?|\[[0-9A-Fa-f:.]*\](:[0-9]*)?")

#: The type of the unexpected exception the current request raised, for its log line.
_unexpected: contextvars.ContextVar[str | None] = contextvars.ContextVar("ownscim_receiver_unexpected", default=None)


class RequestTimeoutException(SCIMException):
    """The client did not send the whole request body within ``body_timeout``: 408, no scimType
    (RFC 7644 §3.12 has none for it); the connection is then closed."""

    status = 408
    _default_detail = "The request body was not received in time"


class ClientDisconnected(Exception):
    """The client closed the connection before its request body was complete: nothing is served."""


def token_matches(header: str | None, token: str) -> bool:
    """Tell whether an ``Authorization`` header carries the token, verbatim or as ``Bearer <token>``.

    Okta's Header Auth app sends its API Token field verbatim, so both forms occur; a token
    that itself starts with ``Bearer `` matches when sent verbatim. The header is a ``str``
    decoded from the raw header bytes as UTF-8 with ``surrogateescape`` (as
    :meth:`ReceiverApplication.read_request` does), so encoding it back the same way gives the
    bytes the client sent; the token is encoded as UTF-8. Both forms are compared, each in
    constant time (:func:`hmac.compare_digest`).
    """
    if not header:
        return False
    expected = token.encode("utf-8")
    value = header.strip()
    scheme, _, rest = value.partition(" ")
    stripped = rest.strip() if scheme.lower() == "bearer" else ""
    verbatim_ok = hmac.compare_digest(value.encode("utf-8", "surrogateescape"), expected)
    bearer_ok = bool(stripped) and hmac.compare_digest(stripped.encode("utf-8", "surrogateescape"), expected)
    return verbatim_ok or bearer_ok


@functools.lru_cache(maxsize=4096)
def safe_path(path: str) -> str:
    """Percent-encode a decoded request path for a URL or a log line (``\n`` -> ``%0A``).

    The result is printable ASCII: a path cannot forge a log line nor break a header.
    """
    return quote(path, safe=_PATH_SAFE)


@functools.lru_cache(maxsize=256)
def _agent(value: bytes) -> str:
    """A ``User-Agent`` as it is logged: JSON-escaped (no line can be forged)."""
    return json.dumps(value.decode("latin-1"))


class ReceiverHandler(ScimHandler):
    """scim2-server's synchronous handler, run in worker threads; a PUT, PATCH or DELETE holds the
    lock of its resource (:meth:`.storage.SqliteStorage.locked`) from its read to its write. A PUT
    or PATCH that leaves a user inactive removes the account when Own's rules say so
    (:meth:`.service.OwnScimService.removes`), in the same write: it is answered 200 with the
    user as deactivated, and the account is gone."""

    def __init__(self, service: OwnScimService, storage: SqliteStorage) -> None:
        super().__init__(service, storage)
        self.store = storage
        self.own_service = service

    def _stored(
        self, resource_type: ResourceType, resource: Resource[Any], version: str | None, changed: bool
    ) -> Resource[Any]:
        """Write the outcome of a PUT or PATCH: the account removed (Own's deprovisioning), the
        resource updated (``changed``), or nothing; return what the answer shows."""
        if self.own_service.removes(resource):
            self.store.delete(resource_type, str(resource.id), expected_version=version)
            return resource
        return self.store.update(resource_type, resource, expected_version=version) if changed else resource

    def replace_resource(
        self, resource_type: ResourceType, current: Resource[Any], replacement: Resource[Any], conditions: Conditions
    ) -> Resource[Any]:
        """scim2-server's replacement (RFC 7644 §3.5.1), then :meth:`_stored`."""
        version = current.meta.version if current.meta else None
        replaced = self.service.apply_replacement(current, replacement, conditions)
        return self._stored(resource_type, current if replaced is None else replaced, version, replaced is not None)

    def patch_resource(
        self, resource_type: ResourceType, resource_id: str, patch_op: PatchOp[Any], conditions: Conditions
    ) -> Resource[Any]:
        """scim2-server's PATCH (RFC 7644 §3.5.2), then :meth:`_stored`."""
        current = self.storage.get(resource_type, resource_id)
        version = current.meta.version if current.meta else None
        patched = self.service.apply_patch(current, patch_op, conditions)
        return self._stored(resource_type, current if patched is None else patched, version, patched is not None)

    def _lock(self, request: ScimRequest) -> threading.Lock:
        return self.store.locked(self.service.match(request).resource_id)

    def create(self, request: ScimRequest) -> ScimResponse:
        """POST (RFC 7644 §3.3), announced to the storage's writer from its start (group commit)."""
        with self.store.writing():
            return super().create(request)

    def replace(self, request: ScimRequest) -> ScimResponse:
        """PUT (RFC 7644 §3.5.1), under the resource's lock."""
        with self.store.writing(), self._lock(request):
            return super().replace(request)

    def patch(self, request: ScimRequest) -> ScimResponse:
        """PATCH (RFC 7644 §3.5.2), under the resource's lock."""
        with self.store.writing(), self._lock(request):
            return super().patch(request)

    def delete(self, request: ScimRequest) -> ScimResponse:
        """DELETE (RFC 7644 §3.6), under the resource's lock."""
        with self.store.writing(), self._lock(request):
            return super().delete(request)


class ReceiverApplication(ASGIApplication):
    """The ASGI application (``create_app`` builds it): scim2-server's ASGI app with auth, limits, logging.

    :ivar store: the :class:`.storage.SqliteStorage` (with the ``own_state`` read API).
    """

    #: Worker threads of the main lane (every request but searches that scan), and of the scan lane.
    MAIN_WORKERS = 8
    SCAN_WORKERS = 2

    def __init__(self, settings: ReceiverSettings) -> None:
        self.settings = settings
        self.own_service = service = OwnScimService(settings)
        self.store = SqliteStorage(
            settings.db_path, service.provider, durability=settings.durability, busy_timeout=settings.busy_timeout
        )
        super().__init__(AsyncSqliteStorage(self.store), service.provider, service)
        service.stored_json = self.store.stored_json
        self.sync_handler = ReceiverHandler(service, self.store)
        self.user_type = service.resource_type_at("Users")
        self._main_lane = ThreadPoolExecutor(self.MAIN_WORKERS, thread_name_prefix="ownscim-receiver")
        self._scan_lane = ThreadPoolExecutor(self.SCAN_WORKERS, thread_name_prefix="ownscim-receiver-scan")

    def __repr__(self) -> str:
        return f"ReceiverApplication(regions={self.settings.regions!r}, db_path={str(self.settings.db_path)!r})"

    def set_account_regions(self, regions: tuple[str, ...]) -> None:
        """Give the Own account these regions from now on (the simulator's account gaining a
        region between two configs): a user created without a ``regions`` value gets them
        (Own's setup page: such a user is created "in all regions"); the users already stored
        keep theirs. Whether Own gives a region added later to the users created before is not
        documented: the receiver assumes not, so that ``review`` flags those users for a check.

        :raises SettingsError: no region, or one that is not a region code."""
        settings = dataclasses.replace(self.settings, regions=parse_region_list(",".join(regions)))
        self.settings = self.own_service.settings = settings

    #: Called once the server has started (its signal handlers in place), before the first request.
    on_startup: Callable[[], None] | None = None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Answer the server's start-up (calling :attr:`on_startup`) and shutdown (ASGI lifespan)."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.on_startup is not None:
                    self.on_startup()
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close(self) -> None:
        """Finish the requests in the worker threads, then the writes, and close the database (idempotent)."""
        self._main_lane.shutdown(wait=True)
        self._scan_lane.shutdown(wait=True)
        self.store.close()

    # -- auth -------------------------------------------------------------------

    def needs_auth(self, request: ScimRequest) -> bool:
        """Every request needs the token, but ``GET /ServiceProviderConfig`` (RFC 7644 §4)."""
        try:
            return self.service.match(request).operation is not Operation.service_provider_config
        except SCIMException:
            return True

    def check_auth(self, request: ScimRequest) -> None:
        """:raises UnauthorizedException: 401 unless ``Authorization`` is the token or ``Bearer <token>``."""
        if not token_matches(request.header("Authorization"), self.settings.token):
            raise UnauthorizedException(
                detail="Missing or invalid Authorization header: expected Own's SCIM token, bare or as 'Bearer <token>'"
            )

    # -- requests ----------------------------------------------------------------

    @staticmethod
    def get_base_url(scope: Scope) -> str:
        """scim2-server's base URL (:meth:`ASGIApplication.get_base_url`), with the ``Host``
        header percent-encoded where it is not plain (it ends up in ``Location`` and
        ``meta.location`` headers and bodies)."""
        host = b""
        for name, value in scope.get("headers") or []:
            if name == b"host":
                host = value  # the last one, as scim2-server reads it
        text = host.decode("latin-1")
        if not _PLAIN_HOST.fullmatch(text):
            text = quote(text, safe=":[]@!$&'()*+,;=-._~")
        if not text and scope.get("server"):
            text = "{}:{}".format(*scope["server"])
        return f"{scope['scheme']}://{text}{scope.get('root_path', '')}{VERSION_PREFIX}"

    async def read_request(self, scope: Scope, receive: Receive) -> ScimRequest:
        """Read an ASGI request; body up to 1 MiB + 1 byte, within ``body_timeout`` seconds.

        Header values are decoded as UTF-8 with ``surrogateescape``: it never fails, and
        encoding a value back the same way gives the raw bytes (see :func:`token_matches`).

        :raises RequestTimeoutException: the body did not arrive in time (408).
        :raises ClientDisconnected: the client left before its body was complete.
        """
        request = ScimRequest(
            method=scope["method"],
            base_url=self.get_base_url(scope),
            path=self.split_path(self.get_path(scope)),
            query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)),
            headers=[
                (name.decode("latin-1"), value.decode("utf-8", "surrogateescape")) for name, value in scope["headers"]
            ],
        )
        chunks: list[bytes] = []
        size = 0
        more_body = True
        timeout = self.settings.body_timeout
        try:
            async with asyncio.timeout(timeout):
                while more_body and size <= MAX_BODY_BYTES:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise ClientDisconnected
                    chunk = message.get("body", b"")
                    chunks.append(chunk)
                    size += len(chunk)
                    more_body = message.get("more_body", False)
        except TimeoutError:
            raise RequestTimeoutException(
                detail=f"The request body was not received within {timeout:g} seconds"
            ) from None
        request.body = b"".join(chunks)[: MAX_BODY_BYTES + 1]
        return request

    async def dispatch_request(self, request: ScimRequest) -> ScimResponse:
        """Authenticate, refuse bodies over 1 MiB (413), then serve: Okta's lookup and
        ``/ServiceProviderConfig`` on the event loop, anything else with scim2-server's handler
        in a worker thread (searches that scan in their own lane)."""
        user_name = okta_lookup(request, self.settings.max_filter_length)  # GET /Users: a search
        operation: Operation | None = Operation.search if user_name is not None else None
        if operation is None:
            with contextlib.suppress(SCIMException):  # else the handler raises the 404/405, once authenticated
                operation = self.service.match(request).operation
        if operation is not Operation.service_provider_config:  # RFC 7644 §4: no auth for it
            self.check_auth(request)
        if len(request.body) > MAX_BODY_BYTES:
            raise PayloadTooLargeException(detail=f"The request body exceeds {MAX_BODY_BYTES} bytes (1 MiB)")
        request.subject = self.get_subject(request)
        if user_name is not None:
            response = self.lookup_response(request, user_name)
            if response is not None:
                return response
        if operation is Operation.service_provider_config:
            return self.sync_handler.handle(request)  # a constant document: no storage, no wait
        searching = operation in (Operation.search, Operation.search_with_body)
        lane = self._scan_lane if searching else self._main_lane
        return await asyncio.get_running_loop().run_in_executor(lane, self.sync_handler.handle, request)

    def lookup_response(self, request: ScimRequest, user_name: str) -> ScimResponse | None:
        """Okta's lookup answered from the stored JSON (:func:`.spliced.lookup_response`), or ``None``."""
        return lookup_response(self.service, self.store, self.user_type, request, user_name)

    def handle_exception(self, request: ScimRequest, exception: Exception) -> ScimResponse:
        """Turn an exception into its SCIM error response.

        Client errors are not logged again (the request line has the status). An unexpected
        exception is a 500 whose request line names the exception type; its traceback is
        logged at DEBUG level only.
        """
        if not isinstance(exception, SCIMException | own.OwnRuleError):
            self._unexpected(exception)
        return self.error_response(exception)

    @staticmethod
    def _unexpected(exception: BaseException) -> None:
        _unexpected.set(type(exception).__name__)
        log.debug("unexpected %s while serving a request", type(exception).__name__, exc_info=exception)

    def error_response(self, exception: Exception) -> ScimResponse:
        """The SCIM error response of any exception raised while serving (the one exit point).

        :class:`.own.OwnRuleError` carries its own status/scimType/detail; SCIM exceptions
        (the storage's 503 :class:`~.sqlite.StorageUnavailableException` and the 408
        :class:`RequestTimeoutException` included) their own, with scim2-server's headers
        (``Allow`` on a 405, ``WWW-Authenticate`` on a 401); anything else is a 500 without
        message or traceback in the body. A 503 carries ``Retry-After: 1`` (RFC 9110 §10.2.3),
        a 408 ``Connection: close``.
        """
        if isinstance(exception, own.OwnRuleError):
            error = Error(status=exception.status, scim_type=exception.scim_type, detail=exception.detail)
            response = ScimResponse(HTTPStatus(exception.status), error.model_dump())
        else:
            response = self.service.error_response(exception)
        if response.status == HTTPStatus.SERVICE_UNAVAILABLE:
            response.headers["Retry-After"] = "1"
        if response.status == HTTPStatus.REQUEST_TIMEOUT:
            response.headers["Connection"] = "close"
        return response

    def finalize_response(self, request: ScimRequest, response: ScimResponse) -> ScimResponse:
        """Add ``Cache-Control``, and on success scim2-server's ``Location`` (the request URL,
        :attr:`ScimRequest.url`, its path percent-encoded); an error response carries no ``Location``."""
        response.headers.setdefault("Cache-Control", "no-cache")
        if response.status >= HTTPStatus.BAD_REQUEST:
            response.headers.pop("Location", None)
            return response
        base, path = request.base_url.rstrip("/"), safe_path(request.path).strip("/")
        response.headers.setdefault("Location", f"{base}/{path}" if path else base)
        return response

    # -- ASGI ---------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve ``/scim/v2/...``; anything else is a SCIM 404. Logs one line per request."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        _unexpected.set(None)
        path: str = scope["path"]
        try:
            if path == BASE_PATH or path.startswith(BASE_PATH + "/"):
                inner = dict(scope, root_path=scope.get("root_path", "") + BASE_PATH.removesuffix("/v2"))
                try:
                    request = await self.read_request(inner, receive)
                except ClientDisconnected:
                    self._log(scope, None, started)
                    return
                except RequestTimeoutException as exc:
                    response = self.error_response(exc)
                else:
                    response = await self.serve(request)
            else:
                response = self.error_response(
                    NotFoundException(detail=f"No SCIM endpoint at {path!r}; the SCIM base URL is {BASE_PATH}")
                )
        except Exception as exc:  # a bug of the receiver: still a SCIM 500 body, without the traceback
            self._unexpected(exc)
            response = self.error_response(exc)
        status = int(response.status)
        if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            response.headers["Connection"] = "close"  # the rest of the body is not read
        self._log(scope, status, started)  # before sending, so the line exists once the client has its answer
        await self.send_response(response, send)

    @staticmethod
    async def send_response(response: ScimResponse, send: Send) -> None:
        """Send a SCIM response, its JSON body with a ``Content-Length`` (no chunked encoding)."""
        if isinstance(response, JsonScimResponse) and response.text is not None:
            body = response.text.encode()
        else:
            body = b"" if response.body is None else json.dumps(response.body).encode()
        headers = [(name.encode(), value.encode()) for name, value in response.headers.items()]
        if response.status not in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
            headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": int(response.status), "headers": headers})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _log(scope: Scope, status: int | None, started: float) -> None:
        """Log the request on one line: method, path (percent-encoded, no query string: a
        filter may hold personal data), status (``-`` when the client left before its body was
        complete, then ``disconnected``), milliseconds, user agent (JSON-escaped), and for a
        500 the type of the unexpected exception."""
        agent = b"-"
        for name, value in scope.get("headers") or []:
            if name == b"user-agent":
                agent = value
        elapsed = (time.perf_counter() - started) * 1000
        method = safe_path(str(scope.get("method", "-")))
        error = _unexpected.get()
        suffix = f" error={error}" if error else (" disconnected" if status is None else "")
        shown = "-" if status is None else str(status)
        if log.isEnabledFor(logging.INFO):  # made and handled as Logger.info does, without its caller lookup
            args = (method, safe_path(scope["path"]), shown, elapsed, _agent(agent), suffix)
            log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, "%s %s %s %.1fms %s%s", args, None, "_log"))


def create_app(settings: ReceiverSettings) -> ReceiverApplication:
    """Build the receiver's ASGI application for ``settings`` (opens/creates the SQLite file).

    Serve it with uvicorn (see :mod:`.server`); the SCIM base URL is
    ``http://HOST:PORT/scim/v2``. ``app.store`` gives Own's state to tests.
    """
    return ReceiverApplication(settings)
