"""The ASGI application: scim2-server's protocol, Own's rules, SQLite storage, token auth.

Served under ``/scim/v2`` (RFC 7644 §3.13 versioning); one resource type, ``/Users``.
Every response is ``application/scim+json``; every error body is an RFC 7644 §3.12
``urn:ietf:params:scim:api:messages:2.0:Error`` with ``status`` and, where the RFC defines
one, ``scimType``. The errors of Own's rules (:class:`~.own.OwnRuleError`) and of the
protocol (:class:`scim2_models.SCIMException`) meet in one place,
:meth:`OwnScimService.error_of`.

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
=====================================  ======  =================
"""

from __future__ import annotations

import contextvars
import dataclasses
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qsl, quote

from scim2_models import (
    Context,
    Error,
    NotFoundException,
    PatchOp,
    PayloadTooLargeException,
    Resource,
    ResourceType,
    ResponseParameters,
    SCIMException,
    UnauthorizedException,
    User,
)
from scim2_server.applications.asgi import ASGIApplication, Receive, Scope, Send
from scim2_server.conditions import Conditions
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.routing import Operation
from scim2_server.service import ScimService

from . import own
from .models import MAX_BODY_BYTES, OwnUser, build_provider
from .settings import OWN_USER_SCHEMA, ReceiverSettings
from .storage import AsyncSqliteStorage, SqliteStorage

#: Where the SCIM endpoints live on the server (Own's "SCIM URL" ends with it).
BASE_PATH = "/scim/v2"

log = logging.getLogger("ownscim_infra.receiver")

#: Characters left as they are when a path is put in a URL or a log line; every other one
#: (controls, spaces, quotes, non-ASCII) is percent-encoded (RFC 3986 §2.1).
_PATH_SAFE = "/:@!$&'()*+,;=-._~"

#: The type of the unexpected exception the current request raised, for its log line.
_unexpected: contextvars.ContextVar[str | None] = contextvars.ContextVar("ownscim_receiver_unexpected", default=None)


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


def safe_path(path: str) -> str:
    """Percent-encode a decoded request path for a URL or a log line (``\n`` -> ``%0A``).

    The result is printable ASCII: a path cannot forge a log line nor break a header.
    """
    return quote(path, safe=_PATH_SAFE)


def _dump(resource: Resource[Any]) -> dict[str, Any]:
    return resource.model_dump(mode="json")


def _regions_of(resource: Resource[Any]) -> tuple[str, ...] | None:
    extension = resource[OwnUser]
    if extension is None or extension.regions is None:
        return None
    return tuple(extension.regions)


