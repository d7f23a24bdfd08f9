"""``python -m ownscim_infra verify [CONFIG]``: check a live Okta org against the config, read-only.

Okta does not always do what its API says: a catalog app's provisioning connection may come
back ``UNKNOWN``, an admin may drag group priorities in the console, someone may tick Push
Groups. This command reads the org through the ``okta`` SDK (:mod:`ownscim_infra.live.okta_api`;
credentials ``OKTA_ORG_URL`` or ``OKTA_ORG_NAME`` + ``OKTA_BASE_URL``, and ``OKTA_API_TOKEN``)
and reports one named finding per check (:data:`CHECKS`):

- ``app``: the app is catalog app ``scim2headerauth``, ACTIVE, with the config's label;
- ``connection``: the provisioning connection is ENABLED with the config's base URL
  (``UNKNOWN``: Okta does not manage it through the API: the exact Admin Console steps, and
  ``provisioning: manual`` is recommended);
- ``features``: ``USER_PROVISIONING`` create ENABLED, deactivate ENABLED, profile DISABLED
  (``unknown`` when the connection is ``UNKNOWN``: Okta serves neither API for the app);
- ``group-push``: no group push mappings, and Push Groups not enabled on the app;
- ``regions-attribute``: ``regions``, external name ``regions``, namespace
  ``urn:ietf:params:scim:schemas:core:2.0``, type string, scope NONE;
- ``group``: each configured group assigned with its priority (its position, 1 for the first
  group: :func:`ownscim_infra.domain.priorities.group_priority`) and ``regions``;
- ``other-groups``: no group is assigned that the config does not list;
- ``members``: a ``members`` group holds exactly the logins the config lists (compared as
  Okta compares logins), one drift a person added or removed by hand;
- ``group-rule``: a ``rule`` group's rule is ACTIVE with the config's expression, and
  excludes no one (one drift a person Okta excluded: a rule-managed member removed by hand);
- ``person``: each configured person assigned directly with the expected ``regions`` value.

Output: a table fitting 100 columns (``--format text``; ``--wide`` for all of it on one line
a row) or JSON (``--format json``: ``{"org", "config", "appId", "drift", "findings":
[{"check", "subject", "status", "message", "details", "regionsDrift", "repair"}]}``;
``repair``: for each drift, the command or Admin Console step that repairs it, the text's
``Repair:`` line; :class:`Repairs`; ``null`` when nothing is to be done).
Statuses: ``ok``; ``drift`` (exit 1); ``unknown`` (Okta cannot tell through its API; check by
hand; not counted as drift); ``skipped`` (the program does not declare it yet). Exit 0 when
nothing drifted, 1 on drift, 2 on bad input or credentials (one line on stderr). Nothing
secret is printed: the API token and the SCIM token never reach this module's output.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ownscim_infra.config import OwnScimConfig, load_config
from ownscim_infra.domain import repairs as repair_text
from ownscim_infra.domain.errors import InputError
from ownscim_infra.domain.findings import Code, Finding, Status, meaning
from ownscim_infra.domain.own_setup import (
    CAPABILITY_LABELS,
    CATALOG_APP,
    FEATURE,
    REGIONS_ATTRIBUTE,
    REGIONS_NAMESPACE,
    manual_steps,
    okta_fold,
)
from ownscim_infra.domain.priorities import group_priority
from ownscim_infra.domain.regions import canonical_regions, same_regions
from ownscim_infra.domain.setup_rules import (
    ATTRIBUTE_RULES,
    CAPABILITY_RULES,
    FEATURE_RULE,
    MISSING_ATTRIBUTE_RULE,
    PUSH_GROUPS_RULE,
    PUSH_MAPPINGS_RULE,
    AppSettings,
    AttributeSettings,
    breaches,
)
from ownscim_infra.domain.tables import DEFAULT_WIDTH, aligned, wrapped
from ownscim_infra.live import okta_api

OK, DRIFT, UNKNOWN, SKIPPED = Status.OK, Status.DRIFT, Status.UNKNOWN, Status.SKIPPED

#: The checks, in report order, with what each asserts (:data:`ownscim_infra.domain.findings.MEANINGS`).
CHECKS = {
    code: meaning(code)
    for code in (
        Code.APP,
        Code.CONNECTION,
        Code.FEATURES,
        Code.GROUP_PUSH,
        Code.REGIONS_ATTRIBUTE,
        Code.GROUP,
        Code.OTHER_GROUPS,
        Code.MEMBERS,
        Code.GROUP_RULE,
        Code.PERSON,
    )
}


def check_result(
    check: Code,
    subject: str,
    status: Status,
    message: str,
    details: list[str] | None = None,
    regions_drift: bool = False,
    repair: str | None = None,
) -> Finding:
    """One check's result as a :class:`~ownscim_infra.domain.findings.Finding`: ``check``
    (a key of :data:`CHECKS`), ``subject`` (what was checked: the app label, a group name, a
    login), ``status``, ``message`` (one line), ``details`` (further lines: steps, lists),
    ``regions_drift`` (the live assignment's ``regions`` differs: only ``pulumi up
    --replace`` changes it) and ``repair`` (for a drift: the command or console step that
    repairs it, :class:`Repairs`)."""
    return Finding(
        check,
        message,
        steps=tuple(details or ()),
        subject=subject,
        status=status,
        regions_drift=regions_drift,
        repair=repair if status == DRIFT else None,
    )


#: The plain repair (:data:`ownscim_infra.domain.repairs.REFRESH`, the one wording of every repair).
REFRESH = repair_text.REFRESH


def default_stack(config_file: str | Path) -> str:
    """The stack a config belongs to by the program's convention, ``config/<stack>.yaml``
    (``Pulumi.yaml``, ``ownscim:config``): the file's stem; ``<stack>`` when unnamed."""
    return Path(config_file).stem if str(config_file) else "<stack>"


