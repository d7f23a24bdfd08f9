"""An emulated Okta org: the objects terraform-provider-okta reads and writes, as Okta keeps them.

:mod:`ownscim_infra.offline.provider` calls this class where the real provider calls Okta's
Management API; :mod:`ownscim_infra.offline.okta_provisioning` reads who has the app from it. Each
behaviour below is Okta's as documented or reported; the sources are named where they apply:

- **Group assignment priority** (``PUT /api/v1/apps/{appId}/groups/{groupId}``, Okta API
  reference, Application Groups): "If a priority value isn't specified, then the next highest
  priority is assigned by default". Read here as: an assignment that exists keeps its
  priority; a new one goes after every other (the largest priority + 1, 0 for the first).
  Two assignments may hold the same value (Okta has answered 500 for such apps:
  terraform-provider-okta #736); the emulation keeps both and reports the tie.
- **What Okta returns as a profile**: an app user's profile "with user profile mappings
  applied" (legacy Apps API reference, "Assign User to Application"): the mapped base
  attributes (``userName``, ``givenName``, ``familyName``, ``email``) beside the values set;
  a group assignment's profile holds every property a group may set (scope ``NONE``), ``null``
  when unset (terraform-provider-okta #669).
- **E0000046**: ``DELETE /api/v1/apps/{appId}/users/{userId}`` is refused while one of the
  user's groups is assigned to the app: "Deactivate application for user forbidden. ... The
  application cannot be unassigned from the user while their group memberships grant them
  access" (articulate/terraform-provider-okta #120).
- **Deleting the attribute** erases its value from every assignment (terraform-provider-okta
  #2593, #989, #492).
- **Deleting a group** deletes its memberships and its app assignments.
- **Group names are unique** (terraform-provider-okta ``data_source_okta_group.go``: "Okta API
  enforces unique names on all groups regardless of type"; PR #1794's review: "you can't use
  the API to create a new group if the name is taken"): ``POST /api/v1/groups`` and
  ``PUT /api/v1/groups/{groupId}`` with a name another group has (compared as Okta compares
  names) are refused with ``E0000001`` (HTTP 400, "API validation exception", Okta's error
  codes reference) and the cause Okta gives for a unique field already in use, "An object
  with this field already exists in the current organization" (the same cause Okta answers
  for a taken ``login`` and, in its OAuth client docs, a taken ``client_name``; the exact
  wording for a group's ``name`` is not published).
- **The Connections and Features APIs** serve a short list of catalog apps (Okta API
  reference; terraform-provider-okta #2565: "only supported with a limited subset of OIN
  applications"); on others the connection is ``UNKNOWN`` and reading a feature fails
  ("This request returns an error if provisioning isn't enabled for the app").

- **The app itself** (``GET`` / ``PUT /api/v1/apps/{appId}``, ``POST .../lifecycle/activate``,
  ``.../deactivate``): its label, status and settable parts (:attr:`OrgApp.body`); a ``PUT``
  replaces the label and every settable part (what it does not carry is the default again),
  never the status; an ``INACTIVE`` app provisions nothing (chosen: Okta's help says a
  deactivation reconciles the group-assigned users and removes their assignment, not what the
  app receives; to check on a real org).

- **Who has an app** (``GET /api/v1/apps/{appId}/users``): every user assigned directly
  (scope ``USER``, the values set) and every member of an assigned group (scope ``GROUP``, the
  profile of their group assignment with the highest priority, the lowest number: Okta API
  reference, Application Groups, ``priority``; the first by name of a tie).

An admin may change the org outside the program (the Admin Console, or the API by hand): the
methods under "An admin's changes" are those calls, each named after what the admin does,
so that a test can say "an admin dragged a priority" on the same model ``pulumi up`` uses.

Group membership comes from the directory file, by name: a user is in a group when one of
the names the directory lists for the user is the group's name, or a name it had before
that no group has now (a group renamed in place keeps its members; another group's members
never count as its own). A group the program creates is empty, as in Okta, until the run is over
(:meth:`OktaOrg.settle`: the admins add its members): a group deleted and created again
loses its members during the run, whatever the directory says of them afterwards.

**Members added and removed through the API** (terraform-provider-okta
``resource_okta_group_memberships.go``, ``addGroupMembers`` / ``removeGroupMembers``:
``PUT`` / ``DELETE /api/v1/groups/{groupId}/users/{userId}``) count over the directory's
listing: a user added is a member (of a group created during the run too), a user removed
is not, whatever the directory lists, until an admin's change (:meth:`OktaOrg.set_user_groups`).

**Group rules** (Okta API reference, Group Rules; terraform-provider-okta
``resource_okta_group_rule.go``): a rule is created ``INACTIVE`` and activated
(``POST /api/v1/groups/rules/{id}/lifecycle/activate``); only an inactive rule can be
updated. **Rule names are unique**: creating (or renaming) a rule with a name another rule has is
refused with ``E0000001`` "Policy rule name already in use" (okta/okta-sdk-java#645), so
``pulumi up --replace`` of a rule (create the new one, then delete the old one) fails at
the create. Okta evaluates an active rule **asynchronously** after activation and when a
profile changes: here, after the run (:meth:`OktaOrg.settle`, :meth:`OktaOrg.apply_rules`),
against each directory user's profile (:attr:`~ownscim_infra.config.directory.DirectoryUser.attributes`)
with :func:`ownscim_infra.domain.expression.evaluate`. A user it matches is a rule-managed
member (a member the directory lists who matches it too); a rule-managed member it no longer
matches leaves the group (chosen where the sources are silent: Okta's help says rules keep
group membership in line with the expression); a deactivated rule adds no one and removes
no one; ``DELETE /api/v1/groups/rules/{id}?removeUsers=true`` removes the members it
manages. A rule outside the evaluator's subset changes nobody here: the group keeps the
directory's members, and the plan and the review say that its members cannot be computed.

**A rule-managed member removed by hand is excluded from the rule** (Okta's help, "Manual
group user management", help.okta.com/en-us/Content/topics/users-groups-profiles/usgp-group-users-manually.htm:
"If a rule-managed user is manually removed from a group, the user is automatically added to
the rule's Except The following users field"; Okta's knowledge base, "User getting added in
group exclusion list by Okta System (SystemPrincipal)": the same whether removed in the Admin
Console or "by manual or automated group API", System Log event
``group.user_membership.rule.add_exclusion``, "If not excluded, the user would be added back to
the group the next time the group rule evaluates"). The exclusion is the rule's
``conditions.people.users.exclude`` (:attr:`OrgRule.excluded`); the rule's evaluation passes
over an excluded user. A member the rule removes itself (its profile no longer matches) is not
excluded (Okta's knowledge base, "How to add and remove users from groups using group rules and
exceptions").

**At most 100 excluded users a rule** (Okta's knowledge base, "Group Rule Restrictions",
support.okta.com/help/s/article/Group-Rule-Restrictions: "A single Group Rule can support up to
100 excluded users"; "Removing Users from Exception List in Group Rules": "a group rule may hit
the limit of users allowed in the exception list (100 users). Once the limit is reached, an
admin must manually remove the users from that list"). Okta documents neither the error nor what
becomes of a 101st rule-managed member removed by hand; chosen, to check on a real org: the
removal is refused, and so is a rule created or updated with more than 100, with ``E0000001``
(HTTP 400, Okta's code for a request that fails validation) naming
``conditions.people.users.exclude`` (:data:`MAX_RULE_EXCLUSIONS`, :meth:`OktaOrg._check_exclusions`).

**A rule deactivated or edited by hand** (the Admin Console: Directory > Groups > Rules):
deactivating keeps every member the rule added (Okta's knowledge base, "What happens if group
rules are deactivated and deleted",
support.okta.com/help/s/article/what-happens-if-group-rules-are-deactivated-and-deleted: "When
a group rule is disabled, users who were added to a group by that rule are not removed. Their
group membership remains, but the rule will no longer be applied to new users. If the rule is
reactivated, it will resume assigning new users"; "Removing Users from Exception List in Group
Rules": "existing rule-managed users will still retain their membership in the group"). An
edit is deactivate, edit, activate (Okta updates only inactive rules; the console's Edit is
offered on an inactive rule); Okta evaluates the activated rule at once
(:meth:`OktaOrg.deactivate_rule_by_hand`, :meth:`OktaOrg.edit_rule_by_hand`).

**A rule's exclusions on a real org** (``directory pull`` writes them under ``rules``,
:class:`~ownscim_infra.config.directory.DirectoryRule`): :meth:`OktaOrg.seed_rule_exclusions`
keeps them until the rule that assigns users to that group exists, then adds them to its
exclusions before it is evaluated (the org as it was before the run being reviewed).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ownscim_infra.config.directory import MAX_RULE_EXCLUSIONS, Directory, DirectoryUser
from ownscim_infra.domain import heap
from ownscim_infra.domain.expression import CannotEvaluate, evaluate, offline_rule
from ownscim_infra.domain.own_setup import okta_fold

#: Okta's cause for a unique field already in use (``E0000001``'s ``errorCauses``).
NAME_TAKEN = "An object with this field already exists in the current organization"

#: The settable parts of a new app's Application object when the create sends none of them
#: (an app made by hand, or by a test): Okta's values for an SWA app as terraform-provider-okta's
#: defaults give them (``credentials_scheme`` ``EDIT_USERNAME_AND_PASSWORD``,
#: ``user_name_template`` ``${source.login}`` ``BUILT_IN``); chosen where Okta's catalog
#: defaults for ``scim2headerauth`` are not published (to check on a real org).
NEW_APP_BODY: dict[str, Any] = {
    "settings": {"app": {}, "signOn": {"loginUrl": "", "redirectUrl": ""}, "notes": {}},
    "credentials": {
        "scheme": "EDIT_USERNAME_AND_PASSWORD",
        "revealPassword": False,
        "userName": "",
        "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN", "suffix": "", "pushStatus": ""},
    },
    "accessibility": {"selfService": False, "errorRedirectUrl": "", "loginRedirectUrl": ""},
    "visibility": {"autoSubmitToolbar": False, "hide": {"iOS": False, "web": False}},
}

#: The parts of an Application object a ``PUT /api/v1/apps/{appId}`` replaces.
APP_BODY_PARTS = ("settings", "credentials", "accessibility", "visibility")


def _body(application: dict[str, Any]) -> dict[str, Any]:
    """The settable parts (:data:`APP_BODY_PARTS`) of an Application object sent to Okta, over
    :data:`NEW_APP_BODY` (what it omits is Okta's default)."""
    sent = {part: copy.deepcopy(application.get(part) or {}) for part in APP_BODY_PARTS}
    return _merged(copy.deepcopy(NEW_APP_BODY), sent)


def _merged(into: dict[str, Any], edit: dict[str, Any]) -> dict[str, Any]:
    """``into`` with ``edit``'s values set, nested objects merged (an admin edits one field)."""
    out = dict(into)
    for key, value in edit.items():
        out[key] = _merged(out.get(key) or {}, value) if isinstance(value, dict) else value
    return out


class OktaApiError(Exception):
    """An error Okta answers: ``status`` (HTTP), ``code`` (``E0000046``...), ``summary``."""

    def __init__(self, status: int, code: str, summary: str, cause: str = "") -> None:
        self.status, self.code, self.summary, self.cause = status, code, summary, cause
        super().__init__(f"HTTP {status} {code}: {summary}" + (f" ({cause})" if cause else ""))


def _okta_id(prefix: str, seed: str) -> str:
    """A stable Okta-style id: ``prefix`` (``0oa`` app, ``00g`` group, ``00u`` user) + 17 hex."""
    return prefix + hashlib.sha256(seed.encode()).hexdigest()[:17]


@dataclass
class OrgGroup:
    """An Okta group: ``names`` are every name it has had, the current one last."""

    id: str
    names: list[str]
    description: str | None = None
    #: created during the current run: Okta creates a group empty; its members are added
    #: afterwards (:meth:`OktaOrg.settle`)
    pending: bool = False

    @property
    def name(self) -> str:
        """The group's current name."""
        return self.names[-1]


@dataclass
class OrgRule:
    """An Okta group rule (``GET /api/v1/groups/rules/{id}``): ``expression``
    (``urn:okta:expression:1.0``), the groups it assigns users to (``group_ids``), ``status``
    ``INACTIVE`` | ``ACTIVE``, the users it manages in each group (``managed``: group id
    -> user ids; removed on delete with ``removeUsers``) and the users it passes over
    (``excluded``: ``conditions.people.users.exclude``, user ids; Okta adds a rule-managed
    member removed by hand: :meth:`OktaOrg.exclude_removed_member`)."""

    id: str
    name: str
    expression: str
    group_ids: list[str]
    status: str = "INACTIVE"
    managed: dict[str, set[str]] = field(default_factory=dict)
    excluded: set[str] = field(default_factory=set)


@dataclass
class OrgApp:
    """An app instance and what hangs off it: the provisioning connection (``None`` until set),
    ``USER_PROVISIONING`` capabilities (``None`` until set), the custom user schema properties
    (``index`` -> definition), the group assignments (group id -> ``{"priority", "profile"}``)
    and the direct assignments (user id -> profile values set)."""

    id: str
    label: str
    catalog_name: str
    connection: dict[str, Any] | None = None
    capabilities: dict[str, str] | None = None
    feature_status: str | None = None
    schema: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_assignments: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``ACTIVE`` | ``INACTIVE`` (``POST .../lifecycle/deactivate``)
    status: str = "ACTIVE"
    #: the app's own features (``Application.features``): ``GROUP_PUSH`` once Push Groups is ticked
    features: list[str] = field(default_factory=list)
    #: group push mappings (``GET .../group-push/mappings``): ``{"id", "sourceGroupId",
    #: "targetGroupId", "status"}``
    push_mappings: list[dict[str, Any]] = field(default_factory=list)
    #: direct assignments Okta kept ``GROUP``-scoped (``OktaOrg(direct_scope="GROUP")``, #264):
    #: user id -> the values sent, which never apply
    kept_group_scoped: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the Application object's settable parts as Okta holds them (``settings``,
    #: ``credentials``, ``accessibility``, ``visibility``; :data:`NEW_APP_BODY` until a
    #: ``PUT`` or an admin's edit): what ``GET /api/v1/apps/{appId}`` answers beside the
    #: ``id``, ``name``, ``label`` and ``status``
    body: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(NEW_APP_BODY))

    def application(self) -> dict[str, Any]:
        """``GET /api/v1/apps/{appId}``: the Application object (an ``AUTO_LOGIN`` catalog app)."""
        return {
            "id": self.id,
            "name": self.catalog_name,
            "label": self.label,
            "status": self.status,
            "signOnMode": "AUTO_LOGIN",
            **copy.deepcopy(self.body),
        }