class OwnScimService(ScimService):
    """scim2-server's :class:`~scim2_server.service.ScimService` with Own's rules.

    - creation (RFC 7644 §3.3): ``regions`` taken out of the body in any of Okta's shapes
      and resolved against the account (:func:`.own.parse_regions`); role ``Read-only``;
      business unit checked; ``active`` defaults to true;
    - replacement and PATCH (RFC 7644 §3.5): in ``refuse`` mode, anything but ``active``
      changing is refused with 400 ``mutability``; nothing is written;
    - in every mode: Own's extension is read-only (a PATCH changing or removing it is 400
      ``mutability``; a PUT's values for it are ignored, RFC 7644 §3.5.1), and ``active``
      stays true or false (a PATCH removing it or setting it to null is 400 ``invalidValue``;
      a PUT without it keeps the current value).
    """

    def __init__(self, settings: ReceiverSettings) -> None:
        super().__init__(build_provider())
        self.settings = settings

    def resource_type_at(self, endpoint: str) -> ResourceType:
        """The resource type at an endpoint; ``/Groups`` is a 404 naming Own's missing Push Groups support."""
        if endpoint.strip("/").casefold() == "groups":
            raise NotFoundException(
                detail="Own does not support Okta's Push Groups: /Groups is not served (see /ResourceTypes)"
            )
        return super().resource_type_at(endpoint)

    # -- creation --------------------------------------------------------------

    def _split_regions(self, body: bytes, content_type: str | None) -> tuple[bytes, Any]:
        payload = self.decode_body(body, content_type)
        payload, regions = own.extract_regions(payload)
        return json.dumps(payload).encode(), regions

    def read_creation(self, resource_type: ResourceType, body: bytes, content_type: str | None) -> Resource[Any]:
        """Validate a POST /Users body and give it Own's state (regions, role, business unit).

        :raises SCIMException: invalid body (400 ``invalidSyntax``/``invalidValue``).
        :raises own.InvalidRegionsError: unknown region. :raises own.BusinessUnitMissingError:
            the business unit is not ``Default Business Unit``.
        """
        body, raw_regions = self._split_regions(body, content_type)
        resource = super().read_creation(resource_type, body, content_type)
        regions = own.parse_regions(raw_regions, self.settings.regions)
        role, business_unit = own.new_user_state(self.settings.business_unit)
        if isinstance(resource, User) and resource.active is None:
            resource.active = True
        resource[OwnUser] = OwnUser(regions=list(regions), role=role, business_unit=business_unit)
        return resource

    # -- replacement -------------------------------------------------------------

    def read_replacement(self, resource_type: ResourceType, body: bytes, content_type: str | None) -> Resource[Any]:
        """Validate a PUT /Users/{id} body; a ``regions`` value in it is resolved and kept
        for :meth:`apply_replacement`."""
        body, raw_regions = self._split_regions(body, content_type)
        resource = super().read_replacement(resource_type, body, content_type)
        if raw_regions is not own.MISSING:
            regions = own.parse_regions(raw_regions, self.settings.regions)
            resource[OwnUser] = OwnUser(regions=list(regions))
        return resource

    def apply_replacement(
        self, current: Resource[Any], replacement: Resource[Any], conditions: Conditions
    ) -> Resource[Any] | None:
        """Apply a PUT (RFC 7644 §3.5.1); in ``refuse`` mode only ``active`` may change.

        :raises own.AttributeUpdateRefusedError: another attribute (or ``regions``) would change.
        """
        requested_regions = _regions_of(replacement)
        before = _dump(current)
        own_state = (current[OwnUser] or OwnUser()).model_copy(deep=True)
        replaced = super().apply_replacement(current, replacement, conditions)
        result = replaced if replaced is not None else current.model_copy(deep=True)
        # A PUT without ``active`` keeps it: RFC 7644 §3.5.1 lets the provider assign a default.
        if isinstance(result, User) and result.active is None:
            result.active = getattr(current, "active", None)
        # Own's state is read-only: a PUT that leaves the extension out keeps it (RFC 7643 §2.2).
        regions_change = requested_regions is not None and list(requested_regions) != (own_state.regions or [])
        if requested_regions is not None and regions_change:
            own_state.regions = list(requested_regions)
        result[OwnUser] = own_state
        after = _dump(result)
        self._check_update(before, after, regions_change)
        return result if own.changed_attributes(before, after) or before.get("active") != after.get("active") else None

    # -- PATCH -----------------------------------------------------------------

    def apply_patch(
        self, current: Resource[Any], patch_op: PatchOp[Any], conditions: Conditions
    ) -> Resource[Any] | None:
        """Apply a PatchOp (RFC 7644 §3.5.2), e.g. Okta's ``{"op":"replace","value":{"active":false}}``.

        :raises own.AttributeUpdateRefusedError: in ``refuse`` mode, when the PatchOp changes
            anything but ``active``.
        :raises own.OwnStateReadOnlyError: in any mode, when it changes or removes Own's
            extension (e.g. ``{"op":"remove","path":"<extension URN>"}``).
        :raises own.ActiveUnassignedError: when it removes ``active`` or sets it to null.
        """
        before = _dump(current)
        patched = super().apply_patch(current, patch_op, conditions)
        if patched is not None:
            after = _dump(patched)
            own.refuse_own_state_change(before.get(OWN_USER_SCHEMA), after.get(OWN_USER_SCHEMA))
            self._check_update(before, after, False)
        return patched

    def patch_response(
        self, base_url: str, resource: Resource[Any], response_parameters: ResponseParameters[Any]
    ) -> ScimResponse:
        """Answer a PATCH with 200 and the user (RFC 7644 §3.5.2 allows it; Okta reads the body), never 204."""
        return self.resource_response(
            self.publish(base_url, resource), Context.RESOURCE_REPLACEMENT_RESPONSE, response_parameters
        )

    def _check_update(self, before: dict[str, Any], after: dict[str, Any], regions_change: bool) -> None:
        """Check the new state of a user (dumped) against the old one, for PUT and PATCH.

        :raises own.ActiveUnassignedError: ``active`` is no longer true or false (any mode).
        :raises own.AttributeUpdateRefusedError: in ``refuse`` mode, anything but ``active``
            changes (Own's extension is checked apart, and a PUT never changes it).
        """
        if not isinstance(after.get("active"), bool):
            raise own.ActiveUnassignedError("active cannot be removed nor set to null: a user is active or not")
        if self.settings.attribute_updates != "refuse":
            return
        changed = own.changed_attributes(before, after, ignore=[OWN_USER_SCHEMA, "password"])
        if after.get("password") is not None and after.get("password") != before.get("password"):
            changed.append("password")
        if regions_change:
            changed.append("regions")
        if changed:
            raise own.attribute_update_refused(changed)

    # -- errors -----------------------------------------------------------------

    @staticmethod
    def error_of(exception: Exception) -> Error:
        """Map any exception raised while serving to its RFC 7644 §3.12 Error (the one exit point).

        :class:`.own.OwnRuleError` carries its own status/scimType/detail; SCIM exceptions
        their own; anything else is a 500 without message or traceback in the body.
        """
        if isinstance(exception, own.OwnRuleError):
            return Error(status=exception.status, scim_type=exception.scim_type, detail=exception.detail)
        return ScimService.error_of(exception)