@dataclass(frozen=True)
class Repairs:
    """The command or Admin Console step that repairs each kind of drift on ``stack``
    (docs/live-org.md, "Repairs", says why each works)."""

    config: OwnScimConfig
    stack: str

    def replace(self, type_: str, name: str) -> str:
        """``pulumi up --replace 'URN'`` (:func:`ownscim_infra.domain.repairs.replace`)."""
        return repair_text.replace(self.stack, type_, name)

    def group_regions(self, group: str) -> str:
        """A group assignment's ``regions`` value differs."""
        key = next(g.resource_key for g in self.config.groups if g.name == group)
        return repair_text.group_regions(self.stack, key)

    def person_regions(self, login: str, want: str) -> str:
        """A direct assignment's ``regions`` value differs from ``want`` (shown)."""
        return repair_text.person_regions(self.stack, self.config.app.label, login, want)

    @property
    def console_assignments(self) -> str:
        """Where assignments are edited by hand."""
        return repair_text.console_assignments(self.config.app.label)

    @property
    def console_provisioning(self) -> str:
        """The manual steps (``manual_steps``), in one line."""
        return f"Admin Console > Applications > {self.config.app.label} > Provisioning: the steps listed above"


#: Pulumi type tokens of the resources a repair names.
GROUP_ASSIGNMENT_TYPE = repair_text.GROUP_ASSIGNMENT_TYPE
APP_USER_TYPE = repair_text.APP_USER_TYPE


@dataclass
class Report:
    """Every finding for one app; :attr:`drift` is true when any finding drifted."""

    org_url: str
    config_file: str
    app_id: str | None
    findings: list[Finding]

    @property
    def drift(self) -> bool:
        """Whether any check drifted (the command's exit 1)."""
        return any(f.status == DRIFT for f in self.findings)

    @property
    def drifted(self) -> list[Finding]:
        """The checks that drifted, in report order."""
        return [f for f in self.findings if f.status == DRIFT]

    def to_json(self) -> dict[str, Any]:
        """The ``json`` format's document: ``{"org", "config", "appId", "drift", "findings":
        [{"check", "subject", "status", "message", "details", "regionsDrift", "repair"}]}``
        (camelCase, as every command's JSON)."""
        return {
            "org": self.org_url,
            "config": self.config_file,
            "appId": self.app_id,
            "drift": self.drift,
            "findings": [f.to_check_json() for f in self.findings],
        }


# --------------------------------------------------------------------------- the checks


def _profile_regions(profile: dict[str, Any]) -> str | None:
    value = profile.get(REGIONS_ATTRIBUTE)
    return None if value in (None, "") else str(value)


def _show(value: str | None) -> str:
    return "no regions value (all regions)" if value is None else repr(value)


def check_app(config: OwnScimConfig, app: okta_api.App) -> Finding:
    """``app``: catalog app ``scim2headerauth``, ACTIVE, with the config's label."""
    problems = []
    if app.name != CATALOG_APP:
        problems.append(f"catalog app is {app.name!r}, expected {CATALOG_APP!r} (SCIM 2.0 Test App (Header Auth))")
    if app.label != config.app.label:  # worded as simulate's drift words it, in its order
        problems.append(repair_text.app_label_differs(app.label, config.app.label))
    if app.status != "ACTIVE":
        problems.append(repair_text.app_not_active(app.status))
    if problems:
        repair = (
            "pass the --app-id of the program's app (this is not the catalog app it declares)"
            if app.name != CATALOG_APP
            else app_repair(config, app)
        )
        return check_result(Code.APP, f"{app.label} ({app.id})", DRIFT, "; ".join(problems), repair=repair)
    return check_result(Code.APP, f"{app.label} ({app.id})", OK, f"{CATALOG_APP}, ACTIVE")


