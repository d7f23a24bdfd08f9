"""Admin Console actions (the console file, :mod:`ownscim_infra.config.console`) applied to the
emulated org between two ``pulumi up``, through the org's admin methods
(:class:`~.okta_org.OktaOrg`, "An admin's changes") and its Management API calls, as the
console makes them:

- ``set-regions`` of a group: the group assignment's profile is edited in place (``PUT
  /api/v1/apps/{appId}/groups/{groupId}``, its priority kept); of a person: their direct
  assignment's profile (``POST /api/v1/apps/{appId}/users/{userId}``). Okta's provisioning
  then sees a profile change, and with Update User Attributes off (Own's setup page: "Update
  User Attributes is unsupported"; ``USER_PROVISIONING`` ``profile`` DISABLED) pushes nothing:
  Own keeps the old regions (``not pushed``, :mod:`.okta_provisioning`).
- ``unassign`` a group (its members without another assignment are deactivated in Own) or a
  person (:meth:`~.okta_org.OktaOrg.remove_direct_assignment`: a member of an assigned group
  keeps the app through it, scope ``GROUP``).
- ``add-member`` / ``remove-member``: the directory's memberships change (and so does the
  directory the next run ends with: the program does not manage them); Okta provisions or
  deactivates the member as for any membership change. A member a group rule manages, removed
  so, is added to that rule's exclusions (:meth:`~.okta_org.OktaOrg.exclude_removed_member`:
  Okta's help, "Manual group user management"), so the rule does not put them back.
- ``rename-group``: ``PUT /api/v1/groups/{groupId}`` (names are unique: E0000001).
- ``deactivate-rule``: Directory > Groups > Rules > the rule that assigns users to the group >
  Deactivate: ``INACTIVE``; the members it added stay (Okta's knowledge base, "What happens if
  group rules are deactivated and deleted") and it adds no one
  (:meth:`~.okta_org.OktaOrg.deactivate_rule_by_hand`).
- ``edit-rule``: Deactivate, Edit (the expression), Activate: Okta evaluates the new expression
  at once (:meth:`~.okta_org.OktaOrg.edit_rule_by_hand`): who it now matches joins the group,
  who it managed and no longer matches leaves it (Own's regions follow).
  Only ``pulumi up --refresh`` puts either back (the rule's Read records ``status`` and the
  expression); a plain ``pulumi up`` sees nothing. Both are the finding ``rule-changed-by-hand``
  (:func:`rule_changed_findings`), never safe.
- ``rename-app``: Applications > the app > General > Edit, Application label (labels need not
  be unique); Okta's provisioning does not change. Only ``pulumi up --refresh`` puts the
  config's label back (the app's Read: :class:`~.provider.AutoLoginModel`).
- ``deactivate-app``: Applications > the app > Deactivate (``POST .../lifecycle/deactivate``):
  ``INACTIVE``, Okta provisions nothing while it is (chosen, to check on a real org:
  :meth:`~.okta_org.OktaOrg.set_app_status`); the finding ``app-deactivated``
  (:func:`app_deactivated_finding`). Only ``pulumi up --refresh`` activates it again.
- ``delete-app``: Deactivate, then Delete: every assignment goes with the app.

The actions are applied one at a time, in the file's order (the order the admins acted), and
Okta's provisioning reacts to each before the next (:func:`apply_console`'s ``after``): a
``remove-member`` then an ``add-member`` of one person deactivates them in Own (Own removes
them), then creates them anew.

An action the org cannot take (a group it does not have, a person with no direct assignment)
is a :class:`~ownscim_infra.config.ConfigError` naming the file and the action's key path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ownscim_infra.config import ConfigError, ConfigIssue
from ownscim_infra.config.console import ConsoleAction
from ownscim_infra.config.directory import Directory
from ownscim_infra.config.yaml_reader import Positions
from ownscim_infra.domain import repairs
from ownscim_infra.domain.findings import Code, Finding
from ownscim_infra.domain.own_setup import REGIONS_ATTRIBUTE, okta_fold
from ownscim_infra.domain.repairs import REFRESH
from ownscim_infra.offline.okta_org import OktaApiError, OktaOrg


class _Refused(Exception):
    """An action the org cannot take: ``key`` (of the action) and why."""

    def __init__(self, key: str, value: Any, message: str) -> None:
        super().__init__(message)
        self.key, self.value, self.message = key, value, message


def apply_console(
    org: OktaOrg,
    app_id: str | None,
    actions: Sequence[ConsoleAction],
    file: str | Path,
    positions: Positions | None = None,
    *,
    after: Callable[[], None] | None = None,
) -> list[Finding]:
    """Apply ``actions`` in order to ``org`` (``app_id``: the app the state holds), calling
    ``after`` once each action is taken, before the next one (Okta's provisioning reacts to
    each admin action in turn: :meth:`.rollout.Rollout.react`); the memberships they change
    carry into the next run's directory through :func:`with_memberships`. Returns the
    findings the actions make: ``rule-changed-by-hand`` for each rule deactivated or edited
    (:func:`rule_changed_findings`).

    :raises ConfigError: an action the org cannot take, naming ``file``, the line and column
        (with the file's ``positions``) and ``[n].key``."""
    issues = []
    members_before: dict[int, set[str]] = {}
    for n, action in enumerate(actions):
        gid = org.find_group(action.group or "") if action.action in ("deactivate-rule", "edit-rule") else None
        if gid is not None:
            members_before[n] = {okta_fold(u.login) for u in org.members(gid)}
        try:
            _apply(org, app_id, action)
        except _Refused as refused:
            where = positions.of((n, refused.key)) if positions else None
            line, column = (where.line, where.column) if where else (None, None)
            issues.append(ConfigIssue(f"[{n}].{refused.key}", refused.value, refused.message, line, column))
        except OktaApiError as exc:
            where = positions.of((n,)) if positions else None
            line, column = (where.line, where.column) if where else (None, None)
            issues.append(ConfigIssue(f"[{n}]", action.render(), f"Okta refuses it: {exc}", line, column))
        else:
            if after is not None:
                after()
    if issues:
        raise ConfigError(file, issues)
    return rule_changed_findings(org, actions, members_before)


def _group_id(org: OktaOrg, name: str) -> str:
    found = org.find_group(name)
    if found is None:
        known = ", ".join(sorted(g.name for g in org.groups.values())) or "none"
        raise _Refused("group", name, f"no Okta group has this name after the previous run (groups: {known})")
    return found


def _app(org: OktaOrg, app_id: str | None) -> str:
    if app_id is None or app_id not in org.apps:
        raise _Refused(
            "action", "", "the app does not exist in Okta (the previous run did not create it, or it was deleted)"
        )
    return app_id


def _user_id(org: OktaOrg, login: str, key: str) -> str:
    found = org.find_user_id(login)
    if found is None:
        raise _Refused(key, login, "no Okta user has this login (the directory file lists Okta's users)")
    return found


def _app_action(org: OktaOrg, app_id: str | None, action: ConsoleAction) -> None:
    """``delete-app`` (Deactivate, then Delete), ``rename-app``, ``deactivate-app``."""
    app = _app(org, app_id)
    if action.action == "rename-app":
        org.edit_app(app, label=action.to or "")
        return
    if action.action == "deactivate-app" and org.apps[app].status != "ACTIVE":
        raise _Refused("action", action.action, f"the app is already {org.apps[app].status}")
    org.edit_app(app, status="INACTIVE")
    if action.action == "delete-app":
        org.delete_app(app)


def _apply(org: OktaOrg, app_id: str | None, action: ConsoleAction) -> None:
    if action.action in ("delete-app", "rename-app", "deactivate-app"):
        _app_action(org, app_id, action)
    elif action.action == "rename-group":
        gid = _group_id(org, action.group or "")
        try:
            org.update_group(gid, action.to or "", org.groups[gid].description)
        except OktaApiError as exc:
            raise _Refused("to", action.to, f"Okta refuses it (group names are unique): {exc}") from None
    elif action.action in ("add-member", "remove-member"):
        _membership(org, action)
    elif action.action in ("deactivate-rule", "edit-rule"):
        _rule_action(org, action)
    elif action.group is not None:
        app, gid = _app(org, app_id), _group_id(org, action.group)
        held = org.apps[app].group_assignments.get(gid)
        if held is None:
            raise _Refused("group", action.group, "the group is not assigned to the app")
        if action.action == "unassign":
            org.delete_group_assignment(app, gid)
        else:
            org.put_group_assignment(app, gid, None, {**held["profile"], REGIONS_ATTRIBUTE: action.regions})
    else:
        app, uid = _app(org, app_id), _user_id(org, action.person or "", "person")
        values = org.apps[app].users.get(uid)
        if values is None:
            raise _Refused("person", action.person, "the person has no direct assignment (Assignments > Person)")
        if action.action == "unassign":
            org.remove_direct_assignment(app, uid)
        else:
            org.assign_user(app, uid, {**values, REGIONS_ATTRIBUTE: action.regions})


def _rule_action(org: OktaOrg, action: ConsoleAction) -> None:
    """``deactivate-rule`` / ``edit-rule`` of the rule that assigns users to ``action.group``."""
    gid = _group_id(org, action.group or "")
    rule = org.rule_for_group(gid)
    if rule is None:
        ruled = sorted({org.groups[g].name for r in org.rules.values() for g in r.group_ids if g in org.groups})
        raise _Refused(
            "group",
            action.group,
            "no group rule assigns users to this group (groups a rule fills: " + (", ".join(ruled) or "none") + ")",
        )
    if action.action == "deactivate-rule":
        if rule.status != "ACTIVE":
            raise _Refused("action", action.action, f"group rule {rule.name!r} is already {rule.status}")
        org.deactivate_rule_by_hand(rule.id)
    else:
        org.edit_rule_by_hand(rule.id, action.expression or "")


def rule_changed_findings(
    org: OktaOrg, actions: Sequence[ConsoleAction], members_before: dict[int, set[str]]
) -> list[Finding]:
    """``rule-changed-by-hand``, one for each ``deactivate-rule`` / ``edit-rule`` of ``actions``
    (applied to ``org``): what the rule now holds and, for an edit, who joined or left the
    group (``members_before``: the action's index -> the logins in the group just before it,
    folded), whose Own regions followed. Never safe: the rule stays so until a ``pulumi up
    --refresh`` (:func:`~ownscim_infra.domain.repairs.rule_changed`), which puts the config's
    rule back and moves those people again."""
    found = []
    for n, action in enumerate(actions):
        if action.action not in ("deactivate-rule", "edit-rule"):
            continue
        gid = org.find_group(action.group or "")
        rule = org.rule_for_group(gid) if gid is not None else None
        if gid is None or rule is None:
            continue
        now = {okta_fold(u.login) for u in org.members(gid)}
        before = members_before.get(n, now)
        joined, left = sorted(now - before), sorted(before - now)
        if action.action == "deactivate-rule":
            what = (
                f"group rule {rule.name!r} was deactivated by hand in the Admin Console (--console): the members it "
                "added stay (Okta's knowledge base, What happens if group rules are deactivated and deleted), and "
                "it adds no one, so people who come to match it later do not reach Own"
            )
        else:
            moved = [f"{', '.join(joined)} joined the group"] if joined else []
            moved += [f"{', '.join(left)} left the group"] if left else []
            what = (
                f"group rule {rule.name!r} was edited by hand in the Admin Console (--console) to {rule.expression!r}: "
                "Okta evaluated it at once: "
                + ("; ".join(moved) + " (their regions in Own followed)" if moved else "nobody joined or left")
            )
        found.append(
            Finding(
                Code.RULE_CHANGED_BY_HAND,
                what,
                tuple(joined + left),
                (f"Repair: {repairs.rule_changed(rule.name)}.",),
            )
        )
    return found


def _membership(org: OktaOrg, action: ConsoleAction) -> None:
    gid = _group_id(org, action.group or "")
    uid = _user_id(org, action.login or "", "login")
    user = org.user(uid)
    assert user is not None
    member = org.is_member(user, gid)
    if member == (action.action == "add-member"):
        state = "already" if member else "not"
        raise _Refused("login", action.login, f"is {state} a member of group {org.groups[gid].name!r}")
    if action.action == "remove-member":
        org.exclude_removed_member(gid, uid)
    org.set_user_groups(uid, _groups_after(user.groups, action, org.groups[gid].names), group_id=gid)


def _groups_after(groups: list[str], action: ConsoleAction, names: list[str]) -> list[str]:
    """A user's group names after an ``add-member`` / ``remove-member`` of the group that has
    had ``names`` (its current name last)."""
    folded = {okta_fold(n) for n in names}
    kept = [g for g in groups if okta_fold(g) not in folded]
    return [*kept, names[-1]] if action.action == "add-member" else kept


def with_memberships(directory: Directory, org: OktaOrg, actions: Sequence[ConsoleAction]) -> Directory:
    """``directory`` (the next run's) with the memberships ``actions`` changed in ``org``: each
    user the console added to or removed from a group has the groups ``org`` holds for them
    now (the console's edit wins over the file for that user)."""
    logins = {okta_fold(a.login or "") for a in actions if a.action in ("add-member", "remove-member")}
    if not logins:
        return directory
    users = []
    for user in directory.users:
        now = org.user_by_login(user.login) if okta_fold(user.login) in logins else None
        users.append(user if now is None else user.model_copy(update={"groups": list(now.groups)}))
    return directory.model_copy(update={"users": users})


def app_deactivated_finding(label: str, logins: list[str]) -> Finding:
    """``app-deactivated``: the app deactivated by hand (``deactivate-app``), with the people
    who had it (``logins``, folded).

    Okta's help ("Deactivate app integrations", ``apps-deactivate.htm``): "Deactivating an app
    results in a reconciliation being performed for all users who were assigned to the app
    through group assignments. The reconciliation process removes the app assignment for the
    deactivated app"; the API reference (Deactivate an application) says the same. Whether Own
    then receives a SCIM deactivation for those users is not said, and an Okta support article
    ("Deprovisioning Behavior when an Application Is Inactive") says a user removed from an
    assigned group while the app is inactive is deprovisioned if the connection is still
    valid. The emulation sends nothing while the app is inactive (to check on a real org), so
    both outcomes are named; never safe."""
    count = f"{len(logins)} account(s)" + (f" ({', '.join(logins)})" if logins else "")
    return Finding(
        Code.APP_DEACTIVATED,
        f"the Okta app {label!r} was deactivated by hand in the Admin Console (--console): its status is INACTIVE "
        "until a `pulumi up --refresh` activates it again (a plain `pulumi up` reads nothing). Okta's docs say "
        "deactivating reconciles the users assigned through groups and removes their app assignment, not whether "
        f"Own then receives a SCIM deactivation: Own's {count} are either deactivated (Own removes them, with their "
        "roles and business units) or left active and not provisioned while the app is inactive. The emulation "
        "sends nothing: this report's Own is the second case",
        tuple(logins),
        (
            f"Repair: {REFRESH} (or Activate the app in the Admin Console), then check in Own's UI the people above "
            "and anyone assigned or unassigned while the app was inactive.",
        ),
    )
