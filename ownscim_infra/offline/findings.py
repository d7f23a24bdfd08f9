"""The offline findings read from settings and files: the setup page's rules on the emulated
app, the directory's near-miss group names, and the group rules whose members cannot be
computed from the directory.

The :class:`~ownscim_infra.domain.findings.Finding` type and the codes are the domain's
(one for offline and live); the rules are :mod:`ownscim_infra.domain.setup_rules`'s. This
module words each breach for the reader of ``simulate`` and ``review``.
"""

from __future__ import annotations

from ownscim_infra.config import OwnScimConfig
from ownscim_infra.config.directory import Directory, unknown_groups
from ownscim_infra.domain.expression import (
    OKTA_BASE_ATTRIBUTES,
    CannotEvaluate,
    attribute_names,
    evaluate,
    offline_rule,
)
from ownscim_infra.domain.findings import Code, Finding
from ownscim_infra.domain.own_setup import CAPABILITY_LABELS, REGIONS_ATTRIBUTE, REGIONS_NAMESPACE, okta_fold
from ownscim_infra.domain.regions import canonical_regions
from ownscim_infra.domain.setup_rules import AppSettings, Breach, breaches


def _message(breach: Breach, settings: AppSettings) -> str:
    rule, actual = breach.rule, breach.actual
    if rule.code == Code.REGIONS_ATTRIBUTE_MISSING:
        return (
            "no regions attribute is declared: Okta sends no regions and Own creates every user "
            "in all of the account's regions"
        )
    if rule.code == Code.REGIONS_NAMESPACE:
        return (
            f"the regions attribute's externalNamespace is {actual!r}; Own's setup page requires "
            f"{REGIONS_NAMESPACE!r} (no ':User' suffix). Okta places the value by namespace, so Own may not "
            "read it and may create users in all regions"
        )
    if rule.code == Code.REGIONS_EXTERNAL_NAME:
        return f"the regions attribute's externalName is {actual!r}; Own reads {REGIONS_ATTRIBUTE!r}"
    if rule.code == Code.REGIONS_SCOPE:
        return (
            f"the regions attribute's scope is {actual!r}; group assignments can only carry an attribute of scope NONE"
        )
    if rule.code == Code.PRIORITY_TIE:
        return (
            f"groups {', '.join(repr(g) for g in breach.subjects)} have the same priority {actual}: for a user in "
            "both, Okta's choice of regions is undefined"
        )
    if rule.setting in CAPABILITY_LABELS:
        why = "Own does not support it" if rule.wanted == "DISABLED" else "Own's setup page requires it"
        # a source that says why provisioning is off (the app inactive, the connection not
        # ENABLED) is no place a setting is set: the setting is off in effect, for that reason
        where = (
            f"in effect ({settings.source})"
            if settings.source.startswith("provisioning is off")
            else f"in the {settings.source}"
        )
        return (
            f"{CAPABILITY_LABELS[rule.setting]} ({rule.setting}) is {actual} {where}; it must be {rule.wanted}: {why}"
        )
    return f"{rule.setting} is {actual!r}; Own's setup page requires {rule.wanted!r}"


def setup_findings(settings: AppSettings) -> list[Finding]:
    """The silent mistakes in an app's settings, by the rules of Own's setup page
    (:data:`ownscim_infra.domain.setup_rules.RULES`): the ``regions`` attribute missing or
    not as the page says, Update User Attributes enabled or Create or Deactivate Users off
    while someone is assigned, two group assignments with the same priority."""
    return [Finding(b.code, _message(b, settings), groups=b.subjects) for b in breaches(settings)]


def typo_findings(config: OwnScimConfig, directory: Directory) -> list[Finding]:
    """``directory-group-typo``: a directory user in a group the config does not name but
    almost does (a typo, or a look-alike): that user is silently not assigned through it.
    Groups the config does not resemble (``Everyone``) are no finding."""
    return [
        Finding(Code.DIRECTORY_GROUP_TYPO, u.message, (u.login,))
        for u in unknown_groups(config, directory, suggested_only=True)
    ]