def app_repair(config: OwnScimConfig, app: okta_api.App) -> str:
    """The repair of the program's app whose label or status differs, worded as ``simulate``'s
    drift words it (:func:`ownscim_infra.domain.repairs.app_label`, ``app_inactive``): both
    come back only through the app's Read, so ``pulumi up --refresh``."""
    found = [repair_text.app_label(config.app.label)] if app.label != config.app.label else []
    found += [repair_text.app_inactive(config.app.label)] if app.status != "ACTIVE" else []
    return "; ".join(found) or REFRESH


def check_connection(config: OwnScimConfig, live: okta_api.LiveApp) -> Finding:
    """``connection``: ENABLED with the config's base URL; ``UNKNOWN`` (or none) gives the
    console steps and, in ``api`` mode, is drift."""
    manual = config.app.provisioning == "manual"
    subject = "provisioning connection"
    steps = manual_steps(config.app.label, config.app.scim_base_url)
    note = " (provisioning: manual: set by hand, checked here as the manual steps should have set it)" if manual else ""
    conn = live.connection
    if conn is None or conn.status == "UNKNOWN":
        message = (
            "Okta does not manage this app's provisioning connection through the API "
            f"(status {'missing' if conn is None else 'UNKNOWN'}); it cannot be checked or set by the program"
        )
        details = ["Set it in the Admin Console:", *["  " + s for s in steps]]
        if manual:
            return check_result(Code.CONNECTION, subject, UNKNOWN, message + "; check it by hand", details)
        details.append("Then set app.provisioning: manual in the config (recommended for this org).")
        repair = (
            f"{Repairs(config, '').console_provisioning}; then set app.provisioning: manual and "
            "app.manual_steps_done: true in the config, and `pulumi up`"
        )
        return check_result(
            Code.CONNECTION, subject, DRIFT, message + "; use provisioning: manual", details, repair=repair
        )
    problems = []
    if conn.status != "ENABLED":
        problems.append(f"status is {conn.status}, expected ENABLED")
    if (conn.base_url or "").rstrip("/") != config.app.scim_base_url.rstrip("/"):
        problems.append(f"base URL is {conn.base_url!r}, the config says {config.app.scim_base_url!r}")
    if problems:
        if manual:
            repair = Repairs(config, "").console_provisioning
        elif conn.status != "ENABLED":
            # the connection's action is ignored (ignore_changes=["action"]): no run activates it again
            repair = (
                f"Admin Console > Applications > {config.app.label} > Provisioning > Integration: "
                "Enable API integration, then `pulumi refresh`"
            )
        else:
            repair = REFRESH
        return check_result(
            Code.CONNECTION,
            subject,
            DRIFT,
            "; ".join(problems) + note,
            ["Fix in the Admin Console:", *["  " + s for s in steps]] if manual else [],
            repair=repair,
        )
    return check_result(Code.CONNECTION, subject, OK, f"ENABLED, base URL {conn.base_url}{note}")


def settings_of(live: okta_api.LiveApp) -> AppSettings:
    """The app's provisioning settings as the rules of Own's setup page read them
    (:mod:`ownscim_infra.domain.setup_rules`): the live face of the snapshot. An absent
    ``password`` capability is off (Okta leaves it out when Sync Password was never set)."""
    f, attr = live.feature, live.regions_attribute
    capabilities: dict[str, str | None] = (
        {}
        if f is None
        else {
            "lifecycleCreate": f.create,
            "lifecycleDeactivate": f.deactivate,
            "profile": f.profile,
            "password": f.password or "DISABLED",
        }
    )
    return AppSettings(
        capabilities=capabilities,
        source=f"{FEATURE} read through Okta's API",
        attribute=None
        if attr is None
        else AttributeSettings(attr.external_name, attr.external_namespace, attr.scope, attr.type),
        feature_status=None if f is None else f.status,
        push_groups="GROUP_PUSH" in live.app.features,
        push_mappings=len(live.push_mappings),
        group_priorities=tuple((g.group_name, g.priority) for g in live.groups if g.priority is not None),
    )


