"""Okta's provisioning: who has the app, and what Okta's SCIM client sends to Own for each.

Nothing here reads the YAML config: :meth:`OktaApp.from_org` reads the app as the emulated
org holds it after the emulated ``pulumi up`` (:mod:`ownscim_infra.offline.engine`) applied
the program's plan, so a bug in the program, or in how the provider and the engine apply it,
changes what is sent. The rules implemented, and their sources:

- **Which assignment applies** (Okta, "Assign an app integration to a group": group
  priority; "app user profile"): a direct (person) assignment's profile wins over every
  group's; among the user's assigned groups, the one with the highest priority (lowest
  number) supplies the profile; a user neither assigned nor in an assigned group is not
  provisioned. Two groups with the same priority are ambiguous (Okta's pick is undefined);
  :func:`resolve` takes the first and reports the tie.
- **Where the attribute goes** (Okta, "SCIM 2.0 protocol reference", custom attributes):
  ``externalNamespace`` ``urn:ietf:params:scim:schemas:core:2.0:User`` puts
  ``externalName`` at the top level; any other namespace puts it in an object keyed by the
  namespace, which is added to ``schemas``.
- **What Okta's SCIM client sends** (same reference, and Okta's SCIM 2.0 spec-test
  collection; the requests themselves: :mod:`.scim_client`): a user is looked up before it
  is created with ``POST /Users`` (Okta's full body, with a random ``password``); unassignment is the
  path-less ``PATCH {"op": "replace", "value": {"active": false}}``; re-assignment of a user
  Okta finds deactivated is the same PATCH with ``true``; a profile push (only with
  ``profile`` ENABLED) is ``GET /Users/{id}`` then ``PUT /Users/{id}`` with the whole user.
- **Not documented by Okta**, and chosen here: when a re-assigned user is found active,
  Okta links it without a request (plus the profile push when enabled); the re-assignment
  sends the new profile only through that push, never through the reactivation PATCH.

:class:`Provisioner` records what it does, as it does it, as typed events
(:class:`ProvisioningEvent`: provisioned, linked, reactivated, deactivated, pushed, skipped,
with the requests and why); the simulation's report folds them (:mod:`.report`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ownscim_infra.config.directory import Directory, DirectoryUser
from ownscim_infra.domain.own_setup import OWN_CAPABILITIES, REGIONS_ATTRIBUTE, okta_fold
from ownscim_infra.domain.setup_rules import AppSettings, AttributeSettings
from ownscim_infra.offline.okta_org import OktaOrg, OrgApp
from ownscim_infra.offline.scim_client import CORE_USER, Exchange, OktaScimClient

# --------------------------------------------------------------------------- the declared app


@dataclass(frozen=True)
class RegionsAttribute:
    """The declared app user schema property that carries ``regions``."""

    external_name: str
    external_namespace: str
    scope: str
    index: str = "regions"


@dataclass(frozen=True)
class Assignment:
    """One assignment of the app: a group (``group`` set, with ``priority`` as Okta holds it)
    or a person (``login`` set). ``profile`` is the app user profile it supplies; ``members``
    the folded logins of the group's members (``None``: read the directory's group names)."""

    resource: str
    profile: dict[str, Any]
    group: str | None = None
    priority: int | None = None
    login: str | None = None
    members: frozenset[str] | None = None


@dataclass(frozen=True)
class OktaApp:
    """The Okta app as the org holds it: provisioning capabilities (``source`` says where
    they were set), the ``regions`` attribute (``None``: none, nothing is sent), and every
    assignment."""

    capabilities: dict[str, str]
    capabilities_source: str
    attribute: RegionsAttribute | None
    assignments: tuple[Assignment, ...]

    @property
    def groups(self) -> list[Assignment]:
        """The group assignments, by priority."""
        return [a for a in self.assignments if a.group is not None]

    def settings(self) -> AppSettings:
        """The app's provisioning settings as the rules of Own's setup page read them
        (:mod:`ownscim_infra.domain.setup_rules`). The emulated org keeps no attribute
        ``type`` and no Push Groups, and folds ``USER_PROVISIONING``'s status into the
        capabilities (all DISABLED when it is off): those rules are not run."""
        attr = self.attribute
        return AppSettings(
            capabilities={name: self.capabilities.get(name, "DISABLED") for name in OWN_CAPABILITIES},
            source=self.capabilities_source,
            attribute=None
            if attr is None
            else AttributeSettings(attr.external_name, attr.external_namespace, attr.scope),
            group_priorities=tuple((a.group or "", a.priority or 0) for a in self.groups),
            assigned=bool(self.assignments),
            unread=frozenset({"type", "featureStatus", "pushGroups", "pushMappings"}),
        )

    def enabled(self, capability: str) -> bool:
        """Whether ``lifecycleCreate`` / ``lifecycleDeactivate`` / ``profile`` is ENABLED."""
        return self.capabilities.get(capability) == "ENABLED"

    @classmethod
    def from_org(cls, org: OktaOrg, app_id: str | None, *, assignments: bool = True) -> OktaApp:
        """The app ``app_id`` as ``org`` holds it (``None``, or gone: an app with nothing);
        ``assignments=False``: its settings only (what provisioning a user reads), no assignment.

        Capabilities count only while the app is ``ACTIVE`` and the provisioning connection
        ``ENABLED`` (Okta provisions nothing otherwise); then they are ``USER_PROVISIONING``'s as set, through
        the API or by hand.
        """
        app = org.apps.get(app_id or "")
        if app is None:
            return cls(dict.fromkeys(OWN_CAPABILITIES, "DISABLED"), "no app", None, ())
        by_hand = bool((app.connection or {}).get("byHand"))
        on = (app.connection or {}).get("status") == "ENABLED" and (by_hand or org.connection_api)
        if app.status != "ACTIVE":  # deactivated: nothing is provisioned (OktaOrg.set_app_status)
            capabilities = dict.fromkeys(OWN_CAPABILITIES, "DISABLED")
            source = f"provisioning is off: the app is {app.status}, deactivated in Okta: Activate it, or "
            source += "pulumi up --refresh"
        elif on and app.capabilities is not None:
            enabled = app.feature_status == "ENABLED"
            capabilities = {k: (v if enabled else "DISABLED") for k, v in app.capabilities.items()}
            source = "set by hand in the Admin Console" if by_hand else "USER_PROVISIONING set through Okta's API"
        else:
            capabilities = dict.fromkeys(OWN_CAPABILITIES, "DISABLED")
            source = f"provisioning is off: the connection is {org.connection_status(app.id)}"
        definition = app.schema.get(REGIONS_ATTRIBUTE)
        attribute = None
        if definition is not None:
            attribute = RegionsAttribute(
                external_name=definition.get("externalName") or definition.get("index", REGIONS_ATTRIBUTE),
                external_namespace=definition.get("externalNamespace", ""),
                scope=definition.get("scope", ""),
                index=definition.get("index", REGIONS_ATTRIBUTE),
            )
        if not assignments:
            return cls(capabilities, source, attribute, ())
        groups = _group_assignments(
            org, app, list(app.group_assignments), lambda gid: frozenset(okta_fold(u.login) for u in org.members(gid))
        )
        people = [
            Assignment(resource=f"user {user.login}", profile=dict(values), login=user.login)
            for uid, values in app.users.items()
            if (user := org.user(uid)) is not None
        ]
        return cls(capabilities, source, attribute, tuple([*groups, *people]))


def _group_assignments(
    org: OktaOrg,
    app: OrgApp,
    group_ids: list[str],
    members: Callable[[str], frozenset[str] | None] = lambda gid: None,
) -> list[Assignment]:
    """The app's assignments of the groups ``group_ids`` (those the org has), by priority then
    name, as Okta holds them; ``members`` gives each one's :attr:`Assignment.members`."""
    return sorted(
        (
            Assignment(
                resource=f"group {org.groups[gid].name}",
                profile=dict(held["profile"]),
                group=org.groups[gid].name,
                priority=held["priority"],
                members=members(gid),
            )
            for gid in group_ids
            if gid in org.groups and (held := app.group_assignments.get(gid)) is not None
        ),
        key=lambda a: (a.priority or 0, a.group or ""),
    )