def rule_findings(config: OwnScimConfig, directory: Directory) -> list[Finding]:
    """``rule-not-computed``: a created group's ``rule`` that cannot be evaluated against the
    directory's users (outside the subset of :mod:`ownscim_infra.domain.expression`, or not
    applicable to a user's attributes). Okta still applies it; offline, the group's members
    are the directory's listing, which may not be who Okta puts in it. The finding names the
    people the directory lists in the group (those whose Own state the review cannot vouch
    for), and the group."""
    found = []
    for group in config.groups:
        if group.rule is None or not group.create:
            continue
        tree = offline_rule(group.rule)
        if isinstance(tree, CannotEvaluate):
            reason = str(tree)
        else:
            failing = [r for u in directory.users if isinstance(r := evaluate(tree, u.attributes), CannotEvaluate)]
            if not failing:
                continue
            reason = f"{failing[0]} for {len(failing)} user(s)"
        name = okta_fold(group.name)
        listed = tuple(u.login for u in directory.users if name in {okta_fold(g) for g in u.groups})
        who = (
            f"takes the {len(listed)} member(s) the directory lists ({', '.join(listed)})"
            if listed
            else "finds nobody the directory lists in it: Okta may put anyone in it"
        )
        found.append(
            Finding(
                Code.RULE_NOT_COMPUTED,
                f"group {group.name!r}: its rule {group.rule!r} {reason}: Okta applies it, but this review cannot "
                f"compute who is in the group and {who}; check the group's members in Okta (Directory > Groups > "
                f"{group.name} > People) and their regions in Own",
                listed,
                groups=(group.name,),
            )
        )
    return found


def regions_not_guaranteed(
    config: OwnScimConfig, directory: Directory, declared: dict[str, set[str]], direct_scope: str = "USER"
) -> list[Finding]:
    """``regions-not-guaranteed``: each person the config assigns directly who is also in a
    group it assigns (the directory's memberships, or ``declared``: who the program puts in a
    group, its ``members`` and the users its evaluable ``rule`` matches,
    :func:`~.plan.declared_members`, as ``assignment-blocked-by-group`` counts them), in the
    config's order.

    terraform-provider-okta never sends ``scope`` for a direct assignment (``getAppUser``,
    ``resource_okta_app_user.go``), and a public report (articulate/terraform-provider-okta
    #264) says Okta then keeps a member of an assigned group ``GROUP``-scoped, with the
    group's value: only a real org settles it. The message names the group whose value the
    person would get (the first of the config's order, the highest priority), which reading
    this run took (``direct_scope``, :class:`~.okta_org.OktaOrg`) and what to check on a real
    org."""
    found = []
    for person in config.people:
        login = okta_fold(person.login)
        user = directory.user(person.login)
        listed = {okta_fold(g) for g in (user.groups if user else [])}
        groups = [
            g for g in config.groups if okta_fold(g.name) in listed or login in declared.get(okta_fold(g.name), ())
        ]
        if not groups:
            continue
        own = "all regions" if person.regions is None else canonical_regions(person.regions)
        first = groups[0]
        reading = (
            "this run reads Okta as keeping the group scope (--direct-scope group)"
            if direct_scope == "GROUP"
            else "this run reads Okta as letting the direct value win (--direct-scope user; `simulate --direct-scope "
            "group` shows the other reading)"
        )
        found.append(
            Finding(
                Code.REGIONS_NOT_GUARANTEED,
                f"regions not guaranteed: {person.login} is assigned directly ({own}) and is in assigned group(s) "
                f"{', '.join(g.name for g in groups)}. The provider sends no scope for a direct assignment, and Okta "
                f"may keep a member of an assigned group GROUP-scoped, with {first.name}'s regions "
                f"({canonical_regions(first.regions)}) in Own (articulate/terraform-provider-okta #264); {reading}. "
                "On a real org after pulumi up, check it: `python -m ownscim_infra verify CONFIG` (its person check "
                "wants "
                f"scope USER with {own}), or the Admin Console: Applications > {config.app.label} > Assignments, "
                f"{person.login} assigned to the person (Individual), not by a group",
                (person.login,),
                groups=tuple(g.name for g in groups),
            )
        )
    return found


