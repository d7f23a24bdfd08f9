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
PATCH over ``maxOperations``           400     ``invalidValue``
filter over ``maxClauses``/length      400     ``tooMany``
body not received in time              408     --
media type not JSON                    415     --
database locked by another process     503     -- (``Retry-After``)
=====================================  ======  =================

Where the work runs: the event loop reads and writes HTTP only, plus three things that are
constant or one indexed read and never wait for a lock: ``/ServiceProviderConfig``, the
authentication check, and Okta's lookup ``GET /Users?filter=userName eq "..."`` (answered
from the stored JSON, see :meth:`ReceiverApplication.lookup_response`). Every other request
is served by scim2-server's synchronous handler in a worker thread: searches that scan in a
lane of their own, everything else in the main lane; writes then go through the storage's
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
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote

from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidSyntaxException,
    InvalidValueException,
    NotFoundException,
    PatchOp,
    PayloadTooLargeException,
    Resource,
    ResourceType,
    ResponseParameters,
    SCIMException,
    SearchRequest,
    TooManyException,
    UnauthorizedException,
    User,
)
from scim2_models import Path as ScimPath
from scim2_models.path.expressions import Comparison, FilterNode, LogicalExpr, Not, Present, ValuePath
from scim2_server.applications.asgi import ASGIApplication, Receive, Scope, Send
from scim2_server.applications.base import VERSION_PREFIX
from scim2_server.conditions import Conditions
from scim2_server.errors import UnsupportedMediaTypeException
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.routing import Operation
from scim2_server.service import ScimService, scim_exception_of

from . import own
from .models import (
    MAX_BODY_BYTES,
    EnterpriseUser,
    OwnUser,
    build_provider,
    check_uri_reference,
    service_provider_config,
)
from .settings import OWN_USER_SCHEMA, ReceiverSettings, parse_region_list
from .storage import AsyncSqliteStorage, SqliteStorage, StorageUnavailableException

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

#: The media types a request body may have (RFC 7644 §3.8: SCIM's own, and plain JSON), with or
#: without parameters such as ``charset``.
ACCEPTED_MEDIA_TYPES = ("application/scim+json", "application/json")

LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

#: Okta's lookup filter, exactly: ``userName eq "<value>"`` (attribute and operator in any case,
#: the attribute possibly fully qualified), a value without quote, backslash or control character.
_OKTA_LOOKUP = re.compile(r' *(?:urn:ietf:params:scim:schemas:core:2\.0:User:)?userName +eq +"([^"\\]*)" *', re.I)
_LOOKUP_PARAMETERS = frozenset({"filter", "startIndex", "count"})
_POSITIVE = re.compile(r"[1-9][0-9]{0,8}")


@dataclasses.dataclass
class JsonScimResponse(ScimResponse):
    """A :class:`ScimResponse` whose body is already JSON text (``text``), sent as it is."""

    text: str | None = None


_META = '"meta":{'


def located(body: str, location: str) -> str | None:
    """The stored JSON of a resource with ``meta.location`` set, as text; ``None`` when it holds a
    ``$ref`` (scim2-server would turn it into a URL) or has no ``meta``.

    The stored JSON is pydantic's compact dump, whose keys come in field order (``schemas``,
    ``id``, ``externalId``, ``meta``...): its first ``"meta":{`` is the resource's ``meta``
    (inside a string a quote is escaped), and a key ``"$ref"`` always reads ``"$ref"``.
    """
    start = body.find(_META)
    if start < 0 or '"$ref"' in body:
        return None
    cut = start + len(_META)
    separator = "" if body[cut] == "}" else ","
    return f'{body[:cut]}"location":{json.dumps(location)}{separator}{body[cut:]}'


class RequestTimeoutException(SCIMException):
    """The client did not send the whole request body within ``body_timeout``: 408, no scimType
    (RFC 7644 §3.12 has none for it); the connection is then closed."""

    status = 408
    _default_detail = "The request body was not received in time"


class ClientDisconnected(Exception):
    """The client closed the connection before its request body was complete: nothing is served."""


