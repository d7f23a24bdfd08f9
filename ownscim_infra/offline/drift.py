"""Drift: what the config declares against what the emulated Okta holds, with each repair.

``simulate``'s report lists one :class:`Drift` per difference after the run (the app: deleted,
its label, its status; each created group's name, each ``members`` group's membership, each group assignment's
presence, priority and ``regions`` value, each person's direct assignment and value, each
``rule`` group's rule exclusions), with
the command or Admin Console step that brings it back, worded once for ``verify`` and
``simulate`` (:mod:`ownscim_infra.domain.repairs`):

- a ``regions`` value edited in the console: ``pulumi up --replace 'URN'``. A plain ``pulumi
  up`` reads nothing; ``pulumi up --refresh`` rewrites the recorded inputs from Okta's value
  while the replacement trigger (the declared profile) is unchanged (:meth:`.engine.Engine.refresh`);
- the app renamed or deactivated by hand: ``pulumi up --refresh`` (the app's Read records
  Okta's label and status; the update PUTs the declared arguments back, or activates it);
- an assignment or a group removed or renamed by hand: ``pulumi up --refresh`` (the Read
  answers 404, or the name Okta holds, and the update puts it back);
- a member added to or removed from a ``members`` group by hand: ``pulumi up --refresh`` (the
  memberships' Read with ``track_all_users`` records Okta's members, and the update puts the
  config's list back; a plain ``pulumi up`` sees nothing);
- a ``rule`` group's rule deactivated or its expression edited by hand: ``pulumi up
  --refresh`` (the rule's Read records Okta's status and expression; the update activates it,
  or deactivates it, puts the config's expression back and activates it);
- a member a ``rule`` group's rule manages, removed by hand: Okta adds them to the rule's
  exclusions, so the rule leaves them out: ``pulumi up --refresh`` (the rule's Read records
  ``users_excluded``, the update clears it, Okta evaluates the rule again), or the console;
- a person who has the app only through a group (their direct assignment removed by hand):
  the app user's Read answers 200 with scope ``GROUP``, so no run creates it again: the
  console step;
- the app deleted: the connection's and features' Read fail, so they leave the state by hand;
  with ``provisioning: manual`` the new app needs the Admin Console steps again, and the
  ``regions`` attribute created before them its external namespace set by hand.

A drift the run repaired (one the console made, gone after the run) is listed with ``repair``
``None`` (:func:`repaired`). Loads no Pulumi.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ownscim_infra.config import OwnScimConfig
from ownscim_infra.domain import naming, repairs
from ownscim_infra.domain.own_setup import REGIONS_ATTRIBUTE, okta_fold
from ownscim_infra.domain.priorities import group_priority
from ownscim_infra.domain.regions import canonical_regions, same_regions
from ownscim_infra.domain.repairs import Drift
from ownscim_infra.offline import provider
from ownscim_infra.offline.okta_org import AppUser, OktaOrg


def stack_of(config_file: str | Path) -> str:
    """The stack the config belongs to by the program's convention (``config/<stack>.yaml``)."""
    return Path(config_file).stem if str(config_file) else "<stack>"


def _show(value: Any) -> str:
    return "(none: all regions)" if value in (None, "") else str(value)


def drift_of(config: OwnScimConfig, org: OktaOrg, state: dict[str, Any], stack: str) -> list[Drift]:
    """Every difference between ``config`` and ``org``, for the resources of the engine's
    ``state`` (name -> :class:`~.engine.ResourceState`); nothing before the app exists."""
    names = naming.ResourceNames()
    app_state = next((s for s in state.values() if s.type == provider.APP), None)
    if app_state is None:
        return []
    if app_state.id not in org.apps:
        repair = (
            repairs.app_deleted(stack, names.connection, names.features)
            if names.connection in state
            else repairs.REFRESH + " (the app is created anew: every person and group is assigned again)"
        )
        if config.app.provisioning == "manual":
            repair += repairs.app_recreated_by_hand(names.regions_attribute in state)
        what = (
            "the app was deleted in Okta, with every assignment (Own's accounts: all deactivated, or left active "
            "and no longer managed; Okta does not document which: app-deleted)"
        )
        return [Drift(names.app, what, repair, "app")]
    found = _app(config, org, app_state.id, names) + _groups(config, org, state, names)
    found += _members(config, org, state, names) + _rules(config, org, state, names)
    if config.assignments_declared:
        found += _group_assignments(config, org, app_state.id, stack, state)
        found += _people(config, org, app_state.id, stack, names)
    return found