#: ``USER_PROVISIONING``'s capabilities by the names of the live API's fields (:class:`okta_api.ProvisioningFeature`).
_FEATURE_FIELDS = {
    "lifecycleCreate": "create",
    "lifecycleDeactivate": "deactivate",
    "profile": "profile",
    "password": "password",
}
#: How ``verify`` names each rule's setting (the live API's field, then Own's setup page label).
_SETTING_NAMES = {
    "featureStatus": "status",
    **{name: f"{field} ({CAPABILITY_LABELS[name]})" for name, field in _FEATURE_FIELDS.items()},
    "externalName": "external name",
    "externalNamespace": "external namespace",
    "type": "type",
    "scope": "scope",
}
_FEATURE_RULES = (FEATURE_RULE, *CAPABILITY_RULES.values())
_ATTRIBUTE_RULES = (
    ATTRIBUTE_RULES["externalName"],
    ATTRIBUTE_RULES["externalNamespace"],
    ATTRIBUTE_RULES["type"],
    ATTRIBUTE_RULES["scope"],
)


def check_features(config: OwnScimConfig, live: okta_api.LiveApp) -> Finding:
    """``features``: ``USER_PROVISIONING`` by the setup page's rules (``feature-status``,
    ``capability-*``; an absent password capability is off)."""
    manual = config.app.provisioning == "manual"
    note = " (provisioning: manual: checked as the manual steps should have set it)" if manual else ""
    if live.feature is None and live.connection is not None and live.connection.status == "UNKNOWN":
        # Okta serves neither API for this app: what the console steps set cannot be read
        return check_result(
            Code.FEATURES,
            FEATURE,
            UNKNOWN,
            f"Okta does not serve {FEATURE} through its API for this app; check it by hand{note}",
        )
    repair = Repairs(config, "").console_provisioning if manual else REFRESH
    if live.feature is None:
        return check_result(
            Code.FEATURES,
            FEATURE,
            DRIFT,
            f"{FEATURE} is not available: provisioning is not enabled on the app{note}",
            repair=repair if manual else "repair the connection first (see connection), then " + REFRESH,
        )
    problems = [
        f"{_SETTING_NAMES[b.rule.setting]} is {b.actual or 'not set'}, expected {b.rule.wanted}"
        for b in breaches(settings_of(live), _FEATURE_RULES)
    ]
    if problems:
        return check_result(Code.FEATURES, FEATURE, DRIFT, "; ".join(problems) + note, repair=repair)
    wanted = ", ".join(f"{_FEATURE_FIELDS[r.setting]} {r.wanted}" for r in CAPABILITY_RULES.values())
    return check_result(Code.FEATURES, FEATURE, OK, f"ENABLED: {wanted}{note}")


def check_group_push(live: okta_api.LiveApp) -> Finding:
    """``group-push``: by the setup page's rules ``push-groups`` and ``push-mappings``
    (``unknown`` when the mappings cannot be listed)."""
    problems, details = [], []
    for breach in breaches(settings_of(live), (PUSH_GROUPS_RULE, PUSH_MAPPINGS_RULE)):
        if breach.rule is PUSH_GROUPS_RULE:
            problems.append("Push Groups is enabled on the app (Own does not support it)")
        else:
            names = {g.group_id: g.group_name for g in live.groups}
            problems.append(f"{len(live.push_mappings)} group push mapping(s)")
            details += [
                f"push {names.get(m.source_group_id or '', m.source_group_id)} ({m.status or '?'}), mapping {m.id}"
                for m in live.push_mappings
            ]
    if problems:
        # the program declares neither: no run changes them
        step = (
            f"Admin Console > Applications > {live.app.label}: remove every mapping on the Push Groups "
            "tab, and untick Push Groups in the app's settings"
        )
        return check_result(
            Code.GROUP_PUSH, "Push Groups", DRIFT, "; ".join(problems), [*details, step + "."], repair=step
        )
    if live.group_push_error:
        return check_result(
            Code.GROUP_PUSH, "Push Groups", UNKNOWN, f"could not list group push mappings: {live.group_push_error}"
        )
    return check_result(Code.GROUP_PUSH, "Push Groups", OK, "no group push mappings")


