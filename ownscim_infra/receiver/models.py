"""The SCIM description of Own's endpoint: the User resource, its extensions, the configuration.

Built on scim2-models (RFC 7643). The receiver serves one resource type, ``User`` at
``/Users``, extended with RFC 7643 §4.3's enterprise User extension (which Okta sends when an
admin maps ``department``, ``manager``...) and with :class:`OwnUser`, the read-only state Own
keeps for each user. ``/Groups`` is not served: Own does not support Okta's Push Groups.

``/ServiceProviderConfig`` is RFC 7643 §5's document and nothing more, so that any strict
client reads it (python-scim's refuses an unknown attribute): what §5 has a field for is in that
field (``filter.maxResults``, ``bulk``...); the bounds it has none for (PATCH operations, filter
clauses and length: :mod:`.bounds`) are documented in docs/receiver.md.
"""

from __future__ import annotations

from typing import Annotated, Any
from unicodedata import category
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    Context,
    ETag,
    Extension,
    External,
    Filter,
    InvalidValueException,
    Mutability,
    Patch,
    Path,
    Reference,
    Required,
    ResourceType,
    Returned,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
    default_comparison_key,
)
from scim2_models import EnterpriseUser as RFCEnterpriseUser
from scim2_models.resources.enterprise_user import Manager as RFCManager
from scim2_models.resources.resource import AnyExtension
from scim2_models.urn import URN

from .settings import OWN_USER_SCHEMA

#: Largest request body accepted, in bytes (1 MiB); larger bodies get 413.
MAX_BODY_BYTES = 1024 * 1024

#: Largest page a search returns (``filter.maxResults`` of /ServiceProviderConfig).
MAX_RESULTS = 200


class OwnUser(Extension):
    """Own's state for a user provisioned over SCIM (read-only: set at creation, changed in Own's UI only)."""

    __schema__ = URN(OWN_USER_SCHEMA)

    regions: Annotated[list[str] | None, Mutability.read_only, Returned.default] = None
    """The Own regions the user was created in, lower-case, in the account's order."""

    role: Annotated[str | None, Mutability.read_only, Returned.default] = None
    """The user's role in Own; always ``Read-only`` for a SCIM-created user."""

    business_unit: Annotated[str | None, Mutability.read_only, Returned.default] = None
    """The Own business unit the user belongs to; always ``Default Business Unit``."""


class Manager(RFCManager):
    """``manager`` of the enterprise extension as RFC 7643 §4.3 describes it: ``value`` and ``$ref``
    RECOMMENDED, not required (scim2-models' schema requires them). Okta sends
    ``{"value": ..., "displayName": ...}`` without ``$ref``; ``displayName`` is read-only
    (RFC 7643 §4.3), so a client's value for it is ignored."""

    value: Annotated[str | None, CaseExact.true] = None
    """The ``id`` of the SCIM resource representing the user's manager."""

    ref: Annotated[Reference[User] | None, Required.false] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The URI of the SCIM resource representing the user's manager."""

    @field_validator("ref", mode="after")
    @classmethod
    def _uri_reference(cls, value: Any, info: ValidationInfo) -> Any:
        """``$ref`` is a URI reference (RFC 7643 §2.3.7, RFC 3986 §4.1), absolute or relative to the
        SCIM root: in a request, one :func:`urllib.parse.urlsplit` cannot read (``http://[::1``,
        ``http://a]b``) is 400 ``invalidValue`` before anything is stored, not a 500 when the
        answer is built. What is read back from the store is not checked again (a row stored
        before this check is answered as stored)."""
        scim_context = (info.context or {}).get("scim")
        if value is not None and scim_context is not None and Context.is_request(scim_context):
            try:
                check_uri_reference(str(value), "manager.$ref")
            except InvalidValueException as exc:
                raise exc.as_pydantic_error() from None
        return value


def check_uri_reference(value: str, name: str) -> None:
    """Check that ``value`` is a URI reference :func:`urllib.parse.urlsplit` reads (RFC 3986 §4.1).

    :raises InvalidValueException: 400 ``invalidValue`` naming ``name`` and the value (cut at
        80 characters)."""
    try:
        urlsplit(value)
    except ValueError:
        raise InvalidValueException(
            detail=f"{name} must be a URI reference (RFC 7643 §2.3.7), got {value[:80]!r}"
        ) from None


class EnterpriseUser(RFCEnterpriseUser):
    """RFC 7643 §4.3's enterprise User extension, which Okta sends when an admin maps department,
    manager, cost center...: accepted and stored as sent, with :class:`Manager`."""

    manager: Manager | None = None
    """The user's manager."""


#: Longest ``userName`` accepted, in characters (Okta's ``login`` allows 100; an email
#: address is at most 254). A longer one is refused with 400 ``invalidValue``.
MAX_USER_NAME_LENGTH = 256