def _app(config: OwnScimConfig, org: OktaOrg, app_id: str, names: naming.ResourceNames) -> list[Drift]:
    """The app's label and status as Okta holds them against the config's (the program declares
    ``status: ACTIVE``): both come back only through the app's Read, so ``pulumi up --refresh``."""
    app, label, found = org.apps[app_id], config.app.label, []
    if app.label != label:
        found.append(Drift(names.app, repairs.app_label_differs(app.label, label), repairs.app_label(label), "label"))
    if app.status != "ACTIVE":
        found.append(Drift(names.app, repairs.app_not_active(app.status), repairs.app_inactive(label), "status"))
    return found


def _groups(config: OwnScimConfig, org: OktaOrg, state: dict[str, Any], names: naming.ResourceNames) -> list[Drift]:
    found = []
    for group in config.groups:
        held = state.get(names.group(group.resource_key))
        if not group.create or held is None:
            continue
        now = org.groups.get(held.id)
        if now is None:
            found.append(Drift(held.name, f"group {group.name!r} was deleted in Okta", repairs.REFRESH, "group"))
        elif now.name != group.name:
            what = f"group {group.name!r} is named {now.name!r} in Okta"
            found.append(Drift(held.name, what, repairs.REFRESH, "group"))
    return found


def _members(config: OwnScimConfig, org: OktaOrg, state: dict[str, Any], names: naming.ResourceNames) -> list[Drift]:
    """A ``members`` group whose Okta membership is not the config's list: the program owns
    the whole membership (``track_all_users``), so ``pulumi up --refresh`` reads the group
    (``checkIfUsersHaveChanged``) and the update adds and removes members back to the list; a
    plain ``pulumi up`` diffs against the state, which still holds the declared users."""
    found = []
    for group in config.groups:
        held = state.get(names.group_memberships(group.resource_key))
        if group.members is None or held is None:
            continue
        gid = str(held.inputs.get("groupId", ""))
        if gid not in org.groups:
            continue  # the group itself was deleted: _groups says so
        now = org.groups[gid].name
        in_okta = {okta_fold(u.login): u.login for u in org.members(gid)}
        listed = {okta_fold(login): login for login in group.members}
        for key, login in in_okta.items():
            if key not in listed:
                what, repair = repairs.member_not_listed(login, now), repairs.member_not_listed_repair(login)
                found.append(Drift(held.name, what, repair, f"member-added:{key}"))
        for key, login in listed.items():
            if key not in in_okta and org.find_user_id(login) is not None:
                what, repair = repairs.member_not_in_group(login, now), repairs.member_not_in_group_repair(login)
                found.append(Drift(held.name, what, repair, f"member-removed:{key}"))
    return found


def _rules(config: OwnScimConfig, org: OktaOrg, state: dict[str, Any], names: naming.ResourceNames) -> list[Drift]:
    """A ``rule`` group whose rule is not ``ACTIVE`` or has another expression than the
    config's (deactivated or edited by hand: ``--console`` ``deactivate-rule``, ``edit-rule``),
    worded and repaired as ``verify`` words them (:func:`~ownscim_infra.domain.repairs.rule_not_as_declared`,
    :func:`~ownscim_infra.domain.repairs.rule_changed`: the rule's Read records both, the update
    puts the config's back); and each person the rule excludes: Okta excludes a rule-managed
    member removed by hand from the rule (:meth:`~.okta_org.OktaOrg.exclude_removed_member`), so
    no evaluation puts them back; ``pulumi up --refresh`` reads the exclusion (the rule's Read
    stores ``users_excluded``) and the update clears it (the program declares none)."""
    found = []
    for group in config.groups:
        held = state.get(names.group_rule(group.resource_key))
        if group.rule is None or held is None or held.id not in org.rules:
            continue
        rule = org.rules[held.id]
        problems = repairs.rule_not_as_declared(rule.status, rule.expression, group.rule)
        if problems is not None:
            found.append(Drift(held.name, problems, repairs.rule_changed(rule.name), "rule"))
        gid = next(iter(rule.group_ids), "")
        now = org.groups[gid].name if gid in org.groups else group.name
        excluded = [u for uid in rule.excluded if (u := org.user(uid)) is not None]
        for user in sorted(excluded, key=lambda u: okta_fold(u.login)):
            what = repairs.rule_excluded(user.login, rule.name, now)
            repair = repairs.rule_exclusion(rule.name, user.login)
            found.append(Drift(held.name, what, repair, f"rule-excluded:{okta_fold(user.login)}"))
    return found