def check_attribute(config: OwnScimConfig, live: okta_api.LiveApp) -> Finding:
    """``regions-attribute``: by the setup page's rules ``regions-*`` (``skipped`` until the
    program declares it)."""
    attr = live.regions_attribute
    if not config.assignments_declared:
        return check_result(
            Code.REGIONS_ATTRIBUTE,
            REGIONS_ATTRIBUTE,
            SKIPPED,
            "not declared until app.manual_steps_done: true" + (" (it exists already)" if attr else ""),
        )
    settings = settings_of(live)
    if breaches(settings, (MISSING_ATTRIBUTE_RULE,)):
        return check_result(
            Code.REGIONS_ATTRIBUTE, REGIONS_ATTRIBUTE, DRIFT, "the app has no regions attribute", repair=REFRESH
        )
    problems = [
        f"{_SETTING_NAMES[b.rule.setting]} is {b.actual!r}, expected {b.rule.wanted!r}"
        for b in breaches(settings, _ATTRIBUTE_RULES)
    ]
    if problems:
        # each of these settings is ForceNew: a run would replace the protected attribute
        repair = (
            f"Admin Console > Directory > Profile Editor > {config.app.label} User > {REGIONS_ATTRIBUTE}: set "
            "the values above, then `pulumi refresh` (a run would replace the protected attribute, erasing every "
            "assignment's value: README, Caveats)"
        )
        return check_result(Code.REGIONS_ATTRIBUTE, REGIONS_ATTRIBUTE, DRIFT, "; ".join(problems), repair=repair)
    return check_result(
        Code.REGIONS_ATTRIBUTE,
        REGIONS_ATTRIBUTE,
        OK,
        f"external name {REGIONS_ATTRIBUTE}, namespace {REGIONS_NAMESPACE}, type string, scope NONE",
    )


def check_groups(config: OwnScimConfig, live: okta_api.LiveApp, repairs: Repairs | None = None) -> list[Finding]:
    """``group`` for each config group (its priority, :func:`group_priority`, and ``regions``
    value), then ``other-groups``; ``repairs`` names the stack (default ``<stack>``)."""
    repairs = repairs or Repairs(config, default_stack(""))
    if not config.assignments_declared:
        return [
            check_result(Code.GROUP, g.name, SKIPPED, "assignments are not declared until app.manual_steps_done: true")
            for g in config.groups
        ]
    # Okta group names are case-insensitive (config validation treats them so).
    by_name = {okta_fold(a.group_name): a for a in live.groups}
    out = []
    for position, group in enumerate(config.groups):
        priority = group_priority(position)
        want = canonical_regions(group.regions)  # as the program declares it
        a = by_name.get(okta_fold(group.name))
        if a is None:
            exists = live.groups_by_name.get(group.name)
            why = "the group does not exist in Okta" if exists is None else "the group exists but is not assigned"
            repair = repair_text.looked_up_group_missing(group.name) if exists is None and not group.create else REFRESH
            out.append(check_result(Code.GROUP, group.name, DRIFT, f"not assigned to the app ({why})", repair=repair))
            continue
        problems = [f"priority is {a.priority}, expected {priority}"] if a.priority != priority else []
        out.append(
            _assignment_finding(
                Code.GROUP,
                group.name,
                problems,
                _profile_regions(a.profile),
                want,
                f"priority {priority}, regions {want}",
                repairs.group_regions(group.name),
            )
        )
    wanted = {okta_fold(g.name) for g in config.groups}
    extra = [a for a in live.groups if okta_fold(a.group_name) not in wanted]
    if extra:
        out.append(
            check_result(
                Code.OTHER_GROUPS,
                "groups not in the config",
                DRIFT,
                f"{len(extra)} group(s) assigned that the config does not list",
                [
                    f"{a.group_name} ({a.group_id}), priority {a.priority}, "
                    f"regions {_show(_profile_regions(a.profile))}"
                    for a in extra
                ],
                repair=f"{repairs.console_assignments}: unassign them (the program does not declare them), or add "
                "them to the config",
            )
        )
    else:
        out.append(check_result(Code.OTHER_GROUPS, "groups not in the config", OK, "none"))
    return out