# --------------------------------------------------------------------------- Okta's rules


@dataclass(frozen=True)
class ResolvedAssignment:
    """A user's app assignment as Okta resolves it: ``via`` is ``"direct"`` or
    ``"group NAME (priority N)"`` (for a reader; ``group`` names the group); ``profile`` the
    app user profile; ``tied_with`` the other groups that have the same priority (Okta's
    pick among them is undefined)."""

    login: str
    via: str
    profile: dict[str, Any]
    resource: str
    tied_with: tuple[str, ...] = ()
    #: the group it comes through (``None``: a direct assignment)
    group: str | None = None


def _applies(user: DirectoryUser, direct: Assignment | None, mine: list[Assignment]) -> ResolvedAssignment | None:
    """Okta's rule for one user: the ``direct`` assignment, else the highest priority of the
    user's group assignments ``mine`` (by priority, then name: the first of a tie is taken)."""
    if direct is not None:
        return ResolvedAssignment(user.login, "direct", direct.profile, direct.resource)
    if not mine:
        return None
    best = min(a.priority or 0 for a in mine)
    top = [a for a in mine if a.priority == best]
    chosen = top[0]
    return ResolvedAssignment(
        user.login,
        f"group {chosen.group} (priority {best})",
        chosen.profile,
        chosen.resource,
        tied_with=tuple(a.group or "" for a in top[1:]),
        group=chosen.group,
    )