class ReceiverApplication(ASGIApplication):
    """The ASGI application (``create_app`` builds it): scim2-server's ASGI app with auth, limits, logging.

    :ivar store: the :class:`.storage.SqliteStorage` (with the ``own_state`` read API).
    """

    def __init__(self, settings: ReceiverSettings) -> None:
        self.settings = settings
        service = OwnScimService(settings)
        self.store = SqliteStorage(settings.db_path, service.provider)
        super().__init__(AsyncSqliteStorage(self.store), service.provider, service)

    def __repr__(self) -> str:
        return f"ReceiverApplication(regions={self.settings.regions!r}, db_path={str(self.settings.db_path)!r})"

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
        """scim2-server's base URL, with the ``Host`` header percent-encoded where it is not
        printable ASCII (it ends up in ``Location`` and ``meta.location`` headers and bodies)."""
        headers = [
            (name, quote(value.decode("latin-1"), safe=":[]@!$&'()*+,;=-._~").encode() if name == b"host" else value)
            for name, value in scope.get("headers") or []
        ]
        return ASGIApplication.get_base_url(dict(scope, headers=headers))

    async def read_request(self, scope: Scope, receive: Receive) -> ScimRequest:
        """Read an ASGI request; body up to 1 MiB + 1 byte.

        Header values are decoded as UTF-8 with ``surrogateescape``: it never fails, and
        encoding a value back the same way gives the raw bytes (see :func:`token_matches`).
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
        while more_body and size <= MAX_BODY_BYTES:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more_body = message.get("more_body", False)
        request.body = b"".join(chunks)[: MAX_BODY_BYTES + 1]
        return request

    async def dispatch_request(self, request: ScimRequest) -> ScimResponse:
        """Authenticate, refuse bodies over 1 MiB (413), then serve with scim2-server's handler."""
        if self.needs_auth(request):
            self.check_auth(request)
        if len(request.body) > MAX_BODY_BYTES:
            raise PayloadTooLargeException(detail=f"The request body exceeds {MAX_BODY_BYTES} bytes (1 MiB)")
        request.subject = self.get_subject(request)
        return await self.handler.handle(request)

    def handle_exception(self, request: ScimRequest, exception: Exception) -> ScimResponse:
        """Turn an exception into its SCIM error response.

        Client errors are not logged again (the request line has the status). An unexpected
        exception is a 500 whose request line names the exception type; its traceback is
        logged at DEBUG level only.
        """
        if isinstance(exception, SCIMException | own.OwnRuleError):
            return self.service.error_response(exception)
        self._unexpected(exception)
        return self.service.error_response(exception)

    @staticmethod
    def _unexpected(exception: BaseException) -> None:
        _unexpected.set(type(exception).__name__)
        log.debug("unexpected %s while serving a request", type(exception).__name__, exc_info=exception)

    def finalize_response(self, request: ScimRequest, response: ScimResponse) -> ScimResponse:
        """Add ``Cache-Control``, and on success scim2-server's ``Location`` (the request URL,
        its path percent-encoded); an error response carries no ``Location``."""
        safe = dataclasses.replace(request, path=safe_path(request.path))
        response = super().finalize_response(safe, response)
        if int(response.status) >= 400:
            response.headers.pop("Location", None)
        return response

    # -- ASGI ---------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve ``/scim/v2/...``; anything else is a SCIM 404. Logs one line per request."""
        if scope["type"] == "lifespan":
            await self.serve_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        _unexpected.set(None)
        path: str = scope["path"]
        try:
            if path == BASE_PATH or path.startswith(BASE_PATH + "/"):
                inner = dict(scope, root_path=scope.get("root_path", "") + BASE_PATH.removesuffix("/v2"))
                request = await self.read_request(inner, receive)
                response = await self.serve(request)
            else:
                response = self.service.error_response(
                    NotFoundException(detail=f"No SCIM endpoint at {path!r}; the SCIM base URL is {BASE_PATH}")
                )
        except Exception as exc:  # a bug of the receiver: still a SCIM 500 body, without the traceback
            self._unexpected(exc)
            response = self.service.error_response(exc)
        status = int(response.status)
        self._log(scope, status, started)  # before sending, so the line exists once the client has its answer
        await self.send_response(response, send)

    @staticmethod
    def _log(scope: Scope, status: int, started: float) -> None:
        """Log the request on one line: method, path (percent-encoded, no query string: a
        filter may hold personal data), status, milliseconds, user agent (JSON-escaped), and
        for a 500 the type of the unexpected exception."""
        headers = dict(scope.get("headers") or [])
        agent = json.dumps(headers.get(b"user-agent", b"-").decode("latin-1"))
        elapsed = (time.perf_counter() - started) * 1000
        method = safe_path(str(scope.get("method", "-")))
        error = _unexpected.get()
        suffix = f" error={error}" if error else ""
        log.info("%s %s %d %.1fms %s%s", method, safe_path(scope["path"]), status, elapsed, agent, suffix)


def create_app(settings: ReceiverSettings) -> ReceiverApplication:
    """Build the receiver's ASGI application for ``settings`` (opens/creates the SQLite file).

    Serve it with uvicorn (see :mod:`.server`); the SCIM base URL is
    ``http://HOST:PORT/scim/v2``. ``app.store`` gives Own's state to tests.
    """
    return ReceiverApplication(settings)