def check_members(config: OwnScimConfig, live: okta_api.LiveApp) -> list[Finding]:
    """``members`` for each group whose members the config lists: one ``ok`` finding when
    Okta's members (``GET /api/v1/groups/{groupId}/users``) are the config's logins (compared
    folded, as Okta compares logins), else one drift a difference, worded as ``simulate``'s
    drift words it (:mod:`ownscim_infra.domain.repairs`). Both kinds are repaired by ``pulumi
    up --refresh``: the program declares ``track_all_users``, so the memberships' Read records
    every member (``checkIfUsersHaveChanged``, ``resource_okta_group_memberships.go``) and the
    update puts the config's list back (the repair says what that does in Own, and the config
    edit that keeps Okta's membership instead); a person added by hand has the app through the
    group until then (its regions unless another group comes first). A listed login Okta has
    no user for fails ``pulumi up`` at its lookup."""
    out = []
    for group in config.groups:
        if group.members is None:
            continue
        held = live.group_members.get(group.name)
        if held is None:
            message = "the group does not exist in Okta, so neither do its members"
            out.append(check_result(Code.MEMBERS, group.name, DRIFT, message, repair=REFRESH))
            continue
        now = (live.groups_by_name.get(group.name) or okta_api.OktaGroup("", group.name, None)).name
        in_okta = {okta_fold(u.login): u.login for u in held}
        listed = {okta_fold(login): login for login in group.members}
        found = []
        for key, login in sorted(in_okta.items()):
            if key not in listed:
                what = repair_text.member_not_listed(login, now)
                repair = repair_text.member_not_listed_repair(login)
                found.append(check_result(Code.MEMBERS, f"{group.name}: {login}", DRIFT, what, repair=repair))
        for key, login in sorted(listed.items()):
            if key in in_okta:
                continue
            if live.member_users.get(login, True) is None:
                repair = "create the user in Okta, or correct the login in the config; then `pulumi up`"
                what = f"{repair_text.member_not_in_group(login, now)}: no Okta user has this login"
            else:
                repair, what = (
                    repair_text.member_not_in_group_repair(login),
                    repair_text.member_not_in_group(login, now),
                )
            found.append(check_result(Code.MEMBERS, f"{group.name}: {login}", DRIFT, what, repair=repair))
        out += found or [check_result(Code.MEMBERS, group.name, OK, f"{len(held)} member(s), as the config lists")]
    return out


def check_group_rules(config: OwnScimConfig, live: okta_api.LiveApp) -> list[Finding]:
    """``group-rule`` for each group whose members a rule computes: the rule named
    :attr:`~ownscim_infra.config.models.GroupConfig.rule_name` that assigns users to the group
    is ``ACTIVE`` (the program declares it so; a deactivated rule adds no one) with the config's
    expression, and excludes no one. ``pulumi up --refresh`` repairs a status or an expression
    (the rule's Read stores Okta's, the update puts the declared ones back: deactivate, update,
    activate, ``resource_okta_group_rule.go``) and a deleted rule (Read 404: created again);
    an ``INVALID`` rule is replaced, which Okta refuses while the old one has the name
    (:func:`ownscim_infra.domain.repairs.rule_invalid`); each excluded person is one drift
    (:func:`ownscim_infra.domain.repairs.rule_exclusion`)."""
    out = []
    for group in config.groups:
        if group.rule is None:
            continue
        okta_group = live.groups_by_name.get(group.name)
        rules = [r for r in live.group_rules.get(group.name, []) if okta_group is None or okta_group.id in r.group_ids]
        if not rules:
            message = f"no group rule named {group.rule_name!r} puts users in the group"
            out.append(check_result(Code.GROUP_RULE, group.name, DRIFT, message, repair=REFRESH))
            continue
        rule = rules[0]
        problems = repair_text.rule_not_as_declared(rule.status, rule.expression, group.rule)
        if problems:
            invalid = rule.status == "INVALID"
            repair = repair_text.rule_invalid(rule.name) if invalid else repair_text.rule_changed(rule.name)
            out.append(check_result(Code.GROUP_RULE, group.name, DRIFT, problems, repair=repair))
        # the group as Okta names it now: renamed by hand, the config's name finds nothing, the
        # app's group assignment of the rule's group has it (simulate's drift names it so)
        assigned = {a.group_id: a.group_name for a in live.groups}
        now = (
            okta_group.name
            if okta_group is not None
            else next((assigned[g] for g in rule.group_ids if g in assigned), group.name)
        )
        excluded = []
        for user_id in rule.excluded:
            user = live.excluded_users.get(user_id)
            excluded.append(user.login if user is not None else user_id)
        for login in sorted(excluded, key=okta_fold):
            what = repair_text.rule_excluded(login, rule.name, now)
            repair = repair_text.rule_exclusion(rule.name, login)
            out.append(check_result(Code.GROUP_RULE, f"{group.name}: {login}", DRIFT, what, repair=repair))
        if not problems and not excluded:
            out.append(check_result(Code.GROUP_RULE, group.name, OK, f"ACTIVE, {rule.expression}, no exclusions"))
    return out


def _assignment_finding(
    check: Code,
    subject: str,
    problems: list[str],
    got: str | None,
    want: str | None,
    ok_message: str,
    replace: str,
    repair: str = REFRESH,
) -> Finding:
    """An assignment's finding: drift when ``problems`` or the live ``regions`` value
    (``got``) names other regions than the config's (``want``; the order means nothing to Own,
    and the program keeps a stack's recorded order: :class:`~ownscim_infra.domain.regions.RecordedRegions`),
    which also marks ``regions_drift`` and makes ``replace`` (the ``pulumi up --replace``
    command) the repair, else ``repair``."""
    drift = not same_regions(got, want)
    if drift:
        problems = [*problems, f"regions is {_show(got)}, expected {_show(want)}"]
    if problems:
        return check_result(
            check,
            subject,
            DRIFT,
            "; ".join(problems),
            regions_drift=drift,
            repair=replace if drift else repair,
        )
    return check_result(check, subject, OK, ok_message)