def okta_lookup(request: ScimRequest, max_length: int) -> str | None:
    """The ``userName`` value when ``request`` is exactly Okta's lookup, else ``None``.

    Okta's lookup is ``GET /Users?filter=userName eq "x"`` with at most ``startIndex=1`` and a
    positive ``count`` besides (Okta sends ``startIndex=1&count=100``), its filter at most
    ``max_length`` characters. Anything else, a filter value with an escape or a control
    character included, goes through scim2-server's parser (and the bounds' errors).
    """
    if request.method != "GET" or request.path != "/Users":
        return None
    query = request.query
    if not query.keys() <= _LOOKUP_PARAMETERS:
        return None
    count = query.get("count")
    if query.get("startIndex", "1") != "1" or (count is not None and not _POSITIVE.fullmatch(count)):
        return None
    filter_ = query.get("filter", "")
    match = _OKTA_LOOKUP.fullmatch(filter_) if len(filter_) <= max_length else None
    if match is None or not match[1].isprintable():
        return None
    return match[1]


def attribute(payload: Any, name: str) -> Any:
    """The value of attribute ``name`` of a decoded JSON object (names compared ignoring case,
    RFC 7643 §2.1; :func:`case_clash` makes them unique), or ``None``."""
    if not isinstance(payload, Mapping):
        return None
    folded = name.casefold()
    return next((v for k, v in payload.items() if k.casefold() == folded), None)