@dataclass(frozen=True)
class AppUser:
    """One user who has an app, as ``GET /api/v1/apps/{appId}/users`` lists it: ``scope``
    ``USER`` (assigned directly) or ``GROUP`` (through ``group_id``), and the app ``profile``
    Okta holds for them (the mapped base attributes, then the values set)."""

    user: DirectoryUser
    scope: str
    profile: dict[str, Any]
    group_id: str | None = None


@dataclass
class OrgChanges:
    """What changed in the org since the last :meth:`OktaOrg.take_changes`, as far as who has
    an app can change: the directory users whose Okta id is in ``user_ids`` (a direct
    assignment), the members of the groups any of whose names (folded) is in ``group_names``
    (a group, its members or its assignment), or ``everyone`` (another directory or other
    memberships, an app or an attribute deleted)."""

    everyone: bool = False
    user_ids: set[str] = field(default_factory=set)
    group_names: set[str] = field(default_factory=set)


@dataclass
class DirectoryIndex:
    """A directory's users by Okta id, by folded login and by the folded names of the groups
    they list, and each user's position (directory order). Never changed once built (a
    snapshot of the org shares it: ``simulate._Frozen``)."""

    by_id: dict[str, DirectoryUser]
    by_login: dict[str, DirectoryUser]
    by_group: dict[str, list[DirectoryUser]]
    position: dict[str, int]

    @classmethod
    def of(cls, directory: Directory) -> DirectoryIndex:
        """The index of ``directory`` (one pass over its users)."""
        by_group: dict[str, list[DirectoryUser]] = {}
        by_login: dict[str, DirectoryUser] = {}
        for user in directory.users:
            by_login.setdefault(okta_fold(user.login), user)
            for name in dict.fromkeys(okta_fold(g) for g in user.groups):
                by_group.setdefault(name, []).append(user)
        return cls(
            by_id={u.okta_id: u for u in reversed(directory.users)},  # the first of a login wins, as next() did
            by_login=by_login,
            by_group=by_group,
            position={okta_fold(u.login): i for i, u in reversed(list(enumerate(directory.users)))},
        )