def resolve(app: OktaApp, directory: Directory) -> dict[str, ResolvedAssignment]:
    """Each directory user's app assignment, by Okta's rules (see the module docstring).

    Returns ``{okta_fold(login): ResolvedAssignment}`` for assigned users only (logins compare as
    Okta compares them; ``ResolvedAssignment.login`` keeps the directory's spelling). Linear in
    the users, the groups and their members (a user's groups are found from the members, not
    by asking every group).
    """
    direct: dict[str, Assignment] = {}
    for a in app.assignments:
        if a.login:
            direct.setdefault(okta_fold(a.login), a)
    groups = app.groups
    by_member: dict[str, list[int]] = {}  # folded login -> the groups (by position) that list it
    by_name: dict[str, list[int]] = {}  # folded name -> the groups (by position) without a member list
    for position, a in enumerate(groups):
        if a.members is not None:
            for member in a.members:
                by_member.setdefault(member, []).append(position)
        else:
            by_name.setdefault(okta_fold(a.group or ""), []).append(position)
    result: dict[str, ResolvedAssignment] = {}
    for user in directory.users:
        key = okta_fold(user.login)
        mine: list[Assignment] = []
        if key not in direct:
            positions = set(by_member.get(key, ()))
            for name in user.groups if by_name else ():
                positions.update(by_name.get(okta_fold(name), ()))
            mine = [groups[p] for p in sorted(positions)]  # in priority order
        resolved = _applies(user, direct.get(key), mine)
        if resolved is not None:
            result[key] = resolved
    return result


def resolve_user(org: OktaOrg, app_id: str | None, user: DirectoryUser) -> ResolvedAssignment | None:
    """One user's assignment of the app ``app_id`` as ``org`` holds it now (``None``: not
    assigned): what :func:`resolve` gives for the user, read from the org directly, in time
    proportional to the user's groups (the incremental provisioning of :class:`~.rollout.Rollout`)."""
    app = org.apps.get(app_id or "")
    if app is None:
        return None
    values = app.users.get(user.okta_id)
    direct = None if values is None else Assignment(f"user {user.login}", dict(values), login=user.login)
    mine = [] if direct is not None else _group_assignments(org, app, org.group_ids_of(user))
    return _applies(user, direct, mine)


def create_body(user: DirectoryUser, profile: dict[str, Any], attribute: RegionsAttribute | None) -> dict[str, Any]:
    """Okta's ``POST /Users`` body for ``user`` with app user ``profile``.

    The ``regions`` value is placed by the attribute's ``externalNamespace``: top level for
    ``urn:ietf:params:scim:schemas:core:2.0:User``, else ``{namespace: {externalName: v}}``
    with the namespace added to ``schemas``. No attribute, or no value: nothing is sent.
    """
    body: dict[str, Any] = {
        "schemas": [CORE_USER],
        "userName": user.login,
        # a name Okta does not have is not sent (a profile whose firstName/lastName are optional)
        "name": {k: v for k, v in (("givenName", user.first_name), ("familyName", user.last_name)) if v},
        "emails": [{"primary": True, "value": user.primary_email, "type": "work"}],
        "displayName": " ".join(n for n in (user.first_name, user.last_name) if n) or user.login,
        "locale": "en-US",
        "externalId": user.okta_id,
        "groups": [],
        "password": secrets.token_urlsafe(12),
        "active": True,
    }
    value = profile.get(attribute.index) if attribute else None
    if attribute is not None and value not in (None, ""):
        if attribute.external_namespace == CORE_USER:
            body[attribute.external_name] = value
        else:
            body["schemas"].append(attribute.external_namespace)
            body.setdefault(attribute.external_namespace, {})[attribute.external_name] = value
    return body


