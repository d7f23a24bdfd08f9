"""The fast response path: answers spliced from the JSON the storage keeps, not re-serialized.

The storage keeps each resource as pydantic's compact dump, validated when it was written
(:mod:`.storage`). Answering with that text, ``meta.location`` spliced in (:func:`located`),
saves building a model and dumping it again on the paths Okta uses most: its lookup
``GET /Users?filter=userName eq "..."`` (:func:`lookup_response`, answered on the event loop
from one indexed read), and the answers to POST, PUT and PATCH (:class:`SplicedResponses`).

Every spliced answer equals what scim2-server and scim2-models would send for the same
request (``tests/receiver/test_spliced.py`` checks it); where they would differ (a resource
holding a ``$ref``, a projection asked with ``attributes``) the full path answers instead.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from scim2_models import Context, Resource, ResourceType, ResponseParameters
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService

from .sqlite import StorageUnavailableException

if TYPE_CHECKING:
    from .storage import SqliteStorage

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


def lookup_response(
    service: ScimService, store: SqliteStorage, user_type: ResourceType, request: ScimRequest, user_name: str
) -> ScimResponse | None:
    """Answer Okta's lookup (RFC 7644 §3.4.2) from the stored JSON, or ``None`` to let the
    full path answer.

    One read of the UNIQUE index on the folded ``userName`` (no write lock, no waiting: a
    busy database falls back to the full path in a worker thread); the stored JSON was
    validated when written, so it is sent as stored, with ``meta.location`` set. A
    resource holding a ``$ref`` (which scim2-server would turn into a URL) also falls back.
    The body is the ListResponse scim2-server builds for the same query (a test checks it).
    """
    try:
        found = store.user_body(user_type, user_name, wait=False)
    except StorageUnavailableException:
        return None
    resources = ""
    if found is not None:
        resource_id, body = found
        text = located(body, service.resource_location(request.base_url, user_type, resource_id))
        if text is None:
            return None
        resources = text
    count = 1 if resources else 0
    listed = (
        f'{{"schemas": ["{LIST_RESPONSE_SCHEMA}"], "totalResults": {count}, "itemsPerPage": {count}, '
        f'"startIndex": 1, "Resources": [{resources}]}}'
    )
    return JsonScimResponse(HTTPStatus.OK, None, text=listed)


class SplicedResponses(ScimService):
    """scim2-server's service whose answers to POST, PUT and PATCH are spliced from the stored
    JSON (:meth:`published`) when the storage has it at hand (:attr:`stored_json`)."""

    #: The JSON the storage just read or wrote for a resource in the calling thread, if that
    #: is the one in hand (same id and version); set by the application
    #: (:meth:`.storage.SqliteStorage.stored_json`).
    stored_json: Callable[[Resource[Any]], str | None] | None = None

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
