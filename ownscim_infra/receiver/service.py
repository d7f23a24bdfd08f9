"""Own's rules: what Own does with a SCIM User, as scim2-server's service.

:class:`OwnScimService` is scim2-server's :class:`~scim2_server.service.ScimService` (the
protocol: validation, filters, PATCH, discovery) with Own's rules at its seams:

- creation (RFC 7644 §3.3): ``regions`` taken out of the body in any of Okta's shapes and
  resolved against the account (:func:`.own.parse_regions`); role ``Read-only``; business
  unit checked; ``active`` defaults to true; the ``userName`` checks of
  :class:`~.models.ReceiverUser`;
- replacement and PATCH (RFC 7644 §3.5): in ``refuse`` mode, anything but ``active``
  changing is refused with 400 ``mutability``; nothing is written;
- in every mode: Own's extension is read-only (a PATCH changing or removing it is 400
  ``mutability``; a PUT's values for it are ignored, RFC 7644 §3.5.1), and ``active`` stays
  true or false (deactivation: a PATCH removing it or setting it to null is 400
  ``invalidValue``; a PUT without it keeps the current value);
- deactivation (``deactivation`` ``remove``, the default): a PUT or PATCH that leaves a user
  inactive removes the account (:meth:`OwnScimService.removes`; Own's "Deprovisioning removes
  user accounts"), so that Okta's next lookup finds nothing and a re-assignment creates it
  anew; ``keep`` keeps it, inactive;
- ``/Groups`` is a 404 (Own does not support Push Groups); the bounds of :mod:`.bounds`.

Its errors are :class:`.own.OwnRuleError` and :class:`scim2_models.SCIMException`; the
transport (:meth:`.app.ReceiverApplication.error_response`) turns both into SCIM errors.
Its answers to POST, PUT and PATCH come from :class:`.spliced.SplicedResponses`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError
from scim2_models import (
    InvalidSyntaxException,
    NotFoundException,
    PatchOp,
    Resource,
    ResourceType,
    ResponseParameters,
    SCIMException,
    SearchRequest,
    User,
)
from scim2_server.conditions import Conditions
from scim2_server.errors import UnsupportedMediaTypeException
from scim2_server.responses import ScimResponse
from scim2_server.service import scim_exception_of

from . import own
from .bounds import RequestBounds, attribute, case_clash, filter_clauses
from .models import EnterpriseUser, OwnUser, build_provider, check_uri_reference, service_provider_config
from .settings import OWN_USER_SCHEMA, ReceiverSettings
from .spliced import SplicedResponses

#: The media types a request body may have (RFC 7644 §3.8: SCIM's own, and plain JSON), with or
#: without parameters such as ``charset``.
ACCEPTED_MEDIA_TYPES = ("application/scim+json", "application/json")

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


class OwnScimService(SplicedResponses):
    """scim2-server's service with Own's rules (see the module)."""

    def __init__(self, settings: ReceiverSettings) -> None:
        super().__init__(build_provider(service_provider_config()))
        self.settings = settings
        self.bounds = RequestBounds(
            settings.max_patch_operations, settings.max_filter_clauses, settings.max_filter_length
        )

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
        """Validate a PatchOp (RFC 7644 §3.5.2) once it is within the bounds
        (:meth:`.bounds.RequestBounds.check_patch`).

        :raises InvalidValueException: 400 ``invalidValue``, too many operations.
        :raises TooManyException: 400 ``tooMany``, a path's filter is over a bound.
        """
        self.bounds.check_patch(self.decode_body(body, content_type))
        return super().read_patch(resource_type, body, content_type)

    def read_search(self, resource_types: list[ResourceType], payload: Any) -> tuple[SearchRequest[Any], Any]:
        """Validate a search (RFC 7644 §3.4.2) after bounding its filter: at most
        ``max_filter_length`` characters before it is parsed, ``max_filter_clauses`` clauses
        before it is evaluated.

        :raises TooManyException: 400 ``tooMany``, the filter is over a bound.
        """
        raw = attribute(payload, "filter")
        if isinstance(raw, str):
            self.bounds.check_filter_length(raw, "A filter")
        search_request, position = super().read_search(resource_types, payload)
        if search_request.filter is not None:
            self.bounds.check_filter_clauses(filter_clauses(search_request.filter.ast), "A filter")
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

    def removes(self, resource: Resource[Any]) -> bool:
        """Whether Own removes this account as a PUT or PATCH leaves it: a user left inactive,
        with ``deactivation`` ``remove`` (Own's "Provisioning and Deprovisioning SCIM" page:
        "Deprovisioning removes user accounts when no longer needed"; its setup page moves a
        user by unassigning, then assigning). What Own answers after removal is not documented:
        the receiver answers the request 200 with the user as deactivated, then ``GET
        /Users/{id}`` is a 404 and a lookup finds nothing (RFC 7644 §3.4.1, §3.4.2)."""
        return self.settings.deactivation == "remove" and isinstance(resource, User) and resource.active is False

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