def regions_sent(body: dict[str, Any] | None, attribute: RegionsAttribute | None) -> str | None:
    """The ``regions`` value a create body carries, wherever Okta placed it, or ``None``."""
    if body is None or attribute is None:
        return None
    if attribute.external_namespace == CORE_USER:
        return body.get(attribute.external_name)
    return (body.get(attribute.external_namespace) or {}).get(attribute.external_name)


# --------------------------------------------------------------------------- provisioning


class EventKind(StrEnum):
    """What Okta's provisioning did for one user (:class:`ProvisioningEvent`)."""

    #: not in Own: created (``POST /Users``; ``ok`` false when the receiver refused it)
    PROVISIONED = "provisioned"
    #: already in Own on assignment: linked without a create
    LINKED = "linked"
    #: found deactivated on assignment: reactivated (``PATCH active:true``)
    REACTIVATED = "reactivated"
    #: unassigned: deactivated (``PATCH active:false``), never deleted
    DEACTIVATED = "deactivated"
    #: the app user profile pushed (``GET`` then ``PUT /Users/{id}``; ``profile`` ENABLED)
    PUSHED = "pushed"
    #: Okta would have acted and did not: ``why`` says which setting stopped it
    SKIPPED = "skipped"
    #: the app user profile changed in place and was not pushed (Update User Attributes off, as Own requires)
    NOT_PUSHED = "not pushed"
    #: unassigned, or its profile changed, but Own has no such user: nothing to send
    NOT_IN_OWN = "not in Own"


@dataclass(frozen=True)
class ProvisioningEvent:
    """One thing Okta's provisioning did for ``login`` (as the directory spells it), in the
    order it did them: its ``kind``, the ``requests`` it sent for it, ``why`` (a skip's
    reason), ``regions`` (the ``regions`` value a create or a push carried; ``None``: none,
    Own's "all regions"), ``ok`` (the receiver accepted the request) and ``run`` (which
    ``pulumi up`` it followed, counted from 1 by :meth:`Provisioner.start_run`)."""

    kind: EventKind
    login: str
    requests: tuple[Exchange, ...] = ()
    why: str = ""
    regions: str | None = None
    ok: bool = True
    run: int = 0
    #: a deactivation's cause: what unassigned the user (the assignment or the group that went,
    #: and the step; :meth:`Provisioner.apply`'s ``cause``), ``""`` when not known
    cause: str = ""

    @property
    def key(self) -> str:
        """The login as Okta compares it (:func:`~ownscim_infra.domain.own_setup.okta_fold`)."""
        return okta_fold(self.login)


