"""Own's rules for SCIM users, as Own's setup page for Okta describes them.

- A created user is placed in the regions its ``regions`` value names; no value, or an
  empty one, means all the account's regions. Okta sends the value in one of three shapes
  (``docs/okta-own-facts.md``): nested under ``urn:ietf:params:scim:schemas:core:2.0``
  (the external namespace Own's page asks for), nested under the core User schema URN, or
  top-level; as a comma-separated string or a JSON array.
- Every user gets the role ``Read-only`` in the business unit ``Default Business Unit``;
  if the account's business unit has another name, creation fails.
- Update User Attributes is unsupported: a PUT or PATCH may change ``active`` only.

Each broken rule raises an :class:`OwnRuleError`; ``app.py`` maps them to SCIM errors
(RFC 7644 §3.12) in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from ownscim_infra.domain.own_setup import DEFAULT_BUSINESS_UNIT, READ_ONLY_ROLE, REGIONS_ATTRIBUTE, REGIONS_NAMESPACE
from ownscim_infra.domain.regions import split_regions

#: The core User schema URN (RFC 7643 §8.7.1); Okta may nest custom attributes under it.
CORE_USER_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:User"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: Returned by :func:`extract_regions` when the payload carries no ``regions`` at all.
MISSING: Final = _Missing()


class OwnRuleError(Exception):
    """A request breaks one of Own's rules. ``status``/``scim_type``/``detail`` as in RFC 7644 §3.12."""

    status: int = 400
    scim_type: str | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidRegionsError(OwnRuleError):
    """The ``regions`` value names a region the account does not have, or is not a string/list.

    400 ``invalidValue``; ``detail`` names the bad value and lists the account's regions.
    """

    scim_type = "invalidValue"


class BusinessUnitMissingError(OwnRuleError):
    """The account has no business unit named ``Default Business Unit`` (renamed or deleted).

    400 without ``scimType`` (no RFC 7644 keyword fits an account-side misconfiguration);
    the error is permanent until an admin restores the business unit, so it is not a 5xx
    that a client would retry.
    """


class AttributeUpdateRefusedError(OwnRuleError):
    """A PUT or PATCH would change an attribute other than ``active`` (Update User Attributes).

    400 ``mutability``: the attributes named in ``detail`` cannot be modified through SCIM.
    """

    scim_type = "mutability"


class OwnStateReadOnlyError(OwnRuleError):
    """A PATCH would change or remove Own's extension (regions, role, business unit).

    400 ``mutability`` in every ``--attribute-updates`` mode: the extension is read-only
    (RFC 7643 §2.2), set at creation and changed in Own's UI only.
    """

    scim_type = "mutability"


class ActiveUnassignedError(OwnRuleError):
    """A PATCH would remove ``active`` or set it to null: 400 ``invalidValue``.

    A user is active or not; Own has no third state, and RFC 7644 §3.12 defines
    ``invalidValue`` for "a required value was missing".
    """

    scim_type = "invalidValue"


def _pop_case_insensitive(mapping: dict[str, Any], key: str) -> Any:
    for existing in list(mapping):
        if existing.casefold() == key.casefold():
            return mapping.pop(existing)
    return MISSING


def extract_regions(payload: Any) -> tuple[Any, Any]:
    """Take the ``regions`` value out of a User payload (a decoded JSON body).

    Looks, in this order, under ``"urn:ietf:params:scim:schemas:core:2.0"``, under
    ``"urn:ietf:params:scim:schemas:core:2.0:User"``, then at the top level; keys are
    matched case-insensitively. The value is removed wherever found; a namespace object left
    empty is removed, and so is its URN from ``schemas``, so that the rest of the payload
    validates as an RFC 7643 User.

    :returns: ``(payload, value)``; ``value`` is :data:`MISSING` when no shape is present.
        A payload that is not a JSON object is returned unchanged, with :data:`MISSING`.
    """
    if not isinstance(payload, dict):
        return payload, MISSING
    payload = dict(payload)
    found: Any = MISSING
    for namespace in (REGIONS_NAMESPACE, CORE_USER_SCHEMA):
        key = next((k for k in payload if k.casefold() == namespace.casefold()), None)
        if key is None or not isinstance(payload[key], dict):
            continue
        nested = dict(payload[key])
        value = _pop_case_insensitive(nested, REGIONS_ATTRIBUTE)
        if found is MISSING:
            found = value
        if nested:
            payload[key] = nested
        else:
            del payload[key]
            if namespace == REGIONS_NAMESPACE and isinstance(payload.get("schemas"), list):
                payload["schemas"] = [
                    s for s in payload["schemas"] if not (isinstance(s, str) and s.casefold() == namespace.casefold())
                ]
    top = _pop_case_insensitive(payload, REGIONS_ATTRIBUTE)
    if found is MISSING:
        found = top
    return payload, found