class OktaOrg:
    """The org: users and groups from a directory file, the apps the program creates.

    :param directory: the Okta users and the names of their groups.
    :param connection_api: whether Okta manages this catalog app's provisioning connection
        through its API (``True``: the connection is ``ENABLED`` once set; ``False``: it stays
        ``UNKNOWN`` and reading ``USER_PROVISIONING`` fails, as Okta documents for apps outside
        its short list).
    :param group_properties: extra app user schema properties a group may set (scope
        ``NONE``), beside those the program declares; Okta returns them as ``null`` in every
        group assignment's profile (#669).
    :param direct_scope: what Okta makes of a direct assignment (``POST .../users``, which the
        provider sends without ``scope``: ``getAppUser``) of a user who already has the app
        through an assigned group: ``USER`` (the direct assignment and its values win, as the
        Admin Console's "overrides group" does; the default) or ``GROUP`` (the user stays
        group-scoped with the group's values, as articulate/terraform-provider-okta #264
        reports; the direct values are kept aside and never apply). Unverified: only a real org
        settles it, so ``simulate --direct-scope`` runs either.
    """

    def __init__(
        self,
        directory: Directory,
        *,
        connection_api: bool = True,
        group_properties: tuple[str, ...] = (),
        direct_scope: str = "USER",
    ) -> None:
        self.connection_api = connection_api
        self.direct_scope = direct_scope
        self.group_properties = group_properties
        self.apps: dict[str, OrgApp] = {}
        self.groups: dict[str, OrgGroup] = {}
        self.directory = directory
        #: whose memberships count: the directory's, or an earlier one's while a run is on
        self._memberships = directory
        self._counter = 0
        self._indexes: list[tuple[Directory, DirectoryIndex]] = []
        self._changes = OrgChanges()
        #: folded name -> the ids of the groups that have had it (None: to build again)
        self._group_ids_by_name: dict[str, list[str]] | None = None
        self._group_positions: dict[str, int] = {}
        #: group id -> the user ids added (``True``) or removed (``False``) through the API
        #: (a group's memberships, a rule): over the directory's listing
        self._api_members: dict[str, dict[str, bool]] = {}
        self.rules: dict[str, OrgRule] = {}
        #: folded group name -> the logins the org's rule for that group excludes, until the
        #: rule exists (:meth:`seed_rule_exclusions`)
        self._seeded_exclusions: dict[str, list[str]] = {}

    # -- the directory -------------------------------------------------------

    def set_directory(self, directory: Directory, *, memberships: bool = True) -> None:
        """The users (and, with ``memberships``, their group memberships) from now on: a
        later directory file. Without ``memberships`` the users are there (``pulumi up`` can
        look them up) but keep the groups they had, until :meth:`set_directory` again. The
        directory the org already has (the same object: a review's BASE and NEW share one)
        changes nothing."""
        if directory is self.directory and (not memberships or directory is self._memberships):
            return
        self.directory = directory
        if memberships:
            self._memberships = directory
        self._changes.everyone = True

    def settle(self) -> None:
        """After a run: the admins add the directory's members to the groups the run created,
        and Okta evaluates its active group rules (asynchronously: :meth:`apply_rules`)."""
        for group in self.groups.values():
            if group.pending:
                self._changes.group_names.update(okta_fold(n) for n in group.names)
            group.pending = False
        self.apply_rules()

    def seed_groups(self, names: list[str]) -> None:
        """Groups that exist before the program runs (looked up by name), unless one has the name."""
        for name in names:
            if self.find_group(name) is None:
                self.groups[_okta_id("00g", "existing:" + okta_fold(name))] = OrgGroup(
                    _okta_id("00g", "existing:" + okta_fold(name)), [name]
                )
                self._changed_group(name)

    def seed_rule_exclusions(self, directory: Directory) -> None:
        """The exclusions the org's group rules hold before the program runs, as ``directory
        pull`` read them (``directory.rules``: group name -> the excluded logins): each is
        added to the exclusions of the rule that assigns users to that group once it exists,
        before Okta evaluates it (:meth:`apply_rules`), so that the emulated org leaves those
        people out as the real one does. A login the directory has no user for is skipped (the
        directory's validation refuses it)."""
        for name, rule in directory.rules.items():
            self._seeded_exclusions.setdefault(okta_fold(name), []).extend(rule.excluded)

    def _apply_seeded_exclusions(self) -> None:
        """:meth:`seed_rule_exclusions`'s logins into the rules that now exist, each seed once."""
        if not self._seeded_exclusions:
            return
        for rule in self.rules.values():
            for group_id in rule.group_ids:
                group = self.groups.get(group_id)
                logins = self._seeded_exclusions.pop(okta_fold(group.name), None) if group else None
                for login in logins or ():
                    if (user_id := self.find_user_id(login)) is not None:
                        rule.excluded.add(user_id)

    def take_changes(self) -> OrgChanges:
        """What changed since the last call (:class:`OrgChanges`), and start anew: what
        Okta's provisioning must look at again (:class:`~.rollout.Rollout`)."""
        changes, self._changes = self._changes, OrgChanges()
        return changes

    def _changed_group(self, *names: str) -> None:
        self._changes.group_names.update(okta_fold(n) for n in names)
        self._group_ids_by_name = None

    def _index(self, directory: Directory) -> DirectoryIndex:
        """The index of ``directory`` (this org's directory, or the one whose memberships
        count), built once a directory."""
        for indexed, index in self._indexes:
            if indexed is directory:
                return index
        with heap.bulk():
            index = DirectoryIndex.of(directory)
        in_use = [(d, i) for d, i in self._indexes if d is self.directory or d is self._memberships]
        self._indexes = [*in_use, (directory, index)]
        return index

    def _listed(self, user: DirectoryUser) -> DirectoryUser | None:
        """The user's entry in the directory whose memberships count."""
        if self._memberships is self.directory:
            return user
        return self._index(self._memberships).by_login.get(okta_fold(user.login))

    def user(self, user_id: str) -> DirectoryUser | None:
        """The directory user with this Okta id."""
        return self._index(self.directory).by_id.get(user_id)

    def user_by_login(self, login: str) -> DirectoryUser | None:
        """The directory user with this login (compared as Okta compares logins)."""
        return self._index(self.directory).by_login.get(okta_fold(login))

    def position(self, login: str) -> int:
        """The user's position in the directory (``-1``: not in it)."""
        return self._index(self.directory).position.get(okta_fold(login), -1)

    def users_in_groups(self, names: set[str], *, by_api: bool = True) -> list[DirectoryUser]:
        """The directory users whose memberships list any of the group ``names`` (folded), and
        (``by_api``) those added through the API to a group with one of those names, in
        directory order (whether those groups have their members yet: :meth:`is_member`)."""
        index, listing = self._index(self.directory), self._index(self._memberships)
        found = {
            key: index.by_login[key]
            for name in names
            for u in listing.by_group.get(name, [])
            if (key := okta_fold(u.login)) in index.by_login
        }
        for gid, members in self._api_members.items() if by_api else ():
            group = self.groups.get(gid)
            if group is None or not names & {okta_fold(n) for n in group.names}:
                continue
            for uid, member in members.items():
                user = index.by_id.get(uid)
                if member and user is not None:
                    found[okta_fold(user.login)] = user
        return sorted(found.values(), key=lambda u: index.position[okta_fold(u.login)])

    def group_ids_of(self, user: DirectoryUser) -> list[str]:
        """The ids of the groups ``user`` is in (:meth:`is_member`), in the org's group order."""
        if self._group_ids_by_name is None:
            self._group_ids_by_name = {}
            self._group_positions = {gid: n for n, gid in enumerate(self.groups)}
            current = {okta_fold(g.name) for g in self.groups.values()}
            for group in self.groups.values():
                for name in dict.fromkeys(okta_fold(n) for n in group.names):
                    if name == okta_fold(group.name) or name not in current:
                        self._group_ids_by_name.setdefault(name, []).append(group.id)
        listed = self._listed(user)
        names = [okta_fold(g) for g in listed.groups] if listed is not None else []
        ids = {gid for name in names for gid in self._group_ids_by_name.get(name, []) if not self.groups[gid].pending}
        for gid, by_api in self._api_members.items():
            if user.okta_id in by_api and gid in self.groups:
                (ids.add if by_api[user.okta_id] else ids.discard)(gid)
        return sorted(ids, key=self._group_positions.__getitem__)

    def is_member(self, user: DirectoryUser, group_id: str) -> bool:
        """Whether ``user`` is in the group: one of the names the directory lists for the user
        is a name the group has had (compared as Okta compares names)."""
        group = self.groups.get(group_id)
        by_api = self._api_members.get(group_id, {}).get(user.okta_id)
        if group is None or by_api is not None:
            return group is not None and bool(by_api)
        if group.pending:
            return False
        listed = self._listed(user)
        names = self._names_of(group)
        return listed is not None and any(okta_fold(g) in names for g in listed.groups)

    def _names_of(self, group: OrgGroup) -> set[str]:
        """The folded names that make a directory user a member of ``group``: its name, and
        each name it had before that no other group has now."""
        others = {okta_fold(g.name) for g in self.groups.values() if g.id != group.id}
        return {okta_fold(group.name)} | {okta_fold(n) for n in group.names if okta_fold(n) not in others}

    def members(self, group_id: str) -> list[DirectoryUser]:
        """The directory users in the group (:meth:`is_member`), in directory order."""
        group = self.groups.get(group_id)
        if group is None:
            return []
        listed = [] if group.pending else self.users_in_groups(self._names_of(group), by_api=False)
        by_api = self._api_members.get(group_id, {})
        index = self._index(self.directory)
        added = [u for uid, member in by_api.items() if member and (u := index.by_id.get(uid)) is not None]
        found = {okta_fold(u.login): u for u in [*listed, *added] if by_api.get(u.okta_id, True)}
        return sorted(found.values(), key=lambda u: index.position[okta_fold(u.login)])

    # -- lookups (data sources) ------------------------------------------------

    def find_user(self, login: str) -> str:
        """``GET /api/v1/users?search=profile.login eq "..."``: the user's id.

        :raises OktaApiError: no such user (the provider's ``okta_user`` fails with "no users
            found using search criteria").
        """
        found = self.find_user_id(login)
        if found is None:
            raise OktaApiError(404, "E0000007", f"no users found using search criteria: profile.login eq {login!r}")
        return found

    def find_user_id(self, login: str) -> str | None:
        """The id of the user with ``login`` (case-insensitive), or ``None``."""
        user = self.user_by_login(login)
        return user.okta_id if user else None

    def find_group(self, name: str) -> str | None:
        """The id of the group whose current name is ``name`` (case-insensitive), or ``None``."""
        folded = okta_fold(name)
        return next((g.id for g in self.groups.values() if okta_fold(g.name) == folded), None)

    def lookup_group(self, name: str) -> str:
        """``okta_group`` data source by name. :raises OktaApiError: no such group."""
        found = self.find_group(name)
        if found is None:
            raise OktaApiError(404, "E0000007", f"group with name {name!r} does not exist")
        return found

    # -- apps ------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        self._counter += 1
        return _okta_id(prefix, f"new:{self._counter}")

    def create_app(
        self, label: str, catalog_name: str, body: dict[str, Any] | None = None, *, activate: bool = True
    ) -> str:
        """``POST /api/v1/apps?activate=...`` of a catalog app (``body``: the Application
        object's settable parts, :data:`APP_BODY_PARTS`; ``None``: :data:`NEW_APP_BODY`);
        ``ACTIVE`` or, with ``activate=False``, ``INACTIVE``. Returns its id."""
        app_id = self._new_id("0oa")
        self.apps[app_id] = OrgApp(app_id, label, catalog_name, status="ACTIVE" if activate else "INACTIVE")
        if body is not None:
            self.apps[app_id].body = _body(body)
        return app_id

    def get_app(self, app_id: str) -> dict[str, Any]:
        """``GET /api/v1/apps/{appId}``: the Application object (:meth:`OrgApp.application`).

        :raises OktaApiError: 404."""
        return self.app(app_id).application()

    def put_app(self, app_id: str, application: dict[str, Any]) -> None:
        """``PUT /api/v1/apps/{appId}`` (Okta API reference, "Replace an application": "Replaces
        properties for an application"; "You can't modify system-assigned properties, such as
        id, name, status ... The values for these properties in the PUT request body are
        ignored"): the ``label`` and the settable parts (:data:`APP_BODY_PARTS`) become what
        ``application`` holds; a field it does not carry is the default again
        (:data:`NEW_APP_BODY`, chosen), so a field an admin set is gone. The ``status`` is
        changed only by the lifecycle calls (:meth:`set_app_status`).

        :raises OktaApiError: 404."""
        app = self.app(app_id)
        app.label = str(application.get("label", app.label))
        app.body = _body(application)

    def set_app_status(self, app_id: str, status: str) -> None:
        """``POST /api/v1/apps/{appId}/lifecycle/activate`` (``ACTIVE``) or ``.../deactivate``
        (``INACTIVE``). Okta provisions nothing for an ``INACTIVE`` app here
        (:meth:`~.okta_provisioning.OktaApp.from_org`): chosen, to check on a real org (Okta's
        help, "Deactivate app integrations", ``apps-deactivate.htm``: "Deactivating an app results
        in a reconciliation being performed for all users who were assigned to the app through
        group assignments. The reconciliation process removes the app assignment for the
        deactivated app"; whether Own then receives a SCIM deactivation is not said).

        :raises OktaApiError: 404."""
        app = self.app(app_id)
        if app.status != status:
            app.status = status
            self._changes.everyone = True

    def app(self, app_id: str) -> OrgApp:
        """The app. :raises OktaApiError: 404."""
        if app_id not in self.apps:
            raise OktaApiError(404, "E0000007", f"Not found: Resource not found: {app_id} (AppInstance)")
        return self.apps[app_id]

    def delete_app(self, app_id: str) -> None:
        """``DELETE /api/v1/apps/{appId}`` (after deactivation): every assignment goes with it.

        Okta documents the assignments ("Deactivate app integrations": deactivating an app
        reconciles the users assigned through groups, which "removes the app assignment"), not
        whether the app then receives a SCIM deactivation for each user. Chosen here: nothing
        is sent (Own's accounts stay active, no longer managed); the other outcome, every
        account deactivated, is named wherever a deletion is reported
        (:func:`~ownscim_infra.offline.rollout.app_deleted_finding`). To check on a real org."""
        self.apps.pop(app_id, None)
        self._changes.everyone = True

    def set_connection(self, app_id: str, base_url: str, activate: bool, auth_scheme: str = "TOKEN") -> str:
        """``POST /api/v1/apps/{appId}/connections/default?activate=...``; returns the status:
        ``ENABLED``/``DISABLED``, or ``UNKNOWN`` when Okta does not serve this app's connection
        (:meth:`connection_response` is the body Okta answers)."""
        status = ("ENABLED" if activate else "DISABLED") if self.connection_api else "UNKNOWN"
        self.app(app_id).connection = {"baseUrl": base_url, "status": status, "authScheme": auth_scheme}
        return status

    def connection_response(self, app_id: str) -> dict[str, str]:
        """The body Okta answers for the app's default connection (``POST`` and ``GET
        /api/v1/apps/{appId}/connections/default``, ``ProvisioningConnectionResponse``):
        ``{"baseUrl", "authScheme", "status"}``. For an app Okta does not serve through the
        Connections API: ``status`` and ``authScheme`` ``UNKNOWN`` (both enums' value for it,
        Okta API reference, Application Connections) and no ``baseUrl`` (the SDK's
        ``GetBaseUrl()`` gives ``""``): chosen, to check on a real org.

        :raises OktaApiError: 404, the app is gone."""
        connection = self.app(app_id).connection
        if connection is None or not self.connection_api:
            return {"baseUrl": "", "authScheme": "UNKNOWN", "status": "UNKNOWN"}
        return {
            "baseUrl": str(connection.get("baseUrl", "")),
            "authScheme": str(connection.get("authScheme", "TOKEN")),
            "status": str(connection["status"]),
        }

    def connection_status(self, app_id: str) -> str:
        """``GET /api/v1/apps/{appId}/connections/default``: ``status``."""
        connection = self.app(app_id).connection
        if connection is None or not self.connection_api:
            return "UNKNOWN"
        return str(connection["status"])

    def put_features(self, app_id: str, status: str | None, capabilities: dict[str, str]) -> str:
        """``PUT /api/v1/apps/{appId}/features/USER_PROVISIONING``: the capabilities as sent and,
        when given, the feature's ``status`` (``None``: not sent, as terraform-provider-okta's
        ``buildUpdateAppFeature`` never sends it: Okta keeps its own, ``ENABLED`` once
        provisioning is on). Returns the feature's status Okta answers.

        :raises OktaApiError: provisioning is not on (the connection is not ``ENABLED``):
            Okta documents that its Features API "returns an error if provisioning isn't
            enabled for the app" (chosen for the PUT as for the GET; to check on a real org)."""
        app = self.app(app_id)
        if self.connection_status(app_id) != "ENABLED":
            raise OktaApiError(400, "E0000001", "Api validation failed: provisioning is not enabled for this app")
        app.feature_status = status if status is not None else (app.feature_status or "ENABLED")
        app.capabilities = dict(capabilities)
        return app.feature_status

    def get_features(self, app_id: str) -> tuple[str, dict[str, str]]:
        """``GET .../features/USER_PROVISIONING``.

        :raises OktaApiError: provisioning is not on (the connection is not ``ENABLED``).
        """
        app = self.app(app_id)
        if self.connection_status(app_id) != "ENABLED" or app.capabilities is None:
            raise OktaApiError(400, "E0000001", "Api validation failed: provisioning is not enabled for this app")
        return str(app.feature_status), dict(app.capabilities)

    def set_up_by_hand(self, app_id: str, base_url: str, capabilities: dict[str, str]) -> None:
        """What an admin's Admin Console steps do (``provisioning: manual``): the connection is
        on and ``USER_PROVISIONING`` set, whether or not Okta serves them through its API."""
        app = self.app(app_id)
        app.connection = {"baseUrl": base_url, "status": "ENABLED", "byHand": True}
        app.feature_status, app.capabilities = "ENABLED", dict(capabilities)

    # -- the schema ----------------------------------------------------------------

    def put_schema_property(self, app_id: str, definition: dict[str, Any]) -> None:
        """``POST /api/v1/meta/schemas/apps/{appId}/default`` with one custom property."""
        self.app(app_id).schema[definition["index"]] = dict(definition)

    def delete_schema_property(self, app_id: str, index: str) -> None:
        """Remove the property: its value is erased from every assignment (#2593, #989)."""
        app = self.app(app_id)
        app.schema.pop(index, None)
        self._changes.everyone = True
        for assignment in app.group_assignments.values():
            assignment["profile"].pop(index, None)
        for profile in app.users.values():
            profile.pop(index, None)

    # -- groups ------------------------------------------------------------------------

    def _check_name_free(self, name: str, group_id: str | None = None) -> None:
        """Okta's unique group names (see the module docstring).

        :raises OktaApiError: ``E0000001``: another group than ``group_id`` has ``name``."""
        taken = self.find_group(name)
        if taken is not None and taken != group_id:
            raise OktaApiError(
                400,
                "E0000001",
                "Api validation failed: name",
                f"name: {NAME_TAKEN} (group {self.groups[taken].name!r} is {taken})",
            )

    def create_group(self, name: str, description: str | None) -> str:
        """``POST /api/v1/groups``; returns the new group's id (it has no members yet).

        :raises OktaApiError: ``E0000001``: a group has this name (names are unique)."""
        self._check_name_free(name)
        group_id = self._new_id("00g")
        self.groups[group_id] = OrgGroup(group_id, [name], description, pending=True)
        self._changed_group(name)
        return group_id

    def update_group(self, group_id: str, name: str, description: str | None) -> None:
        """``PUT /api/v1/groups/{groupId}``: renamed in place, members kept.

        :raises OktaApiError: ``E0000001``: another group has this name (names are unique)."""
        group = self.groups[group_id]
        self._check_name_free(name, group_id)
        if group.name != name:
            group.names.append(name)
            self._changed_group(*group.names)
        group.description = description

    def delete_group(self, group_id: str) -> None:
        """``DELETE /api/v1/groups/{groupId}``: its memberships and app assignments go with it."""
        group = self.groups.pop(group_id, None)
        if group is not None:
            self._changed_group(*group.names)
        self._changes.user_ids.update(self._api_members.pop(group_id, {}))
        for app in self.apps.values():
            app.group_assignments.pop(group_id, None)

    # -- members and rules ------------------------------------------------------------

    def _group(self, group_id: str) -> OrgGroup:
        """The group. :raises OktaApiError: 404."""
        if group_id not in self.groups:
            raise OktaApiError(404, "E0000007", f"Not found: Resource not found: {group_id} (UserGroup)")
        return self.groups[group_id]

    def _set_member(self, group_id: str, user_id: str, member: bool) -> None:
        self._api_members.setdefault(group_id, {})[user_id] = member
        self._changes.user_ids.add(user_id)

    def add_group_members(self, group_id: str, user_ids: list[str]) -> None:
        """``PUT /api/v1/groups/{groupId}/users/{userId}`` for each user (``addGroupMembers``,
        ``resource_okta_group_memberships.go``): members at once, of a group created during
        the run too.

        :raises OktaApiError: 404: no such group or user."""
        self._group(group_id)
        for user_id in user_ids:
            if self.user(user_id) is None:
                raise OktaApiError(404, "E0000007", f"Not found: Resource not found: {user_id} (User)")
            self._set_member(group_id, user_id, True)

    def remove_group_members(self, group_id: str, user_ids: list[str]) -> None:
        """``DELETE /api/v1/groups/{groupId}/users/{userId}`` for each user
        (``removeGroupMembers``); a group already gone is no error (the provider suppresses 404).
        A rule-managed member removed so is excluded from the rule, as by hand
        (:meth:`exclude_removed_member`)."""
        if group_id not in self.groups:
            return
        for user_id in user_ids:
            self._check_room_to_exclude(group_id, user_id)
            self._set_member(group_id, user_id, False)
            self.exclude_removed_member(group_id, user_id)

    def exclude_removed_member(self, group_id: str, user_id: str) -> list[str]:
        """Okta's reaction to a member removed from ``group_id`` outside a rule (the Admin
        Console's remove, or ``DELETE /api/v1/groups/{groupId}/users/{userId}``): every rule that
        manages the user in that group adds them to its exclusions (``conditions.people.users.exclude``)
        and no longer manages them (module docstring). Returns the ids of those rules."""
        self._check_room_to_exclude(group_id, user_id)
        excluded = []
        for rule in self.rules.values():
            managed = rule.managed.get(group_id, set())
            if user_id in managed:
                managed.discard(user_id)
                rule.excluded.add(user_id)
                excluded.append(rule.id)
        return excluded

    def _check_room_to_exclude(self, group_id: str, user_id: str) -> None:
        """:raises OktaApiError: a rule that manages ``user_id`` in ``group_id`` already
        excludes :data:`MAX_RULE_EXCLUSIONS` users, so removing them from the group (which adds
        them to its exclusions) is refused (module docstring: chosen, to check on a real org)."""
        for rule in self.rules.values():
            if user_id in rule.managed.get(group_id, set()) and user_id not in rule.excluded:
                self._check_exclusions(rule.name, len(rule.excluded) + 1)

    @staticmethod
    def _check_exclusions(rule_name: str, count: int) -> None:
        """:raises OktaApiError: ``E0000001`` when a rule would exclude more than
        :data:`MAX_RULE_EXCLUSIONS` users (Okta's limit; the code and wording are chosen, to
        check on a real org)."""
        if count > MAX_RULE_EXCLUSIONS:
            raise OktaApiError(
                400,
                "E0000001",
                "Api validation failed: conditions.people.users.exclude",
                f"group rule {rule_name!r} would exclude {count} users; Okta allows at most {MAX_RULE_EXCLUSIONS} "
                "(knowledge base, Group Rule Restrictions): remove users from its Except The following users first",
            )

    def group_member_ids(self, group_id: str) -> list[str]:
        """``GET /api/v1/groups/{groupId}/users`` (every page): the members' ids, in directory
        order (``ListGroupUsers``; a group that is gone has none: the provider suppresses 404)."""
        return [u.okta_id for u in self.members(group_id)]

    def _check_rule_name_free(self, name: str, rule_id: str | None = None) -> None:
        """Okta's unique group rule names: ``POST /api/v1/groups/rules`` with a name another
        rule has is refused with ``E0000001`` "Api validation failed: name - name: Policy rule
        name already in use" (okta/okta-sdk-java#645). Compared exactly: the sources do not say
        whether Okta folds case.

        :raises OktaApiError: ``E0000001``: another rule than ``rule_id`` has ``name``."""
        taken = next((r for r in self.rules.values() if r.name == name and r.id != rule_id), None)
        if taken is not None:
            raise OktaApiError(
                400,
                "E0000001",
                "Api validation failed: name",
                f"name: Policy rule name already in use (group rule {taken.name!r} is {taken.id})",
            )

    def create_group_rule(
        self, name: str, expression: str, group_ids: list[str], excluded: list[str] | None = None
    ) -> str:
        """``POST /api/v1/groups/rules``: the rule is created ``INACTIVE`` (``excluded``: its
        ``conditions.people.users.exclude``); returns its id.

        :raises OktaApiError: 404: a group of ``group_ids`` does not exist; ``E0000001``:
            another rule has ``name`` (:meth:`_check_rule_name_free`)."""
        for group_id in group_ids:
            self._group(group_id)
        self._check_rule_name_free(name)
        self._check_exclusions(name, len(set(excluded or ())))
        rule_id = self._new_id("0pr")
        self.rules[rule_id] = OrgRule(rule_id, name, expression, sorted(group_ids), excluded=set(excluded or ()))
        return rule_id

    def group_rule(self, rule_id: str) -> OrgRule:
        """``GET /api/v1/groups/rules/{id}``. :raises OktaApiError: 404."""
        if rule_id not in self.rules:
            raise OktaApiError(404, "E0000007", f"Not found: Resource not found: {rule_id} (GroupRule)")
        return self.rules[rule_id]

    def update_group_rule(self, rule_id: str, name: str, expression: str, excluded: list[str] | None = None) -> None:
        """``PUT /api/v1/groups/rules/{id}``: only an inactive rule can be updated (its
        ``actions`` not at all: ``group_assignments`` is ``ForceNew``); the body replaces the
        rule's exclusions with ``excluded`` (``None``: kept).

        :raises OktaApiError: the rule is active; another rule has ``name``; ``excluded`` holds
            more than :data:`MAX_RULE_EXCLUSIONS` users (:meth:`_check_exclusions`)."""
        rule = self.group_rule(rule_id)
        if rule.status == "ACTIVE":
            raise OktaApiError(400, "E0000001", "Api validation failed: an active group rule cannot be updated")
        self._check_rule_name_free(name, rule_id)
        if excluded is not None:
            self._check_exclusions(name, len(set(excluded)))
        rule.name, rule.expression = name, expression
        if excluded is not None:
            rule.excluded = set(excluded)

    def set_group_rule_status(self, rule_id: str, status: str) -> None:
        """``POST /api/v1/groups/rules/{id}/lifecycle/activate`` | ``.../deactivate``
        (``status`` ``ACTIVE`` | ``INACTIVE``). Okta applies an activated rule asynchronously
        (:meth:`apply_rules`, after the run); a deactivated one adds and removes no one."""
        self.group_rule(rule_id).status = status

    def delete_group_rule(self, rule_id: str, remove_users: bool) -> None:
        """``DELETE /api/v1/groups/rules/{id}?removeUsers=...``: with ``remove_users``, the
        members the rule manages leave its groups; without, they stay."""
        rule = self.rules.pop(rule_id, None)
        if rule is None or not remove_users:
            return
        for group_id, user_ids in rule.managed.items():
            self.remove_group_members(group_id, sorted(user_ids))

    def apply_rules(self) -> None:
        """Okta's asynchronous evaluation of every active rule against the directory users'
        profiles (see the module docstring); a rule outside the evaluator's subset, or that
        cannot be evaluated for a user, changes no one's membership."""
        self._apply_seeded_exclusions()
        for rule in self.rules.values():
            tree = offline_rule(rule.expression)
            if rule.status != "ACTIVE" or isinstance(tree, CannotEvaluate):
                continue
            for group_id in rule.group_ids:
                if group_id not in self.groups:
                    continue
                managed = rule.managed.setdefault(group_id, set())
                for user in self.directory.users:
                    if user.okta_id in rule.excluded:
                        continue  # "Except The following users": the rule passes over them
                    matched = evaluate(tree, user.attributes)
                    if matched is True:
                        managed.add(user.okta_id)
                        if not self.is_member(user, group_id):
                            self._set_member(group_id, user.okta_id, True)
                    elif matched is False and user.okta_id in managed:
                        managed.discard(user.okta_id)
                        self._set_member(group_id, user.okta_id, False)

    # -- assignments -----------------------------------------------------------------

    def put_group_assignment(
        self, app_id: str, group_id: str, priority: int | None, profile: dict[str, Any] | None
    ) -> None:
        """``PUT /api/v1/apps/{appId}/groups/{groupId}`` (create and update alike). ``priority``
        ``None``: not sent; an existing assignment keeps its priority, a new one gets "the next
        highest" (after every other)."""
        app = self.app(app_id)
        if group_id not in self.groups:
            raise OktaApiError(404, "E0000007", f"Not found: Resource not found: {group_id} (UserGroup)")
        current = app.group_assignments.get(group_id)
        if priority is None:
            if current is not None:
                priority = current["priority"]
            else:
                priority = max((a["priority"] for a in app.group_assignments.values()), default=-1) + 1
        values = dict(profile) if profile is not None else (current or {}).get("profile", {})
        app.group_assignments[group_id] = {"priority": priority, "profile": values}
        self._changed_group(*self.groups[group_id].names)

    def get_group_assignment(self, app_id: str, group_id: str) -> dict[str, Any]:
        """``GET /api/v1/apps/{appId}/groups/{groupId}``: ``priority`` and ``profile``, with every
        group-settable property (scope ``NONE``) present, ``null`` when unset (#669).

        :raises OktaApiError: 404.
        """
        assignment = self.app(app_id).group_assignments.get(group_id)
        if assignment is None:
            raise OktaApiError(
                404, "E0000007", f"Not found: Resource not found: {group_id} (ApplicationGroupAssignment)"
            )
        app = self.app(app_id)
        settable = [i for i, d in app.schema.items() if d.get("scope") == "NONE"] + list(self.group_properties)
        profile = {name: None for name in settable}
        profile.update(assignment["profile"])
        return {"priority": assignment["priority"], "profile": profile}

    def delete_group_assignment(self, app_id: str, group_id: str) -> None:
        """``DELETE /api/v1/apps/{appId}/groups/{groupId}``.

        :raises OktaApiError: 404 ``E0000007`` when the group is not assigned to the app (e.g.
            unassigned by hand): Okta's "Unassign an application group" answers 404 for an
            assignment it does not have, and ``resourceAppGroupAssignmentDelete``
            (``resource_okta_app_group_assignment.go``) returns every error ("failed to delete
            application group assignment"), so ``pulumi up`` fails at the step."""
        if group_id not in self.app(app_id).group_assignments:
            raise OktaApiError(
                404, "E0000007", f"Not found: Resource not found: {group_id} (ApplicationGroupAssignment)"
            )
        self.app(app_id).group_assignments.pop(group_id, None)
        if group_id in self.groups:
            self._changed_group(*self.groups[group_id].names)

    def assign_user(self, app_id: str, user_id: str, profile: dict[str, Any]) -> None:
        """``POST /api/v1/apps/{appId}/users`` (scope USER) or ``POST .../users/{userId}``
        (update): the values given are set."""
        user = self.user(user_id)
        if user is None:
            raise OktaApiError(404, "E0000007", f"Not found: Resource not found: {user_id} (User)")
        app = self.app(app_id)
        granted = any(self.is_member(user, g) for g in app.group_assignments)
        if self.direct_scope == "GROUP" and user_id not in app.users and granted:
            app.kept_group_scoped[user_id] = dict(profile)  # #264: the user stays GROUP-scoped
            return
        app.users[user_id] = dict(profile)
        self._changes.user_ids.add(user_id)

    def get_app_user(self, app_id: str, user_id: str) -> dict[str, Any]:
        """``GET /api/v1/apps/{appId}/users/{userId}``: the profile with the mapped base
        attributes applied (legacy Apps API reference), then the values set.

        :raises OktaApiError: 404.
        """
        values = self.app(app_id).users.get(user_id)
        user = self.user(user_id)
        if values is None and user is not None:  # a member of an assigned group: 200, scope GROUP
            held = next((a for a in self.app_users(app_id) if a.user.okta_id == user_id), None)
            if held is not None:
                return {"profile": held.profile, "userName": user.login, "scope": held.scope}
        if values is None or user is None:
            raise OktaApiError(404, "E0000007", f"Not found: Resource not found: {user_id} (AppUser)")
        mapped = {
            "userName": user.login,
            "givenName": user.first_name,
            "familyName": user.last_name,
            "email": user.primary_email,
        }
        return {"profile": mapped | values, "userName": user.login, "scope": "USER"}

    def unassign_user(self, app_id: str, user_id: str) -> None:
        """``DELETE /api/v1/apps/{appId}/users/{userId}``.

        :raises OktaApiError: E0000046 while one of the user's groups is assigned to the app
            (articulate/terraform-provider-okta #120); 404 ``E0000007`` when the user has no
            assignment at all (e.g. unassigned by hand): ``resourceAppUserDelete``
            (``resource_okta_app_user.go``) returns every error of ``DeleteApplicationUser``
            ("failed to delete application's user"), so ``pulumi up`` fails at the step.
        """
        app = self.app(app_id)
        user = self.user(user_id)
        granting = [self.groups[g].name for g in app.group_assignments if user and self.is_member(user, g)]
        if granting:
            raise OktaApiError(
                403,
                "E0000046",
                "Deactivate application for user forbidden.",
                "The application cannot be unassigned from the user while their group memberships grant them "
                f"access (groups: {', '.join(granting)})",
            )
        if user_id not in app.users and user_id not in app.kept_group_scoped:
            raise OktaApiError(404, "E0000007", f"Not found: Resource not found: {user_id} (AppUser)")
        app.users.pop(user_id, None)
        self._changes.user_ids.add(user_id)

    # -- who has an app ------------------------------------------------------------

    def app_users(self, app_id: str) -> list[AppUser]:
        """``GET /api/v1/apps/{appId}/users``: who has the app, in directory order: a direct
        assignment (``USER``), else the member's group assignment with the highest priority
        (``GROUP``; the lowest number, then the group's name). :raises OktaApiError: 404."""
        app = self.app(app_id)
        out = []
        for user in self.directory.users:
            mapped = self._mapped(user)
            if user.okta_id in app.users:
                out.append(AppUser(user, "USER", mapped | app.users[user.okta_id]))
                continue
            held = [
                (app.group_assignments[g]["priority"], self.groups[g].name, g)
                for g in self.group_ids_of(user)
                if g in app.group_assignments
            ]
            if held:
                _, _, group_id = min(held)
                profile = {k: v for k, v in app.group_assignments[group_id]["profile"].items() if v is not None}
                out.append(AppUser(user, "GROUP", mapped | profile, group_id))
        return out

    @staticmethod
    def _mapped(user: DirectoryUser) -> dict[str, Any]:
        """The base attributes Okta maps into every app user profile (legacy Apps API reference)."""
        return {
            "userName": user.login,
            "givenName": user.first_name,
            "familyName": user.last_name,
            "email": user.primary_email,
        }

    # -- an admin's changes (the Admin Console, or the API by hand) --------------------

    def edit_app(
        self,
        app_id: str,
        *,
        label: str | None = None,
        status: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Applications > the app > General > Edit (``label``; ``body``: other fields of the
        Application object, e.g. ``{"credentials": {"userNameTemplate": {"template": ...}}}``
        for Sign On > Application username format), or Deactivate / Activate (``status``
        ``INACTIVE`` | ``ACTIVE``, :meth:`set_app_status`)."""
        app = self.app(app_id)
        app.label = app.label if label is None else label
        if body is not None:
            app.body = _merged(app.body, copy.deepcopy(body))
        if status is not None:
            self.set_app_status(app_id, status)

    def set_capability(self, app_id: str, capability: str, status: str) -> None:
        """Provisioning > To App > Edit: one ``USER_PROVISIONING`` capability (``lifecycleCreate``,
        ``lifecycleDeactivate``, ``profile``, ``password``) ``ENABLED`` | ``DISABLED``.

        :raises OktaApiError: provisioning is not on."""
        status_now, capabilities = self.get_features(app_id)
        self.put_features(app_id, status_now, {**capabilities, capability: status})

    def disable_provisioning(self, app_id: str) -> None:
        """Provisioning > Integration > Edit, untick "Enable API integration": the connection
        is ``DISABLED`` and ``USER_PROVISIONING`` cannot be read any more."""
        app = self.app(app_id)
        app.connection = {**(app.connection or {}), "status": "DISABLED"}
        app.capabilities, app.feature_status = None, None
        self._changes.everyone = True

    def remove_direct_assignment(self, app_id: str, user_id: str) -> None:
        """Assignments > the person > Remove (the Admin Console): the direct assignment goes;
        a person in an assigned group keeps the app through it (scope ``GROUP``), where the
        API's ``DELETE`` is refused (E0000046). Chosen after issue 17's audit ("a direct
        assignment removed by hand from a group member still reads 200 (scope GROUP)"); to
        check on a real org."""
        self.app(app_id).users.pop(user_id, None)
        self._changes.user_ids.add(user_id)

    def enable_push_groups(self, app_id: str) -> None:
        """General > App Settings > Edit, tick Push Groups (``GROUP_PUSH`` in the app's features)."""
        app = self.app(app_id)
        if "GROUP_PUSH" not in app.features:
            app.features.append("GROUP_PUSH")

    def push_group(self, app_id: str, group_id: str) -> str:
        """Push Groups > + Push Groups > the group (Push Groups is ticked first); returns the
        mapping's id."""
        self.enable_push_groups(app_id)
        mapping_id = self._new_id("gPm")
        target = self._new_id("tgt")
        self.app(app_id).push_mappings.append(
            {"id": mapping_id, "sourceGroupId": group_id, "targetGroupId": target, "status": "ACTIVE"}
        )
        return mapping_id

    def add_group_by_hand(self, name: str, description: str | None = None) -> str:
        """Directory > Groups > Add group: its members (from the directory) are in it at once."""
        group_id = self.create_group(name, description)
        self.groups[group_id].pending = False
        return group_id

    def add_user(self, login: str, first_name: str, last_name: str, groups: list[str] | None = None) -> str:
        """Directory > People > Add person (in ``groups``); returns the user's id."""
        user = DirectoryUser(login=login, first_name=first_name, last_name=last_name, groups=list(groups or []))
        self.set_directory(self.directory.model_copy(update={"users": [*self.directory.users, user]}))
        return user.okta_id

    def set_user_groups(self, user_id: str, groups: list[str], *, group_id: str | None = None) -> None:
        """The user's groups (Directory > People > the user > Groups), by name: over what the
        API added or removed before, in every group, or (``group_id``: an admin adding or
        removing the user in one group) in that group only: the others' memberships stay."""
        for gid, members in self._api_members.items():
            if group_id is None or gid == group_id:
                members.pop(user_id, None)
        users = [
            u.model_copy(update={"groups": list(groups)}) if u.okta_id == user_id else u for u in self.directory.users
        ]
        self.set_directory(self.directory.model_copy(update={"users": users}))

    def delete_user(self, user_id: str) -> None:
        """Directory > People > the user > Deactivate, then Delete: their app assignments go too."""
        users = [u for u in self.directory.users if u.okta_id != user_id]
        self.set_directory(self.directory.model_copy(update={"users": users}))
        for app in self.apps.values():
            app.users.pop(user_id, None)

    def rule_for_group(self, group_id: str) -> OrgRule | None:
        """The group rule that assigns users to ``group_id`` (the first by id), or ``None``."""
        return next((r for _, r in sorted(self.rules.items()) if group_id in r.group_ids), None)

    def deactivate_rule_by_hand(self, rule_id: str) -> None:
        """Directory > Groups > Rules > the rule > Deactivate (``POST .../lifecycle/deactivate``):
        ``INACTIVE``; every member it added stays (module docstring: Okta's knowledge base), and
        it adds and removes no one until activated again."""
        self.set_group_rule_status(rule_id, "INACTIVE")

    def edit_rule_by_hand(self, rule_id: str, expression: str) -> None:
        """Directory > Groups > Rules > the rule > Deactivate, Edit (the expression), Activate:
        ``PUT /api/v1/groups/rules/{id}`` on the inactive rule (its name and exclusions kept),
        then activated; Okta evaluates it at once (:meth:`apply_rules`): the users it now
        matches join the group, the members it managed that it no longer matches leave it."""
        rule = self.group_rule(rule_id)
        self.set_group_rule_status(rule_id, "INACTIVE")
        self.update_group_rule(rule_id, rule.name, expression)
        self.set_group_rule_status(rule_id, "ACTIVE")
        self.apply_rules()

    # -- snapshots ------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of what the org holds (for before/after comparisons in tests)."""
        return json.loads(
            json.dumps(
                {
                    "groups": {g.id: g.names for g in self.groups.values()},
                    "apps": {a.id: copy.deepcopy(a.__dict__) for a in self.apps.values()},
                },
                sort_keys=True,
            )
        )