def check_people(config: OwnScimConfig, live: okta_api.LiveApp, repairs: Repairs | None = None) -> list[Finding]:
    """``person`` for each config person: assigned directly (scope USER) with the expected
    ``regions`` value; ``repairs`` names the stack (default ``<stack>``)."""
    repairs = repairs or Repairs(config, default_stack(""))
    if not config.assignments_declared:
        return [
            check_result(
                Code.PERSON, p.login, SKIPPED, "assignments are not declared until app.manual_steps_done: true"
            )
            for p in config.people
        ]
    by_id = {u.user_id: u for u in live.users}
    out = []
    for person in config.people:
        want = None if person.regions is None else canonical_regions(person.regions)
        user = live.people.get(person.login)
        if user is None:
            repair = "create the user in Okta, or correct the login in the config; then `pulumi up`"
            out.append(check_result(Code.PERSON, person.login, DRIFT, "no Okta user has this login", repair=repair))
            continue
        app_user = by_id.get(user.id)
        if app_user is None:
            out.append(check_result(Code.PERSON, person.login, DRIFT, "not assigned to the app", repair=REFRESH))
            continue
        problems = (
            [f"has the app only through a group (scope {app_user.scope}), not by a direct assignment"]
            if app_user.scope != "USER"
            else []
        )
        # the app user's Read answers 200 for a group-scoped user: no run re-creates the direct assignment
        by_hand = repair_text.person_by_hand(config.app.label, person.login, _show(want))
        out.append(
            _assignment_finding(
                Code.PERSON,
                person.login,
                problems,
                _profile_regions(app_user.profile),
                want,
                f"assigned directly, {_show(want)}",
                by_hand if problems else repairs.person_regions(person.login, _show(want)),
                by_hand,
            )
        )
    return out


def check(config: OwnScimConfig, live: okta_api.LiveApp, config_file: str = "", stack: str | None = None) -> Report:
    """Every finding for ``live`` against ``config`` (no I/O); the repairs name ``stack``'s
    URNs (default: :func:`default_stack` of ``config_file``)."""
    repairs = Repairs(config, stack or default_stack(config_file))
    findings = [
        check_app(config, live.app),
        check_connection(config, live),
        check_features(config, live),
        check_group_push(live),
        check_attribute(config, live),
        *check_groups(config, live, repairs),
        *check_members(config, live),
        *check_group_rules(config, live),
        *check_people(config, live, repairs),
    ]
    return Report(live.org_url, config_file, live.app.id, findings)


# --------------------------------------------------------------------------- reading the org


class AppNotFound(InputError):
    """No (or more than one) app matches; ``candidates`` lists the matches."""

    def __init__(self, message: str, candidates: list[okta_api.App]):
        super().__init__(message)
        self.candidates = candidates


async def find_app(reader: okta_api.OktaReader, config: OwnScimConfig, app_id: str | None) -> okta_api.App:
    """The app by ``app_id``, else the one ``scim2headerauth`` app labelled ``config.app.label``.

    :raises AppNotFound: none, or several (then pass ``--app-id``).
    """
    if app_id:
        try:
            return await reader.get_app(app_id)
        except okta_api.OktaApiError as exc:
            if exc.not_found:
                raise AppNotFound(f"no app with id {app_id}", []) from None
            raise
    apps = await reader.find_apps(config.app.label)
    if len(apps) == 1:
        return apps[0]
    if not apps:
        raise AppNotFound(f"no {CATALOG_APP} app labelled {config.app.label!r}", [])
    raise AppNotFound(
        f"{len(apps)} {CATALOG_APP} apps are labelled {config.app.label!r}: pass --app-id "
        + " or ".join(a.id for a in apps),
        apps,
    )


async def read_live(reader: okta_api.OktaReader, config: OwnScimConfig, app_id: str | None) -> okta_api.LiveApp:
    """Find the app and read what the checks need."""
    app = await find_app(reader, config, app_id)
    live = await reader.read_live(app, [p.login for p in config.people], [g.name for g in config.groups])
    members = {g.name: list(g.members) for g in config.groups if g.members is not None}
    rules = {g.name: g.rule_name for g in config.groups if g.rule is not None}
    await reader.read_group_contents(live, members, rules)
    return live


