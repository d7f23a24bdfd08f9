"""The rules of Own's setup page, once: what an app's provisioning settings must be.

Own's setup page ("Set Up Okta SCIM Provisioning", :mod:`.own_setup`) asks for the
``regions`` attribute with Own's external name and namespace, type string, scope NONE;
``USER_PROVISIONING`` enabled with Create Users and Deactivate Users on, Update User
Attributes and Sync Password off; no Push Groups; and group priorities Okta can order. The
same rules judge the emulated org (``simulate``, ``review``) and a live one (``verify``):
each face takes a snapshot of the app's settings (:class:`AppSettings`: the offline
``OktaApp.settings()``, the live ``verify.settings_of(LiveApp)``), runs :data:`RULES` on it,
and words each :class:`Breach` for its reader. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ownscim_infra.domain.findings import Code
from ownscim_infra.domain.own_setup import (
    CAPABILITY_LABELS,
    FEATURE,
    OWN_CAPABILITIES,
    REGIONS_ATTRIBUTE,
    REGIONS_NAMESPACE,
)


@dataclass(frozen=True)
class AttributeSettings:
    """The app user schema property that carries ``regions``: ``externalName``,
    ``externalNamespace``, ``scope`` and ``type`` as Okta holds them (``None``: absent)."""

    external_name: str | None
    external_namespace: str | None
    scope: str | None
    type: str | None = None


@dataclass(frozen=True)
class AppSettings:
    """A snapshot of one app's provisioning settings, wherever they were read.

    ``capabilities``: each capability of :data:`~.own_setup.OWN_CAPABILITIES` -> its status
    (``None``: not set); ``source`` says where they were read or set; ``feature_status``:
    ``USER_PROVISIONING``'s status; ``attribute``: the ``regions`` property (``None``: none);
    ``push_groups``: Push Groups ticked; ``push_mappings``: how many group push mappings;
    ``group_priorities``: each assigned group's (name, priority), by priority; ``assigned``:
    someone has the app (or will: the settings then matter); ``unread``: the settings (a
    rule's :attr:`Rule.setting`) this snapshot could not read, whose rules are not run.
    """

    capabilities: Mapping[str, str | None]
    source: str
    attribute: AttributeSettings | None
    feature_status: str | None = None
    push_groups: bool = False
    push_mappings: int = 0
    group_priorities: tuple[tuple[str, int], ...] = ()
    assigned: bool = True
    unread: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Breach:
    """A rule broken: the ``rule``, the ``actual`` value (``None``: not set) and, for a rule
    about several things (a priority tie), their names in ``subjects``."""

    rule: Rule
    actual: str | None
    subjects: tuple[str, ...] = ()

    @property
    def code(self) -> Code:
        """The rule's code."""
        return self.rule.code


@dataclass(frozen=True)
class Rule:
    """One rule: its ``code``, what it ``asserts`` (one line, for the docs), the ``setting``
    it reads (Okta's name: ``externalNamespace``, ``lifecycleCreate``...), the ``wanted``
    value, and ``find``, which returns the breaches of a snapshot (``[]``: kept)."""

    code: Code
    asserts: str
    setting: str
    wanted: str | None
    find: Callable[[AppSettings], list[Breach]] = field(repr=False, compare=False)

    def check(self, settings: AppSettings) -> list[Breach]:
        """The breaches of this rule in ``settings`` (none when it could not read :attr:`setting`)."""
        return [] if self.setting in settings.unread else self.find(settings)


def _value_rule(
    code: Code,
    asserts: str,
    setting: str,
    wanted: str,
    read: Callable[[AppSettings], tuple[bool, str | None]],
) -> Rule:
    """A rule that one setting has the ``wanted`` value; ``read`` gives (applies, value)."""

    def find(settings: AppSettings) -> list[Breach]:
        applies, value = read(settings)
        return [Breach(rule, value)] if applies and value != wanted else []

    rule = Rule(code, asserts, setting, wanted, find)
    return rule


def _attribute(name: str) -> Callable[[AppSettings], tuple[bool, str | None]]:
    def read(settings: AppSettings) -> tuple[bool, str | None]:
        attr = settings.attribute
        return (attr is not None, getattr(attr, name) if attr is not None else None)

    return read


def _capability(name: str) -> Callable[[AppSettings], tuple[bool, str | None]]:
    def read(settings: AppSettings) -> tuple[bool, str | None]:
        return settings.assigned, settings.capabilities.get(name)

    return read


def _missing_attribute(settings: AppSettings) -> list[Breach]:
    return [Breach(_MISSING, None)] if settings.attribute is None and settings.assigned else []


def _ties(settings: AppSettings) -> list[Breach]:
    by_priority: dict[int, list[str]] = {}
    for group, priority in settings.group_priorities:
        by_priority.setdefault(priority, []).append(group)
    return [
        Breach(_TIE, str(priority), tuple(groups))
        for priority, groups in sorted(by_priority.items())
        if len(groups) > 1
    ]


def _push_mappings(settings: AppSettings) -> list[Breach]:
    return [Breach(_MAPPINGS, str(settings.push_mappings))] if settings.push_mappings else []


_MISSING = Rule(
    Code.REGIONS_ATTRIBUTE_MISSING,
    f"the app has the {REGIONS_ATTRIBUTE} attribute (when anyone is assigned)",
    "attribute",
    REGIONS_ATTRIBUTE,
    _missing_attribute,
)
_TIE = Rule(
    Code.PRIORITY_TIE,
    "no two group assignments have the same priority (Okta's choice between them is undefined)",
    "priority",
    None,
    _ties,
)
_MAPPINGS = Rule(
    Code.PUSH_MAPPINGS,
    "the app has no group push mappings (Own does not support Push Groups)",
    "pushMappings",
    "0",
    _push_mappings,
)

#: The capability rules, by capability name.
CAPABILITY_RULES: dict[str, Rule] = {
    name: _value_rule(
        code,
        f"{CAPABILITY_LABELS[name]} ({name}) is {OWN_CAPABILITIES[name]} (when anyone is assigned)",
        name,
        OWN_CAPABILITIES[name],
        _capability(name),
    )
    for name, code in [
        ("lifecycleCreate", Code.CAPABILITY_CREATE),
        ("lifecycleDeactivate", Code.CAPABILITY_DEACTIVATE),
        ("profile", Code.CAPABILITY_PROFILE),
        ("password", Code.CAPABILITY_PASSWORD),
    ]
}

#: The attribute rules, by Okta's name of the property's field.
ATTRIBUTE_RULES: dict[str, Rule] = {
    "externalName": _value_rule(
        Code.REGIONS_EXTERNAL_NAME,
        f"the {REGIONS_ATTRIBUTE} attribute's externalName is {REGIONS_ATTRIBUTE}",
        "externalName",
        REGIONS_ATTRIBUTE,
        _attribute("external_name"),
    ),
    "externalNamespace": _value_rule(
        Code.REGIONS_NAMESPACE,
        f"the {REGIONS_ATTRIBUTE} attribute's externalNamespace is {REGIONS_NAMESPACE} (no ':User' suffix)",
        "externalNamespace",
        REGIONS_NAMESPACE,
        _attribute("external_namespace"),
    ),
    "type": _value_rule(
        Code.REGIONS_TYPE,
        f"the {REGIONS_ATTRIBUTE} attribute's type is string",
        "type",
        "string",
        _attribute("type"),
    ),
    "scope": _value_rule(
        Code.REGIONS_SCOPE,
        f"the {REGIONS_ATTRIBUTE} attribute's scope is NONE (group assignments carry only such attributes)",
        "scope",
        "NONE",
        _attribute("scope"),
    ),
}

FEATURE_RULE = _value_rule(
    Code.FEATURE_STATUS,
    f"the app's {FEATURE} feature is ENABLED",
    "featureStatus",
    "ENABLED",
    lambda s: (True, s.feature_status),
)
PUSH_GROUPS_RULE = _value_rule(
    Code.PUSH_GROUPS,
    "Push Groups is not enabled on the app (Own does not support it)",
    "pushGroups",
    "DISABLED",
    lambda s: (True, "ENABLED" if s.push_groups else "DISABLED"),
)
PUSH_MAPPINGS_RULE = _MAPPINGS
MISSING_ATTRIBUTE_RULE = _MISSING
PRIORITY_TIE_RULE = _TIE

#: Every rule of Own's setup page, in report order.
RULES: tuple[Rule, ...] = (
    MISSING_ATTRIBUTE_RULE,
    ATTRIBUTE_RULES["externalNamespace"],
    ATTRIBUTE_RULES["externalName"],
    ATTRIBUTE_RULES["type"],
    ATTRIBUTE_RULES["scope"],
    FEATURE_RULE,
    *CAPABILITY_RULES.values(),
    PUSH_GROUPS_RULE,
    PUSH_MAPPINGS_RULE,
    PRIORITY_TIE_RULE,
)


def breaches(settings: AppSettings, rules: tuple[Rule, ...] = RULES) -> list[Breach]:
    """Every breach of ``rules`` in ``settings``, in the rules' order."""
    return [b for rule in rules for b in rule.check(settings)]
