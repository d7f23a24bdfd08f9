"""The SCIM description of Own's endpoint: the User resource, Own's extension, the configuration.

Built on scim2-models (RFC 7643). The receiver serves one resource type, ``User`` at
``/Users``, extended with :class:`OwnUser`, the read-only state Own keeps for each user.
``/Groups`` is not served: Own does not support Okta's Push Groups.
"""

from __future__ import annotations

from typing import Annotated, Any
from unicodedata import normalize

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    Extension,
    External,
    Filter,
    Mutability,
    Patch,
    Reference,
    ResourceType,
    Returned,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)
from scim2_models.urn import URN

#: Schema URN of Own's extension of the User resource (declared in ``/Schemas``).
OWN_USER_SCHEMA = "urn:ownscim:params:scim:schemas:extension:own:2.0:User"

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


#: The model of the resources the receiver stores: RFC 7643 §4.1 User with Own's extension.
OwnScimUser = User[OwnUser]


def fold(value: str) -> str:
    """Return the form a case-insensitive string is compared in: NFC, then Unicode case folding.

    Used for ``userName`` (``caseExact: false``, RFC 7643 §4.1.1): by filters, sorting, the
    uniqueness check and the SQLite unique index, so all four agree.
    """
    return normalize("NFC", normalize("NFC", value).casefold())


def comparison_key(binding: Any, value: str) -> str:
    """The ``ScimPolicy.comparison_key`` of the receiver: :func:`fold` unless ``caseExact``."""
    if binding.case_exact:
        return normalize("NFC", value)
    return fold(value)


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

    Its policy compares case-insensitive strings with :func:`fold`. Unknown attributes are
    refused (``invalidSyntax``) as RFC 7644 and the SCIM interoperability profile ask; the
    attributes Okta sends (``password``, ``groups``, ``locale``, ``externalId``, ``regions``)
    are all known.
    """
    return ScimProvider(
        models=[User, OwnUser],
        resource_types=[user_resource_type()],
        config=service_provider_config(),
        policy=ScimPolicy(comparison_key=comparison_key),
    )