def read_app(
    config: OwnScimConfig, app_id: str | None = None, env: Mapping[str, str] | None = None, **reader_opts: Any
) -> okta_api.LiveApp:
    """Read everything the checks need about the app (credentials from ``env``, default
    ``os.environ``): the app by ``app_id``, else the one ``scim2headerauth`` app with the
    config's label. Read-only; one HTTP session.

    :raises okta_api.CredentialsError: credentials missing, unusable or rejected (401/403).
    :raises AppNotFound: no such app, or several with the label.
    :raises okta_api.OktaApiError: Okta answered another error.
    """
    creds = okta_api.credentials_from_env(env)
    return call_okta(lambda reader: read_live(reader, config, app_id), creds, **reader_opts)


def verify(
    config_file: str,
    app_id: str | None = None,
    env: Mapping[str, str] | None = None,
    stack: str | None = None,
    **reader_opts: Any,
) -> Report:
    """Check the live org (credentials from ``env``, default ``os.environ``) against
    ``config_file``. Read-only. An app that cannot be found is an ``app`` drift finding. The
    repairs name the URNs of ``stack`` (default :func:`default_stack`: ``config/<stack>.yaml``).

    :raises ConfigError: the config is invalid.
    :raises okta_api.CredentialsError: credentials missing, unusable or rejected (401/403).
    :raises okta_api.OktaApiError: Okta answered another error.
    """
    config = load_config(config_file)
    try:
        live = read_app(config, app_id, env, **reader_opts)
    except AppNotFound as exc:
        org_url = okta_api.credentials_from_env(env).org_url
        repair = (
            "pass --app-id (one of the ids above)"
            if exc.candidates
            else "if the app exists under another label or id, pass --app-id (then `pulumi up --refresh` restores the "
            "label); if it was deleted, `pulumi up --refresh` creates it again (its Read finds it gone), after "
            "`pulumi state delete` of the connection and the features with provisioning: api (their Read fails on "
            "a deleted app)"
        )
        finding = check_result(Code.APP, config.app.label, DRIFT, str(exc), repair=repair)
        return Report(org_url, str(config_file), None, [finding])
    return check(config, live, str(config_file), stack)


def call_okta(body: Any, creds: okta_api.Credentials, **reader_opts: Any) -> Any:
    """:func:`okta_api.run_with_reader`, turning a 401/403 into :class:`okta_api.CredentialsError`."""
    try:
        return okta_api.run_with_reader(body, creds, **reader_opts)
    except okta_api.OktaApiError as exc:
        if exc.unauthorized:
            raise okta_api.CredentialsError(
                f"Okta rejected the API token for {creds.org_url} (HTTP {exc.status} {exc.code or ''} {exc.summary}); "
                f"check {okta_api.ENV_API_TOKEN}".replace("  ", " ")
            ) from None
        raise


# --------------------------------------------------------------------------- output


def render_text(report: Report, width: int | None = DEFAULT_WIDTH) -> str:
    """The table: one row per finding, details indented under it, then a summary line; it
    fits ``width`` columns (long cells and details wrap; ``None``: as wide as it takes)."""
    heading = [
        f"Okta org: {report.org_url}",
        f"Config:   {report.config_file}",
        f"App id:   {report.app_id or '(not found)'}",
    ]
    out = [line for text in heading for line in wrapped(text, width, hanging="          ")] + [""]
    rows = [[f.check, f.subject, f.status.upper(), f.message] for f in report.findings]
    out += aligned(
        ["CHECK", "SUBJECT", "STATUS", "RESULT"],
        rows,
        rule=False,
        details=[["  " + d for d in f.details] for f in report.findings],
        max_width=width,
    )
    repairs = [f for f in report.findings if f.repair]
    if repairs:
        out += ["", "Repairs:"]
        for f in repairs:
            out += wrapped(f"- {f.check} {f.subject}:", width, hanging="    ")
            out += repair_lines(f.repair or "", width, "    ")
    counts = {s: sum(f.status == s for f in report.findings) for s in (OK, DRIFT, UNKNOWN, SKIPPED)}
    out += [
        "",
        ", ".join(f"{v} {k}" for k, v in counts.items() if v) + (": drift found" if report.drift else ": no drift"),
    ]
    return "\n".join(out) + "\n"


#: A repair as lines (:func:`ownscim_infra.domain.repairs.repair_lines`: commands naming a URN whole).
repair_lines = repair_text.repair_lines


def render_json(report: Report) -> str:
    """The ``json`` format: :meth:`Report.to_json`, sorted keys, two-space indent."""
    return json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n"


RENDERERS = {"text": render_text, "json": render_json}