#: Unicode categories a ``userName`` must not contain: control characters (``\n``, NUL, ...),
#: line/paragraph separators and lone surrogates. They would forge log lines and look alike.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})


class ReceiverUser(User[AnyExtension]):
    """RFC 7643 §4.1 User as the receiver reads it: ``active`` is strictly a boolean and
    ``userName`` a value Own can hold.

    ``active`` accepts JSON ``true``/``false`` and the strings ``"true"``/``"false"`` in any
    case (Okta and Microsoft Entra send ``"False"``). pydantic's lax parsing would also take
    ``"no"``, ``"0"``, ``"off"``, ``0``...: those are refused with 400 ``invalidValue``, on
    creation, replacement and PATCH alike (scim2-models validates PATCH writes with the model).
    ``userName`` is checked by :func:`check_user_name` (400 ``invalidValue``), likewise.
    """

    @field_validator("user_name", mode="after")
    @classmethod
    def _valid_user_name(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            check_user_name(value)
        except ValueError as exc:
            raise InvalidValueException(detail=str(exc)).as_pydantic_error() from None
        return value

    @field_validator("active", mode="before")
    @classmethod
    def _strict_active(cls, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise InvalidValueException(
            detail=f"active must be true or false (or the strings 'true'/'false'), not {value!r}"
        ).as_pydantic_error()


#: The model of the resources the receiver stores: RFC 7643 §4.1 User with the enterprise
#: extension (RFC 7643 §4.3) and Own's.
OwnScimUser = ReceiverUser[EnterpriseUser | OwnUser]

#: The ``userName`` attribute, as scim2-models binds it (for :func:`fold`).
_USER_NAME = Path[User]("userName").resolve()


def check_user_name(value: str) -> None:
    """Refuse a ``userName`` Own could not hold: empty or blank, longer than
    :data:`MAX_USER_NAME_LENGTH`, or holding a control character or line separator.

    :raises ValueError: naming the problem (no value echoed: it may hold control characters).
    """
    if not value.strip():
        raise ValueError("userName is empty")
    if len(value) > MAX_USER_NAME_LENGTH:
        raise ValueError(f"userName is longer than {MAX_USER_NAME_LENGTH} characters")
    if any(category(c) in _FORBIDDEN_CATEGORIES for c in value):
        raise ValueError("userName holds a control character or a line separator")


def fold(value: str) -> str:
    """Return the form ``userName`` is compared in: NFC, then simple lower-casing (``str.lower``).

    That is scim2-models' :func:`~scim2_models.default_comparison_key` for a case-insensitive
    attribute, and Okta's case-insensitive ``login`` comparison: ``ß@x`` and ``SS@x`` are two
    users (full Unicode case folding would merge them), ``ANN@X`` is ``ann@x``. Used by
    filters, sorting, the uniqueness check and the SQLite unique index, so all four agree.
    """
    return default_comparison_key(_USER_NAME, value)


BEARER_SCHEME = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken,
    name="API token",
    description=(
        "The Authorization header holds Own's SCIM token, bare or as 'Bearer <token>' "
        "(Okta's 'SCIM 2.0 Test App (Header Auth)' sends its API Token field verbatim)."
    ),
    spec_uri=Reference[External]("https://datatracker.ietf.org/doc/html/rfc6750"),
    primary=True,
)


def service_provider_config() -> ServiceProviderConfig:
    """What ``/ServiceProviderConfig`` announces (RFC 7643 §5; ``meta.resourceType`` is
    ``ServiceProviderConfig``).

    PATCH, filtering (at most :data:`MAX_RESULTS` per page), sorting and ETags are supported;
    bulk and password change are not. The bounds RFC 7643 §5 has no field for are in
    docs/receiver.md ("Request bounds").
    """
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        authentication_schemes=[BEARER_SCHEME],
    )


def user_resource_type() -> ResourceType:
    """The ``User`` resource type at ``/Users``, with Own's extension (RFC 7643 §6)."""
    return ResourceType.from_resource(OwnScimUser)


def build_provider(config: ServiceProviderConfig | None = None) -> ScimProvider:
    """The scim2-models description of the receiver: User with the enterprise and Own's
    extensions, no Group; ``config`` defaults to :func:`service_provider_config`.

    Case-insensitive strings compare in scim2-models' default form (:func:`fold`); bad
    ``userName`` values are refused by :class:`ReceiverUser`. Unknown attributes are
    refused (``invalidSyntax``) as RFC 7644 and the SCIM interoperability profile ask; the
    attributes Okta sends (``password``, ``groups``, ``locale``, ``externalId``, ``regions``,
    the enterprise extension) are all known.
    """
    return ScimProvider(
        models=[ReceiverUser, EnterpriseUser, OwnUser],
        resource_types=[user_resource_type()],
        config=config or service_provider_config(),
    )