def _group_assignments(
    config: OwnScimConfig, org: OktaOrg, app_id: str, stack: str, state: dict[str, Any]
) -> list[Drift]:
    names, found = naming.ResourceNames(), []
    held = org.apps[app_id].group_assignments
    for position, group in enumerate(config.groups):
        resource = names.group_assignment(group.resource_key)
        created = state.get(names.group(group.resource_key))  # a renamed group is still this one
        gid = created.id if created is not None else org.find_group(group.name)
        if gid is None and not group.create:  # the program's lookup by name fails: no run gets past it
            was = state[resource].inputs.get("groupId") if resource in state else None
            now = f" (the group the app is assigned is named {org.groups[was].name!r} now)" if was in org.groups else ""
            what = f"group {group.name!r} does not exist in Okta{now}: the program looks it up by name"
            found.append(Drift(resource, what, repairs.looked_up_group_missing(group.name), "assigned"))
            continue
        assignment = held.get(gid or "")
        if assignment is None:
            what = f"group {group.name!r} is not assigned to the app"
            found.append(Drift(resource, what, repairs.REFRESH, "assigned"))
            continue
        if assignment["priority"] != group_priority(position):
            what = f"group {group.name!r} has priority {assignment['priority']}, the config {group_priority(position)}"
            found.append(Drift(resource, what, repairs.REFRESH, "priority"))
        got, want = assignment["profile"].get(REGIONS_ATTRIBUTE), canonical_regions(group.regions)
        if not same_regions(got, want):  # Own reads a set: a text the stack recorded in another order is no drift
            what = f"group {group.name!r}: regions is {_show(got)} in Okta, the config says {want}"
            found.append(Drift(resource, what, repairs.group_regions(stack, group.resource_key), "regions"))
    return found


def _people(config: OwnScimConfig, org: OktaOrg, app_id: str, stack: str, names: naming.ResourceNames) -> list[Drift]:
    found = []
    app = org.apps[app_id]
    by_login: dict[str, AppUser] | None = None  # who has the app: for a person without a direct assignment
    for person in config.people:
        resource = names.user_assignment(person.login)
        uid = org.find_user_id(person.login)
        if uid is None:
            continue  # the program fails looking it up: the run's finding says so
        want = None if person.regions is None else canonical_regions(person.regions)
        values = app.users.get(uid)
        if values is None:
            if by_login is None:  # a pass over every user of the org: once, and only when needed
                by_login = {okta_fold(a.user.login): a for a in org.app_users(app_id)}
            via = by_login.get(okta_fold(person.login))
            if via is None:
                what = f"{person.login} is not assigned to the app"
                found.append(Drift(resource, what, repairs.REFRESH, "assigned"))
            else:
                group = org.groups[via.group_id].name if via.group_id in org.groups else "a group"
                what = (
                    f"{person.login} has the app only through group {group!r} (scope GROUP, regions "
                    f"{_show(via.profile.get(REGIONS_ATTRIBUTE))}), not by the direct assignment the config declares"
                )
                repair = repairs.person_by_hand(config.app.label, person.login, _show(want))
                found.append(Drift(resource, what, repair, "scope"))
            continue
        got = values.get(REGIONS_ATTRIBUTE) or None
        if not same_regions(got, want):
            what = f"{person.login}: regions is {_show(got)} in Okta, the config says {_show(want)}"
            repair = repairs.person_regions(stack, config.app.label, person.login, _show(want))
            found.append(Drift(resource, what, repair, "regions"))
    return found


def repaired(introduced: list[Drift], after: list[Drift]) -> list[Drift]:
    """The drifts of ``introduced`` (what the console made) that ``after`` (the drift after
    the run) no longer has, each with ``repair`` ``None``: the run repaired them."""
    left = {(d.resource, d.kind) for d in after}
    return [Drift(d.resource, d.what, None, d.kind) for d in introduced if (d.resource, d.kind) not in left]


def introduced_by(before: list[Drift], after: list[Drift]) -> list[Drift]:
    """The drifts of ``after`` that ``before`` did not have (what the console made)."""
    had = {(d.resource, d.kind) for d in before}
    return [d for d in after if (d.resource, d.kind) not in had]
