"""The SCIM description of Own's endpoint: the User resource, Own's extension, the configuration.

Built on scim2-models (RFC 7643). The receiver serves one resource type, ``User`` at
``/Users``, extended with :class:`OwnUser`, the read-only state Own keeps for each user.
``/Groups`` is not served: Own does not support Okta's Push Groups.
"""

from __future__ import annotations

from typing import Annotated, Any
from unicodedata import category

from pydantic import field_validator
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    Extension,
    External,
    Filter,
    InvalidValueException,
    Mutability,
    Patch,
    Path,
    Reference,
    ResourceType,
    Returned,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
    default_comparison_key,
)
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


#: Longest ``userName`` accepted, in characters (Okta's ``login`` allows 100; an email
#: address is at most 254). A longer one is refused with 400 ``invalidValue``.
MAX_USER_NAME_LENGTH = 256

#: Unicode categories a ``userName`` must not contain: control characters (``\n``, NUL, ...),
#: line/paragraph separators and lone surrogates. They would forge log lines and look alike.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})


class ReceiverUser(User[AnyExtension]):
    """RFC 7643 §4.1 User as the receiver reads it: ``active`` is strictly a boolean.

    ``active`` accepts JSON ``true``/``false`` and the strings ``"true"``/``"false"`` in any
    case (Okta and Microsoft Entra send ``"False"``). pydantic's lax parsing would also take
    ``"no"``, ``"0"``, ``"off"``, ``0``...: those are refused with 400 ``invalidValue``, on
    creation, replacement and PATCH alike (scim2-models validates PATCH writes with the model).
    """

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


#: The model of the resources the receiver stores: RFC 7643 §4.1 User with Own's extension.
OwnScimUser = ReceiverUser[OwnUser]

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


def _is_user_name(binding: Any) -> bool:
    return (
        getattr(binding, "field_name", None) == "user_name"
        and not getattr(binding, "sub_field_name", None)
        and isinstance(binding.model, type)
        and issubclass(binding.model, User)
    )


def comparison_key(binding: Any, value: str) -> str:
    """The ``ScimPolicy.comparison_key`` of the receiver: scim2-models' default, and for
    ``userName`` :func:`check_user_name` first.

    scim2-models refuses a written string whose key raises ``ValueError`` with 400
    ``invalidValue`` (POST, PUT and PATCH alike), and treats it as equal to nothing in a filter.
    """
    if _is_user_name(binding):
        check_user_name(value)
    return default_comparison_key(binding, value)


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
    """What ``/ServiceProviderConfig`` announces (RFC 7643 §5).

    PATCH, filtering (at most :data:`MAX_RESULTS` per page), sorting and ETags are supported;
    bulk and password change are not.
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


def build_provider() -> ScimProvider:
    """The scim2-models description of the receiver: User + OwnUser, no Group.

    Its policy compares case-insensitive strings with :func:`fold` and refuses bad
    ``userName`` values (:func:`comparison_key`). Unknown attributes are
    refused (``invalidSyntax``) as RFC 7644 and the SCIM interoperability profile ask; the
    attributes Okta sends (``password``, ``groups``, ``locale``, ``externalId``, ``regions``)
    are all known.
    """
    return ScimProvider(
        models=[ReceiverUser, OwnUser],
        resource_types=[user_resource_type()],
        config=service_provider_config(),
        policy=ScimPolicy(comparison_key=comparison_key),
    )