class Provisioner:
    """Okta's provisioning of one app, from one state of the app and directory to the next.

    :meth:`sync` brings Own from the app users of ``before`` to those of ``after``: a user
    who gains the app is provisioned, one who loses it is deactivated, one whose app
    profile changes gets a profile push (only if ``profile`` is ENABLED). What it does is
    recorded, as it does it, in :attr:`events`.
    """

    def __init__(self, client: OktaScimClient) -> None:
        self.client = client
        self.ids: dict[str, str] = {}  # folded login -> Own's id
        #: every event, in order
        self.events: list[ProvisioningEvent] = []
        self.run = 0
        self._mark = 0

    def _record(
        self, kind: EventKind, login: str, why: str = "", regions: str | None = None, ok: bool = True, cause: str = ""
    ) -> None:
        """Record an event with the requests sent since the last one."""
        sent = tuple(self.client.exchanges[self._mark :])
        self._mark = len(self.client.exchanges)
        self.events.append(ProvisioningEvent(kind, login, sent, why, regions, ok, self.run, cause))

    def _id(self, login: str) -> str | None:
        key = okta_fold(login)
        if key not in self.ids:
            found = self.client.find(login)
            if found:
                self.ids[key] = found["id"]
        return self.ids.get(key)

    def provision(self, app: OktaApp, user: DirectoryUser, app_user: ResolvedAssignment) -> None:
        """Okta assigns ``user``: look up, then create, or reactivate, and push the profile."""
        body = create_body(user, app_user.profile, app.attribute)
        found = self.client.find(user.login)
        if found is None:
            if not app.enabled("lifecycleCreate"):
                self._record(
                    EventKind.SKIPPED, user.login, "not created: Create Users (lifecycleCreate) is not enabled"
                )
                return
            created = self.client.create(user.login, body)
            if created:
                self.ids[okta_fold(user.login)] = created["id"]
            self._record(EventKind.PROVISIONED, user.login, regions=regions_sent(body, app.attribute), ok=bool(created))
            return
        self.ids[okta_fold(user.login)] = found["id"]
        self._record(EventKind.LINKED, user.login)
        if not found.get("active", True):
            if not app.enabled("lifecycleDeactivate"):
                why = "not reactivated: Deactivate Users (lifecycleDeactivate) is not enabled"
                self._record(EventKind.SKIPPED, user.login, why)
            else:
                self._record(
                    EventKind.REACTIVATED, user.login, ok=self.client.set_active(user.login, found["id"], True)
                )
        if app.enabled("profile"):
            ok = self.client.push_profile(user.login, found["id"], body)
            self._record(EventKind.PUSHED, user.login, regions=regions_sent(body, app.attribute), ok=ok)

    def deprovision(self, app: OktaApp, login: str, cause: str = "") -> None:
        """Okta unassigns ``login``: deactivate (never delete) if Deactivate Users is on;
        ``cause``: what unassigned them (recorded with the deactivation)."""
        if not app.enabled("lifecycleDeactivate"):
            self._record(
                EventKind.SKIPPED, login, "not deactivated: Deactivate Users (lifecycleDeactivate) is not enabled"
            )
            return
        user_id = self._id(login)
        if user_id is None:
            self._record(EventKind.NOT_IN_OWN, login)
            return
        ok = self.client.set_active(login, user_id, False)
        if ok:  # Okta's app user is gone: a re-assignment looks the user up again (Own may have removed it)
            self.ids.pop(okta_fold(login), None)
        self._record(EventKind.DEACTIVATED, login, ok=ok, cause=cause)

    def update(self, app: OktaApp, user: DirectoryUser, app_user: ResolvedAssignment) -> None:
        """The app user's profile changed in place: pushed only if ``profile`` is ENABLED."""
        if not app.enabled("profile"):
            self._record(
                EventKind.NOT_PUSHED,
                user.login,
                "Okta changed the user's app profile in place (the user kept the app) and pushed "
                "nothing: Update User Attributes is off, as Own requires, so Own keeps the "
                "regions it created the user with",
            )
            return
        user_id = self._id(user.login)
        if user_id is None:
            self._record(EventKind.NOT_IN_OWN, user.login)
            return
        body = create_body(user, app_user.profile, app.attribute)
        ok = self.client.push_profile(user.login, user_id, body)
        self._record(EventKind.PUSHED, user.login, regions=regions_sent(body, app.attribute), ok=ok)

    def start_run(self) -> None:
        """A new ``pulumi up`` starts: the events from now on carry the next :attr:`run`."""
        self.run += 1

    def sync(self, before: tuple[OktaApp, Directory] | None, after: tuple[OktaApp, Directory]) -> None:
        """Apply the change from ``before`` (``None``: nothing assigned yet) to ``after``."""
        app, directory = after
        old = resolve(*before) if before else {}
        new = resolve(app, directory)
        current = {okta_fold(u.login) for u in directory.users}
        self.apply(app, directory.users, old, new, [was for key, was in old.items() if key not in current])

    def apply(
        self,
        app: OktaApp,
        users: Iterable[DirectoryUser],
        old: Mapping[str, ResolvedAssignment],
        new: Mapping[str, ResolvedAssignment],
        gone: Iterable[ResolvedAssignment] = (),
        cause: Callable[[ResolvedAssignment], str] | None = None,
    ) -> None:
        """Provision the change of each of ``users`` from its assignment in ``old`` to the
        one in ``new`` (both keyed by folded login; absent: not assigned), in order, then
        deactivate ``gone`` (assigned users no longer in the directory). ``app`` gives the
        provisioning settings (its assignments are not read). ``cause`` names what unassigned a
        user from the assignment they had (recorded with the deactivation)."""
        for user in users:
            was, now = old.get(okta_fold(user.login)), new.get(okta_fold(user.login))
            if now and not was:
                self.provision(app, user, now)
            elif was and not now:
                self.deprovision(app, user.login, cause(was) if cause else "")
            elif was and now and was.profile != now.profile:
                self.update(app, user, now)
        for was in gone:
            self.deprovision(app, was.login, "the user is no longer in Okta's directory")