def attribute_findings(config: OwnScimConfig, directory: Directory) -> list[Finding]:
    """``rule-unknown-attribute``: a created group's ``rule`` reads ``user.<name>`` where
    ``name`` is neither one of Okta's base profile attributes
    (:data:`~ownscim_infra.domain.expression.OKTA_BASE_ATTRIBUTES`) nor an attribute some
    directory user carries (``directory pull`` writes every attribute a rule reads that a
    user has). Okta's "Group rules" page: "user attributes used in expressions can only refer
    to available Okta user attributes"; Okta refuses the rule and ``pulumi up`` fails at it.
    Names are case-sensitive, so ``costcenter`` is not ``costCenter``: the finding names the
    known attribute spelt alike, when there is one."""
    carried = set(OKTA_BASE_ATTRIBUTES).union(*(u.attributes for u in directory.users))
    folded = {name.lower(): name for name in sorted(carried)}
    found = []
    for group in config.groups:
        if group.rule is None or not group.create:
            continue
        for name in sorted(attribute_names(group.rule) - carried):
            alike = folded.get(name.lower())
            hint = f" (did you mean user.{alike}? attribute names are case-sensitive)" if alike else ""
            found.append(
                Finding(
                    Code.RULE_UNKNOWN_ATTRIBUTE,
                    f"group {group.name!r}: its rule reads user.{name}{hint}, which no directory user carries and "
                    "which is not one of Okta's base profile attributes: unless the org's user profile defines it, "
                    "Okta refuses the expression and pulumi up fails at the rule; check the attribute's variable "
                    "name in Okta (Directory > Profile Editor > User (default))",
                    groups=(group.name,),
                )
            )
    return found


def rule_change_findings(base: OwnScimConfig, new: OwnScimConfig, directory: Directory) -> list[Finding]:
    """``rule-matches-unknown``: NEW creates a group's ``rule`` or changes its expression
    (groups matched by ``key``, as their resources are). Okta's "Group rules" page: "Once
    activated, it will run across your entire user population"; the directory file holds only
    the users the config reaches (its groups, people and members: ``directory pull``), so the
    users outside it that the rule matches, and whom Okta puts in the group and provisions to
    Own, are unknown here. The finding names the directory's users the rule matches (all it
    can see), or says that it cannot compute them."""
    before = {g.resource_key: g.rule for g in base.groups if g.create}
    found = []
    for group in new.groups:
        if group.rule is None or not group.create or before.get(group.resource_key) == group.rule:
            continue
        tree = offline_rule(group.rule)
        matched: tuple[str, ...] = ()
        if isinstance(tree, CannotEvaluate):
            seen = f"which of the directory's users it matches cannot be computed ({tree})"
        else:
            matched = tuple(u.login for u in directory.users if evaluate(tree, u.attributes) is True)
            seen = f"of the directory's {len(directory.users)} user(s) it matches {len(matched)}" + (
                f" ({', '.join(matched)})" if matched else ""
            )
        what = "creates its rule" if before.get(group.resource_key) is None else "changes its rule to"
        found.append(
            Finding(
                Code.RULE_MATCHES_UNKNOWN,
                f"group {group.name!r}: the change {what} {group.rule!r}; Okta runs an activated rule across "
                "its entire user population, but the directory file holds only the users the config reaches: this "
                f"review cannot see the users outside it that the rule matches, whom Okta puts in the group and "
                f"provisions to Own in {', '.join(group.regions)}; {seen}. Before pulumi up, preview the rule's "
                "matches in Okta (Directory > Groups > Rules, Preview) or pull a directory of every user",
                matched,
                groups=(group.name,),
            )
        )
    return found