def parse_regions(value: Any, account_regions: Iterable[str]) -> tuple[str, ...]:
    """Resolve a ``regions`` value to the account's regions it names.

    :param value: ``None``, :data:`MISSING`, ``""`` or ``[]`` (all regions); a comma-separated
        string (``"us1, EMEA2"``; spaces and case tolerated); or a JSON array of such strings.
    :param account_regions: the account's regions, lower-case, in their configured order.
    :returns: the named regions, lower-case, without duplicates, in the account's order.
    :raises InvalidRegionsError: on an unknown region (``detail`` names it and lists the
        account's regions) or a value that is neither a string nor an array of strings.
    """
    account = tuple(account_regions)
    if value is MISSING or value is None:
        return account
    if isinstance(value, str):
        parts = split_regions(value)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        parts = [p for v in value for p in split_regions(v)]
    else:
        raise InvalidRegionsError(
            f"regions must be a comma-separated string or an array of strings, not {type(value).__name__}; "
            f"this account's regions are: {', '.join(account)}"
        )
    named = [p.strip().lower() for p in parts if p.strip()]
    if not named:
        return account
    unknown = [r for r in dict.fromkeys(named) if r not in account]
    if unknown:
        listed = ", ".join(repr(r) for r in unknown)
        raise InvalidRegionsError(
            f"unknown Own region{'s' if len(unknown) > 1 else ''} {listed} in regions; "
            f"this account's regions are: {', '.join(account)}"
        )
    chosen = set(named)
    return tuple(r for r in account if r in chosen)


def check_business_unit(business_unit: str) -> None:
    """Refuse to create users when the account's business unit is not ``Default Business Unit``.

    :raises BusinessUnitMissingError: names the missing business unit (Own's setup page:
        "Deleting or changing the business unit name causes the integration to fail").
    """
    if business_unit != DEFAULT_BUSINESS_UNIT:
        raise BusinessUnitMissingError(
            f"the business unit '{DEFAULT_BUSINESS_UNIT}' is missing from this Own account "
            f"(renamed or deleted); Own creates every SCIM user in it, so restore its name in Own"
        )


def new_user_state(business_unit: str) -> tuple[str, str]:
    """Return ``(role, business_unit)`` for a user being created: ``("Read-only", "Default Business Unit")``.

    :raises BusinessUnitMissingError: see :func:`check_business_unit`.
    """
    check_business_unit(business_unit)
    return READ_ONLY_ROLE, DEFAULT_BUSINESS_UNIT


#: Top-level keys of a dumped User that an update may change, or that are not the user's data.
_NOT_ATTRIBUTES = frozenset({"schemas", "meta", "id", "active"})


def changed_attributes(before: Mapping[str, Any], after: Mapping[str, Any], ignore: Iterable[str] = ()) -> list[str]:
    """Name the top-level attributes whose value differs between two dumped Users.

    ``schemas``, ``meta``, ``id`` and ``active`` are not compared, nor the keys in ``ignore``.
    Multi-valued attributes are compared without regard to order (RFC 7643 §2.4).
    """
    skipped = _NOT_ATTRIBUTES | set(ignore)
    keys = sorted((set(before) | set(after)) - skipped)
    return [k for k in keys if _unordered(before.get(k)) != _unordered(after.get(k))]


def attribute_update_refused(changed: Iterable[str]) -> AttributeUpdateRefusedError:
    """The error refusing an update that would change ``changed`` (attribute names, any order)."""
    return AttributeUpdateRefusedError(
        "Own does not support Update User Attributes: only 'active' can be changed through SCIM, "
        f"this request would change {', '.join(sorted(changed))}. Untick 'Update User Attributes' in the "
        "Okta app's Provisioning > To App settings."
    )


def refuse_attribute_updates(before: Mapping[str, Any], after: Mapping[str, Any], ignore: Iterable[str] = ()) -> None:
    """Refuse an update that changes anything but ``active`` (Own: Update User Attributes is unsupported).

    :raises AttributeUpdateRefusedError: naming the attributes the request would change.
    """
    changed = changed_attributes(before, after, ignore)
    if changed:
        raise attribute_update_refused(changed)


def refuse_own_state_change(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> None:
    """Refuse a PATCH that changes Own's extension (dumped, ``None`` when absent).

    :raises OwnStateReadOnlyError: naming the extension's attributes that would change.
    """
    before, after = before or {}, after or {}
    changed = [k for k in sorted(set(before) | set(after)) if _unordered(before.get(k)) != _unordered(after.get(k))]
    if changed:
        raise OwnStateReadOnlyError(
            f"Own's state is read-only (set at creation, changed in Own's UI only): this request would "
            f"change or remove {', '.join(changed)} of the extension"
        )


def _unordered(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unordered(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_unordered(v) for v in value), key=repr)
    return value