def case_clash(value: Any) -> tuple[str, str] | None:
    """The first two keys of one JSON object in ``value`` (a decoded body, walked depth-first)
    that are equal ignoring case (``("Operations", "operations")``), or ``None``."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            seen: dict[str, str] = {}
            for key, child in item.items():
                folded = key.casefold()
                if folded in seen:
                    return seen[folded], key
                seen[folded] = key
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
    return None


ENTERPRISE_USER_SCHEMA = str(EnterpriseUser.__schema__)
#: A reference to a user of this service: ``Users/{id}``, relative to the SCIM root or at the
#: end of an absolute URL (RFC 7643 §2.3.7).
_USER_REFERENCE = re.compile(r"(?:^|/)(Users/[^/?#]+)$")


def _manager_reference(user: dict[str, Any]) -> Any:
    """``manager.$ref`` of the enterprise extension of a dumped user, or ``None``."""
    extension = user.get(ENTERPRISE_USER_SCHEMA)
    manager = extension.get("manager") if isinstance(extension, dict) else None
    return manager.get("$ref") if isinstance(manager, dict) else None


def _resource_references(user: dict[str, Any]) -> dict[str, Any]:
    """``user`` (dumped) with ``manager.$ref`` reduced to ``Users/{id}``, for comparing an update
    with what is stored: a reference stored relative is sent back absolute (scim2-server's
    ``publish``), and a client that PUTs the user it read sends the same manager."""
    reference = _manager_reference(user)
    match = _USER_REFERENCE.search(reference) if isinstance(reference, str) else None
    if match is None:
        return user
    extension = user[ENTERPRISE_USER_SCHEMA]
    return {**user, ENTERPRISE_USER_SCHEMA: {**extension, "manager": {**extension["manager"], "$ref": match.group(1)}}}


def filter_clauses(node: FilterNode) -> int:
    """The comparisons and presence tests in a parsed filter, those of value paths included."""
    if isinstance(node, Comparison | Present):
        return 1
    if isinstance(node, LogicalExpr):
        return sum(filter_clauses(term) for term in node.terms)
    if isinstance(node, Not):
        return filter_clauses(node.expr)
    if isinstance(node, ValuePath):
        return filter_clauses(node.val_filter)
    return 1


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


def _dump(resource: Resource[Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resource.model_dump_json())  # pydantic-core's serializer: the fast dump
    return data


def _set_own_state(resource: Resource[Any], state: OwnUser) -> None:
    """``resource[OwnUser] = state``, through the extension's field when the model has it (a
    plain, validated assignment: scim2-models' path machinery costs four times as much)."""
    if OwnUser.__name__ in type(resource).model_fields:
        setattr(resource, OwnUser.__name__, state)
    else:
        resource[OwnUser] = state


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
        config = service_provider_config(
            settings.max_patch_operations, settings.max_filter_clauses, settings.max_filter_length
        )
        super().__init__(build_provider(config))
        self.settings = settings
        #: The JSON the storage just read or wrote for a resource in the calling thread, if that
        #: is the one in hand (same id and version); set by the application
        #: (:meth:`.storage.SqliteStorage.stored_json`).
        self.stored_json: Callable[[Resource[Any]], str | None] | None = None

    # -- media types and the bounds on one request -------------------------------------

    @staticmethod
    def ensure_json(content_type: str | None) -> None:
        """Refuse a body that is not ``application/scim+json`` nor ``application/json`` (any
        parameter, ``charset`` included) with 415; no Content-Type is JSON (RFC 7644 §3.8).

        :raises UnsupportedMediaTypeException: 415 whose ``detail`` names both media types.
        """
        if content_type and content_type.partition(";")[0].strip().lower() not in ACCEPTED_MEDIA_TYPES:
            raise UnsupportedMediaTypeException(
                detail="The request body must be JSON, sent as application/scim+json or application/json "
                "(with or without a charset parameter)"
            )

    def decode_body(self, body: bytes, content_type: str | None) -> Any:
        """The JSON value of a request body (scim2-server's :meth:`decode_body`), refused when an
        object in it names one attribute twice in different cases (``Operations`` and
        ``operations``): attribute names are case-insensitive (RFC 7643 §2.1), so such a body
        has no one meaning, and the bounds below must count what the validation reads.

        :raises InvalidSyntaxException: 400 ``invalidSyntax``, the body is not JSON or names an
            attribute twice.
        """
        payload = super().decode_body(body, content_type)
        clash = case_clash(payload)
        if clash is not None:
            raise InvalidSyntaxException(
                detail=f"The attribute {clash[0]!r} is given twice, as {clash[0]!r} and {clash[1]!r}: attribute "
                "names are case-insensitive (RFC 7643 §2.1); send it once"
            )
        return payload

    def reference_location(self, base_url: str, reference: str) -> str:
        """scim2-server's :meth:`reference_location`, keeping as stored a reference it cannot read
        (one stored before :class:`~.models.Manager` checked ``$ref``): an answer is never a 500."""
        try:
            return super().reference_location(base_url, reference)
        except ValueError:
            return reference

    def read_patch(self, resource_type: ResourceType, body: bytes, content_type: str | None) -> PatchOp[Any]:
        """Validate a PatchOp (RFC 7644 §3.5.2) after checking it holds at most
        ``max_patch_operations`` operations, and that each ``path``'s value filter is within the
        filter bounds (:meth:`bound_filter`): counted before any is validated or applied.

        :raises InvalidValueException: 400 ``invalidValue``, too many operations.
        :raises TooManyException: 400 ``tooMany``, a path's filter is over a bound.
        """
        operations = attribute(self.decode_body(body, content_type), "Operations")
        limit = self.settings.max_patch_operations
        if isinstance(operations, list) and len(operations) > limit:
            raise InvalidValueException(
                detail=f"A PATCH may carry at most {limit} operations (maxOperations in /ServiceProviderConfig), "
                f"this one has {len(operations)}: send them in several requests"
            )
        for operation in operations if isinstance(operations, list) else ():
            path = attribute(operation, "path")
            if isinstance(path, str):  # a value filter in it (emails[type eq "work"]) is bounded as a filter
                what = "A PATCH path (its value filter)"
                self.bound_filter_length(path, what)
                try:
                    ast = ScimPath(path).ast
                except (SCIMException, ValueError):
                    continue  # not a valid path: the validation says so
                self.bound_filter_clauses(filter_clauses(ast.val_filter) if isinstance(ast, ValuePath) else 0, what)
        return super().read_patch(resource_type, body, content_type)

    def bound_filter_length(self, text: str, what: str) -> None:
        """Refuse a filter (a search's, or a PATCH path's value filter) over ``max_filter_length``
        characters, before it is parsed.

        :raises TooManyException: 400 ``tooMany``, naming ``what`` and the bound."""
        if len(text) > self.settings.max_filter_length:
            raise TooManyException(
                detail=f"{what} may be at most {self.settings.max_filter_length} characters long "
                "(see /ServiceProviderConfig)"
            )

    def bound_filter_clauses(self, clauses: int, what: str) -> None:
        """Refuse a parsed filter of more than ``max_filter_clauses`` comparisons
        (:func:`filter_clauses`), before it is evaluated.

        :raises TooManyException: 400 ``tooMany``, naming ``what``, the bound and ``clauses``."""
        if clauses > self.settings.max_filter_clauses:
            raise TooManyException(
                detail=f"{what} may hold at most {self.settings.max_filter_clauses} comparisons "
                f"(maxClauses in /ServiceProviderConfig), this one has {clauses}"
            )

    def read_search(self, resource_types: list[ResourceType], payload: Any) -> tuple[SearchRequest[Any], Any]:
        """Validate a search (RFC 7644 §3.4.2) after bounding its filter: at most
        ``max_filter_length`` characters before it is parsed, ``max_filter_clauses`` clauses
        before it is evaluated.

        :raises TooManyException: 400 ``tooMany``, the filter is over a bound.
        """
        raw = attribute(payload, "filter")
        if isinstance(raw, str):
            self.bound_filter_length(raw, "A filter")
        search_request, position = super().read_search(resource_types, payload)
        if search_request.filter is not None:
            self.bound_filter_clauses(filter_clauses(search_request.filter.ast), "A filter")
        return search_request, position

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
        _set_own_state(resource, OwnUser(regions=list(regions), role=role, business_unit=business_unit))
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
        before = self._stored(current)
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
        before = self._stored(current)  # read before the PATCH changes ``current`` in place
        try:
            patched = super().apply_patch(current, patch_op, conditions)
        except SCIMException as exc:
            # scim2-models wraps a failed validation with the pydantic text as its detail:
            # answer the first error's own message, as a POST does
            if isinstance(exc.__cause__, ValidationError):
                raise scim_exception_of(exc.__cause__) from None
            raise
        if patched is not None:
            enterprise = patched[EnterpriseUser] if isinstance(patched, User) else None
            reference = enterprise.manager.ref if enterprise is not None and enterprise.manager is not None else None
            if reference is not None and str(reference) != _manager_reference(before):
                # a PATCH is validated without the check; a reference stored before it stays as it is
                check_uri_reference(str(reference), "manager.$ref")
            after = _dump(patched)
            own.refuse_own_state_change(before.get(OWN_USER_SCHEMA), after.get(OWN_USER_SCHEMA))
            self._check_update(before, after, False)
        return patched

    def _stored(self, resource: Resource[Any]) -> dict[str, Any]:
        """The dumped form of a resource as stored: its stored JSON when the storage has it at
        hand (:attr:`stored_json`), else a dump (the same document: the storage wrote a dump)."""
        body = self.stored_json(resource) if self.stored_json is not None else None
        if body is None:
            return _dump(resource)
        data: dict[str, Any] = json.loads(body)
        return data

    def patch_response(
        self, base_url: str, resource: Resource[Any], response_parameters: ResponseParameters[Any]
    ) -> ScimResponse:
        """Answer a PATCH with 200 and the user (RFC 7644 §3.5.2 allows it; Okta reads the body), never 204."""
        return self.replacement_response(base_url, resource, response_parameters)

    # -- responses ------------------------------------------------------------------

    def published(self, base_url: str, resource: Resource[Any], body: str | None = None) -> str | None:
        """The JSON of a stored resource as scim2-server's :meth:`publish` and a default-attributes
        dump would send it, made from the resource's own JSON (validated when it was stored; ``body``
        when the caller has it) with ``meta.location`` set; ``None`` when the resource holds a
        ``$ref``, which :meth:`publish` would turn into a URL (then the caller takes scim2-server's
        path). Tests check both give the same document."""
        if body is None and self.stored_json is not None:
            body = self.stored_json(resource)
        if body is None:
            body = resource.model_dump_json(exclude={"password"} if "password" in type(resource).model_fields else None)
        if resource.id is None:
            return None
        return located(body, self.resource_location(base_url, self.get_resource_type_of(resource), resource.id))

    @staticmethod
    def _resource_response(
        resource: Resource[Any], text: str, location: str, status: HTTPStatus = HTTPStatus.OK
    ) -> ScimResponse:
        """:meth:`resource_response` for :meth:`published` JSON: ``Content-Location`` and ``ETag`` (RFC 7644 §3.14)."""
        headers = {"Content-Location": location}
        if resource.meta is not None and resource.meta.version:
            headers["ETag"] = resource.meta.version
        return JsonScimResponse(status, None, headers, text=text)

    def creation_response(self, base_url: str, created: Resource[Any], body: str | None = None) -> ScimResponse:
        """201 with the created user and its ``Location`` (RFC 7644 §3.3), from its stored JSON ``body``."""
        text = self.published(base_url, created, body)
        if text is None:
            return super().creation_response(base_url, created)
        location = self.resource_location(base_url, self.get_resource_type_of(created), str(created.id))
        response = self._resource_response(created, text, location, HTTPStatus.CREATED)
        response.headers["Location"] = location
        return response

    def replacement_response(
        self, base_url: str, resource: Resource[Any], response_parameters: ResponseParameters[Any]
    ) -> ScimResponse:
        """200 with the user (RFC 7644 §3.5.1), from its stored JSON unless ``attributes`` or
        ``excludedAttributes`` ask for a projection (then scim2-server's path)."""
        text = None
        if not response_parameters.attributes and not response_parameters.excluded_attributes:
            text = self.published(base_url, resource)
        if text is None:
            return self.resource_response(
                self.publish(base_url, resource), Context.RESOURCE_REPLACEMENT_RESPONSE, response_parameters
            )
        location = self.resource_location(base_url, self.get_resource_type_of(resource), str(resource.id))
        return self._resource_response(resource, text, location)

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
        changed = own.changed_attributes(
            _resource_references(before), _resource_references(after), ignore=[OWN_USER_SCHEMA, "password"]
        )
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
        (the storage's 503 :class:`~.storage.StorageUnavailableException` and the 408
        :class:`RequestTimeoutException` included) their own; anything else is a 500 without
        message or traceback in the body.
        """
        if isinstance(exception, own.OwnRuleError):
            return Error(status=exception.status, scim_type=exception.scim_type, detail=exception.detail)
        return ScimService.error_of(exception)

    def error_response(self, exception: Exception) -> ScimResponse:
        """The SCIM error response of an exception (:meth:`error_of`); a 503 carries
        ``Retry-After: 1`` (RFC 9110 §10.2.3), a 408 ``Connection: close``."""
        response = super().error_response(exception)
        if response.status == HTTPStatus.SERVICE_UNAVAILABLE:
            response.headers["Retry-After"] = "1"
        if response.status == HTTPStatus.REQUEST_TIMEOUT:
            response.headers["Connection"] = "close"
        return response


class ReceiverHandler(ScimHandler):
    """scim2-server's synchronous handler, run in worker threads; a PUT, PATCH or DELETE holds the
    lock of its resource (:meth:`.storage.SqliteStorage.locked`) from its read to its write."""

    def __init__(self, service: OwnScimService, storage: SqliteStorage) -> None:
        super().__init__(service, storage)
        self.store = storage

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
        """Answer Okta's lookup (RFC 7644 §3.4.2) from the stored JSON, or ``None`` to let the
        full path answer.

        One read of the UNIQUE index on the folded ``userName`` (no write lock, no waiting: a
        busy database falls back to the full path in a worker thread); the stored JSON was
        validated when written, so it is sent as stored, with ``meta.location`` set. A
        resource holding a ``$ref`` (which scim2-server would turn into a URL) also falls back.
        The body is the ListResponse scim2-server builds for the same query (a test checks it).
        """
        try:
            found = self.store.user_body(self.user_type, user_name, wait=False)
        except StorageUnavailableException:
            return None
        resources = ""
        if found is not None:
            resource_id, body = found
            text = located(body, self.service.resource_location(request.base_url, self.user_type, resource_id))
            if text is None:
                return None
            resources = text
        count = 1 if resources else 0
        listed = (
            f'{{"schemas": ["{LIST_RESPONSE_SCHEMA}"], "totalResults": {count}, "itemsPerPage": {count}, '
            f'"startIndex": 1, "Resources": [{resources}]}}'
        )
        return JsonScimResponse(HTTPStatus.OK, None, text=listed)

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
                    response = self.service.error_response(exc)
                else:
                    response = await self.serve(request)
            else:
                response = self.service.error_response(
                    NotFoundException(detail=f"No SCIM endpoint at {path!r}; the SCIM base URL is {BASE_PATH}")
                )
        except Exception as exc:  # a bug of the receiver: still a SCIM 500 body, without the traceback
            self._unexpected(exc)
            response = self.service.error_response(exc)
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
        log.info("%s %s %s %.1fms %s%s", method, safe_path(scope["path"]), shown, elapsed, _agent(agent), suffix)


def create_app(settings: ReceiverSettings) -> ReceiverApplication:
    """Build the receiver's ASGI application for ``settings`` (opens/creates the SQLite file).

    Serve it with uvicorn (see :mod:`.server`); the SCIM base URL is
    ``http://HOST:PORT/scim/v2``. ``app.store`` gives Own's state to tests.
    """
    return ReceiverApplication(settings)
