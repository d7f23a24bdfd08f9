"""A ``pulumi up`` on an emulated org, and what Okta then provisions in Own, step by step.

:class:`Rollout` joins the three emulations: the engine and the provider apply the program's
plan to the org (:mod:`.engine`, :mod:`.provider`, :mod:`.okta_org`); after every step that
ran, Okta's provisioning (:class:`.okta_provisioning.Provisioner`) compares who has the app now
with who had it before the step and sends Own what Okta's SCIM client would. So a
delete-before-replace shows in Own as a deactivation followed by a new assignment, and a
priority Okta holds out of the config's order shows as users in the wrong regions.

Provisioning is incremental: after a step, only the users the step can have changed are
resolved again -- those whose direct assignment changed, the members of a group whose
assignment, name or existence changed, or everyone when the app, an attribute or the
directory changed (:meth:`.okta_org.OktaOrg.take_changes`; "everyone" means the users who
may have the app: assigned directly, in an assigned group, or resolved at the last sync) --
against the resolution kept from the last sync. The result is what resolving every user would give, in the same order
(the directory's), at a cost proportional to the users affected rather than to the directory.

It also names what went wrong on the way (:class:`~ownscim_infra.domain.findings.Finding`): a step Okta refused
(``assignment-blocked-by-group`` for E0000046, with the manual steps), a group deleted while
it had members, and group priorities that Okta holds in another order than the config's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ownscim_infra.config import OwnScimConfig
from ownscim_infra.config.directory import Directory, DirectoryUser
from ownscim_infra.domain.expression import CannotEvaluate, evaluate, offline_rule
from ownscim_infra.domain.findings import Code, Finding
from ownscim_infra.domain.own_setup import OWN_CAPABILITIES, okta_fold
from ownscim_infra.offline import provider
from ownscim_infra.offline.engine import (
    Engine,
    ResourceState,
    RunResult,
    assignments_held,
    conflict_groups,
    independent,
)
from ownscim_infra.offline.mocks import Registration
from ownscim_infra.offline.okta_org import OktaOrg
from ownscim_infra.offline.okta_provisioning import OktaApp, Provisioner, ResolvedAssignment, resolve, resolve_user
from ownscim_infra.offline.steps import Op, Status, Step

#: Okta's error code for a direct assignment it will not delete while a group grants the app.
ASSIGNMENT_GRANTED_BY_GROUP = "E0000046"

#: ``progress(phase, done, total)``: told how far a long phase is (for a terminal's progress bar).
Progress = Callable[[str, int, int], None]


#: The prefix of a group name in :func:`group_name_claims` (no folded login starts with it).
NAME_CLAIM = "\x00group name: "


def group_name_claims(result: RunResult, old: dict[str, ResourceState]) -> dict[str, set[str]]:
    """Step name -> the group names (folded, prefixed with :data:`NAME_CLAIM`) a group's step
    gives up or takes: a create takes its name, a rename (an update of ``name``) gives up the
    old one and takes the new one, a delete gives its name up. Okta's group names are unique
    (E0000001 on a create or a rename to a name in use: :meth:`.okta_org.OktaOrg.create_group`),
    so two such steps with a name in common and no dependency between them succeed in one
    order and fail in the other (the engine runs them in parallel): :func:`.engine.conflict_groups`
    joins them as it joins steps that touch a same user, and the review explores both orders."""
    found: dict[str, set[str]] = {}
    for step in result.steps:
        if step.type != provider.GROUP or step.op == Op.SAME:
            continue
        names = set()
        for state in (result.state.get(step.name), old.get(step.name)):
            if state is not None and state.inputs.get("name"):
                names.add(NAME_CLAIM + okta_fold(str(state.inputs["name"])))
        if names:
            found[step.name] = names
    return found


@dataclass
class RolloutRun:
    """One ``pulumi up``: the engine's result, and the findings of the run."""

    result: RunResult
    findings: list[Finding] = field(default_factory=list)
    #: step name -> the users (folded logins) whose app assignment the step can change
    #: (:meth:`Rollout.touches`)
    touches: dict[str, set[str]] = field(default_factory=dict)
    #: the sets of steps whose order Pulumi leaves open and that touch a same user
    #: (:func:`.engine.conflict_groups`): each in the order this run ran them
    conflicts: list[list[str]] = field(default_factory=list)
    #: whether Pulumi may run two of its steps in either order (:func:`.engine.independent`)
    independent: Callable[[str, str], bool] = field(default=lambda a, b: False)
    #: the sets of steps, each with a group rule's step, that Pulumi leaves in no defined order
    #: and that touch a same user through the rule (:meth:`Rollout.rule_touches`): Okta applies
    #: an activated rule right away and asynchronously, so the other steps may reach Okta before
    #: or after it; the emulation applies rules after the run and cannot tell the orders apart
    rule_timing: list[list[str]] = field(default_factory=list)


def blocked_steps(label: str, login: str, groups: list[str], removal: bool) -> tuple[str, ...]:
    """The manual procedure for a direct assignment Okta will not delete (E0000046)."""
    what = "remove the direct assignment" if removal else "move the person to other regions"
    return (
        f"Okta refuses to unassign {login} while these groups grant the app: {', '.join(groups)}. To {what}:",
        f"1. Okta Admin Console > Directory > Groups: remove {login} from {', '.join(groups)} for the time being.",
        "2. Run `pulumi up` again: the direct assignment is deleted (Okta deactivates the user in Own)"
        + ("" if removal else " and created again with the new regions")
        + ".",
        f"3. Add {login} back to the groups." + (" The person then has the app through the groups." if removal else ""),
        "4. In Own's UI, set the person's role and business unit again: Own removes a deactivated user, and "
        "Okta creates it anew, Read-only in the Default Business Unit.",
    )


def deactivation_cause(step: Step | None, was: ResolvedAssignment) -> str:
    """What unassigned a user who had the app through ``was`` when ``step`` ran (``None``: a
    change in Okta after the engine's steps, the admins' membership changes), for a reader:
    ``group assignment 'Own EMEA' was removed``, ``group 'Own US' was deleted``, ``the direct
    assignment was deleted to be replaced``, ``removed from group 'Own EMEA' (by
    own-scim-group-members-own-emea)``. Read from the step's resource type and operation and
    from the assignment the user had: nothing is derived again. The resource itself is in the
    review's resources, but for a membership change (which names its step)."""
    how = {Op.DELETE: "removed", Op.REPLACE: "deleted to be replaced"}.get(step.op) if step else None
    kind = step.type if step is not None and how else None
    if kind == provider.APP:
        return f"the app was {how}"
    if was.group is None:
        return f"the direct assignment was {how or 'removed'}"
    if kind == provider.GROUP_ASSIGNMENT:
        return f"group assignment {was.group!r} was {how}"
    if kind == provider.GROUP:
        return f"group {was.group!r} was deleted"
    return f"removed from group {was.group!r} " + (f"(by {step.name})" if step else "(a membership change in Okta)")


def app_deleted_finding(label: str, how: str, logins: list[str], resources: tuple[str, ...] = ()) -> Finding:
    """``app-deleted``: the app deleted in Okta (``how``: by the run, or by hand), with the
    people who had it (``logins``, folded).

    Okta documents what deleting an app does to its assignments, not what it sends to the
    app: "Deactivating an app results in a reconciliation being performed for all users who
    were assigned to the app through group assignments. The reconciliation process removes
    the app assignment" (Okta help, "Deactivate app integrations",
    ``apps-deactivate.htm``; an app is deactivated before it is deleted). Whether Own then
    receives a SCIM deactivation for each user is not documented, so both outcomes are named;
    the emulation sends nothing (:meth:`.okta_org.OktaOrg.delete_app`)."""
    count = f"{len(logins)} account(s)" + (f" ({', '.join(logins)})" if logins else "")
    return Finding(
        Code.APP_DELETED,
        f"the Okta app {label!r} is deleted: {how}. Okta removes every assignment with it (its docs: deactivating "
        "an app reconciles the users assigned through groups, which removes their assignment); whether Okta then "
        f"sends Own a SCIM deactivation is not documented. Own's {count} are either all deactivated (Own removes "
        "them, with their roles and business units) or left active and no longer managed by Okta (nobody is "
        "deprovisioned any more). The emulation sends nothing: this report's Own is the second case",
        tuple(logins),
        (
            "Before: save what is assigned (`pulumi stack output regionsByGroup`, `python -m ownscim_infra verify "
            "--format json`) and agree with Own's admins which outcome is acceptable.",
            "After: in Own's UI, check whether the users are deactivated or still active; a new app assigns them "
            "again by userName.",
        ),
        resources=resources,
    )


class Rollout:
    """Runs plans on :attr:`org` one after the other and provisions Own through ``provisioner``."""

    #: a full sync resolves every directory user (``False``: only those who may have the app,
    #: :meth:`_may_have_app`; the same provisioning)
    every_user: bool = False

    def __init__(self, org: OktaOrg, provisioner: Provisioner, *, progress: Progress | None = None) -> None:
        self.org = org
        self.provisioner = provisioner
        #: told how far each phase is (``None``: nobody); not part of a snapshot (simulate._Frozen)
        self.progress = progress
        self._phase, self._done, self._total = "", 0, 0
        self.engine = Engine(org, on_step=self._after_step)
        self._config: OwnScimConfig | None = None
        self._members_before: dict[str, list[str]] = {}
        self._ids_before: dict[str, str] = {}
        self._group_names_before: dict[str, str] = {}
        #: the last sync: each assigned user's assignment (folded login), the app and directory
        self._resolved: dict[str, ResolvedAssignment] = {}
        self._synced: tuple[str | None, Directory] | None = None
        self._app_name: str | None = None
        #: the engine's step whose provisioning runs (:meth:`_after_step`), else ``None``
        self._step: Step | None = None

    @property
    def app_id(self) -> str | None:
        """The Okta id of the app in the engine's state (``None`` before it is created)."""
        known = self.engine.resource(self._app_name or "")
        if known is None or known.type != provider.APP:  # the name is cached: this runs after every step
            known = next((s for s in self.engine.current.values() if s.type == provider.APP), None)
            self._app_name = known.name if known else None
        return known.id if known else None

    def app(self) -> OktaApp:
        """The app as the org holds it now."""
        return OktaApp.from_org(self.org, self.app_id)

    @property
    def assigned(self) -> dict[str, ResolvedAssignment]:
        """``{folded login: ResolvedAssignment}``: each user who has the app after the last
        sync, as Okta resolved it (what :func:`resolve` of the app and the org's directory gives)."""
        return dict(self._resolved)

    def users(self) -> dict[str, str]:
        """``{folded login: how the user has the app}``: who has the app now."""
        return {k: v.via for k, v in resolve(self.app(), self.org.directory).items()}

    def up(
        self,
        registrations: list[Registration],
        config: OwnScimConfig,
        *,
        phase: str = "pulumi up",
        directory_after: Directory | None = None,
        order: list[str] | None = None,
        refresh: bool = False,
        replace: Sequence[str] = (),
    ) -> RolloutRun:
        """``pulumi up`` of the program that made ``registrations`` for ``config``, then what
        the admins do in Okta after it: add the members of the groups it created, and, with
        ``directory_after``, change the memberships to that directory's. ``phase`` names the
        run for the progress reporter; ``order`` the parallel steps' order, ``refresh``
        (``pulumi up --refresh``) and ``replace`` (the ``--replace`` targets): :meth:`.Engine.up`."""
        self._config = config
        self._phase, self._done, self._total = phase, 0, len(registrations)
        self.provisioner.start_run()
        self._admin_steps()
        self._sync()
        # only a group the program manages can be deleted by a step (_groups_deleted): the members
        # of the others (Everyone: the whole directory) are not listed
        managed = {state.id for state in self.engine.state.values() if state.type == provider.GROUP}
        self._members_before = {
            gid: [u.login for u in self.org.members(gid)] for gid in self.org.groups if gid in managed
        }
        self._group_names_before = {gid: g.name for gid, g in self.org.groups.items()}
        self._ids_before = {name: state.id for name, state in self.engine.state.items()}
        had_app = {key: app_user.via for key, app_user in self._resolved.items()}  # synced just above
        old_states = dict(self.engine.state)
        if directory_after is not None:  # the users exist when pulumi up looks them up
            self.org.set_directory(directory_after, memberships=False)
        result = self.engine.up(registrations, order=order or (), refresh=refresh, replace=replace)
        run = RolloutRun(result)
        run.touches = self.touches(result, old_states)
        run.independent = independent(registrations, old_states)
        claims = group_name_claims(result, old_states)
        contended = {n: run.touches.get(n, set()) | claims.get(n, set()) for n in {*run.touches, *claims}}
        run.conflicts = conflict_groups(result.steps, contended, run.independent)
        by_rule = self.rule_touches(result, old_states)
        # Okta applies an activated rule asynchronously, right away: it races with the steps run
        # in no defined order with the rule's, and with those run after it too (a delete at the
        # end of the run), where the emulation applies it after every step (``a`` ran before ``b``)
        run.rule_timing = [
            g
            for g in conflict_groups(
                result.steps, run.touches | by_rule, lambda a, b: a in by_rule or run.independent(a, b)
            )
            if any(name in by_rule for name in g)
        ]
        run.findings += self._failed(result, registrations)
        run.findings += self._groups_deleted(result, had_app)
        run.findings += self._app_deleted(result, had_app)
        self.org.settle()
        if directory_after is not None:
            self.org.set_directory(directory_after)
        self._sync()
        run.findings += self._order(config)
        return run

    def react(self) -> None:
        """Okta's provisioning reacts to changes made outside ``pulumi up`` (an admin in the
        Admin Console: :mod:`.console`), as it does after each step."""
        self._sync()

    # -- provisioning after each step ----------------------------------------------

    def _after_step(self, step: Step) -> None:
        self._admin_steps()
        self._step = step
        try:
            self._sync()
        finally:
            self._step = None
        self._done += 1
        if self.progress is not None:
            self.progress(self._phase, self._done, max(self._total, self._done))

    def _admin_steps(self) -> None:
        """``provisioning: manual`` with ``manual_steps_done``: the admin has done the Admin
        Console steps (:data:`~ownscim_infra.domain.own_setup.MANUAL_STEPS`) once the app exists."""
        config, app = self._config, self.org.apps.get(self.app_id or "")
        if config is None or app is None or (app.connection or {}).get("byHand"):
            return
        if config.app.provisioning == "manual" and config.app.manual_steps_done:
            self.org.set_up_by_hand(app.id, config.app.scim_base_url, dict(OWN_CAPABILITIES))

    def _sync(self) -> None:
        """Okta provisions what changed in the org since the last sync (see the module docstring);
        the engine's step that just ran (``None`` for a change in Okta outside the engine's
        steps) is named as the cause of each deactivation (:func:`deactivation_cause`)."""
        step = self._step
        changes = self.org.take_changes()
        app_id, directory = self.app_id, self.org.directory
        full = self._synced is None or self._synced[0] != app_id or self._synced[1] is not directory or changes.everyone
        gone: list[ResolvedAssignment] = []
        if full and self.every_user:
            users = list(directory.users)
            before = self._synced[1].users if self._synced else []
            current = {okta_fold(u.login) for u in users}
            gone = [
                self._resolved[key]
                for key in (okta_fold(u.login) for u in before)
                if key in self._resolved and key not in current
            ]
        elif full:
            users = self._may_have_app(app_id)
            was_at = self._synced[1].positions if self._synced else {}
            gone = sorted(
                (was for key, was in self._resolved.items() if key not in directory.positions and key in was_at),
                key=lambda was: was_at[okta_fold(was.login)][0],
            )
        else:
            direct = [u for uid in sorted(changes.user_ids) if (u := self.org.user(uid)) is not None]
            users = sorted(
                {okta_fold(u.login): u for u in [*direct, *self.org.users_in_groups(changes.group_names)]}.values(),
                key=lambda u: self.org.position(u.login),
            )
        new = {okta_fold(u.login): r for u in users if (r := resolve_user(self.org, app_id, u)) is not None}
        self.provisioner.apply(
            OktaApp.from_org(self.org, app_id, assignments=False),
            users,
            self._resolved,
            new,
            gone,
            cause=lambda was: deactivation_cause(step, was),
        )
        for user in users:
            key = okta_fold(user.login)
            if key in new:
                self._resolved[key] = new[key]
            else:
                self._resolved.pop(key, None)
        for was in gone:
            self._resolved.pop(okta_fold(was.login), None)
        self._synced = (app_id, directory)

    def _may_have_app(self, app_id: str | None) -> list[DirectoryUser]:
        """The directory users who may have the app ``app_id`` or had it at the last sync, in
        directory order: those assigned directly, the members of its assigned groups, and those
        it had resolved. Every other user resolves to no assignment and had none: a full sync
        (a new directory, or a change that reaches everyone) costs the app's users, not the
        org's (:attr:`every_user`: all of them, the same result)."""
        org = self.org
        app = org.apps.get(app_id or "")
        found = [u for key in self._resolved if (u := org.user_by_login(key)) is not None]
        if app is not None:
            found += [u for uid in app.users if (u := org.user(uid)) is not None]
            found += [u for gid in app.group_assignments for u in org.members(gid)]
        unique = {okta_fold(u.login): u for u in found}
        return sorted(unique.values(), key=lambda u: org.position(u.login))

    def touches(self, result: RunResult, old: dict[str, ResourceState]) -> dict[str, set[str]]:
        """Step name -> the users (folded logins) whose app assignment the step can change,
        whatever the order: a direct assignment's user; the members of a group assignment's
        or a group's group during the run (a group the run creates is empty until after it;
        a deleted group's by the name it had); the users a group's memberships add or remove
        (a rule adds its members after the run: none). Other steps touch no one in particular (they
        are dependencies of every assignment, or change no assignment). Called right after the
        engine's run, before the admins add the new groups' members."""
        found: dict[str, set[str]] = {}
        for step in result.steps:
            state = result.state.get(step.name) or old.get(step.name)
            if step.op == Op.SAME or state is None:
                continue
            if step.type == provider.APP_USER:
                found[step.name] = {okta_fold(str(state.inputs.get("username", "")))}
            elif step.type in (provider.GROUP_ASSIGNMENT, provider.GROUP):
                gid = str(state.inputs.get("groupId", "")) if step.type == provider.GROUP_ASSIGNMENT else state.id
                if gid in self.org.groups:
                    members = self.org.members(gid)
                else:
                    members = self.org.users_in_groups({okta_fold(self._group_names_before.get(gid, ""))})
                found[step.name] = {okta_fold(u.login) for u in members}
            elif step.type == provider.GROUP_MEMBERSHIPS:  # the users it adds or removes
                was = old.get(step.name)
                ids = {str(i) for i in state.inputs.get("users") or ()}
                before = {str(i) for i in (was.inputs.get("users") or ())} if was is not None else set()
                changed = ids ^ before if step.op == Op.UPDATE else ids | before
                found[step.name] = {okta_fold(u.login) for i in changed if (u := self.org.user(i)) is not None}
        return found

    def rule_touches(self, result: RunResult, old: dict[str, ResourceState]) -> dict[str, set[str]]:
        """Group rule step name -> the users (folded logins) whose membership it changes: those
        the rule's expression before and after the step match differently (a created rule: all
        it matches; a deleted one: all it matched, when it removes its users), evaluated on the
        directory's profiles (:func:`~ownscim_infra.domain.expression.offline_rule`; one outside
        the subset touches no one known: ``rule-not-computed`` says so)."""

        def matches(state: ResourceState | None) -> set[str]:
            if state is None:
                return set()
            tree = offline_rule(str(state.inputs.get("expressionValue", "")))
            if isinstance(tree, CannotEvaluate):
                return set()
            return {okta_fold(u.login) for u in self.org.directory.users if evaluate(tree, u.attributes) is True}

        found: dict[str, set[str]] = {}
        for step in result.steps:
            if step.type != provider.GROUP_RULE or step.op == Op.SAME:
                continue
            was, now = old.get(step.name), result.state.get(step.name)
            if step.op == Op.DELETE:
                removes = was is not None and bool(was.inputs.get("removeAssignedUsers"))
                changed = matches(was) if removes else set()
            elif step.op == Op.CREATE:
                changed = matches(now)
            else:
                changed = matches(was) ^ matches(now)
            if changed:
                found[step.name] = changed
        return found

    # -- findings ------------------------------------------------------------------

    def _failed(self, result: RunResult, registrations: list[Registration]) -> list[Finding]:
        step = result.failed
        if step is None:
            return []
        if step.error_code == ASSIGNMENT_GRANTED_BY_GROUP:
            reg = next((r for r in registrations if r.name == step.name), None)
            login = reg.inputs.get("username", step.name) if reg else self._login_of(step.name)
            user = self.org.directory.user(login)
            app = self.org.apps.get(self.app_id or "")
            groups = [
                self.org.groups[g].name
                for g in (app.group_assignments if app else {})
                if user is not None and self.org.is_member(user, g)
            ]
            removal = reg is None
            return [
                Finding(
                    Code.ASSIGNMENT_BLOCKED_BY_GROUP,
                    f"pulumi up fails at {step.name}: Okta refuses to delete the direct assignment of {login} "
                    f"(E0000046: groups {', '.join(groups)} grant the app); every later pulumi up fails the same way"
                    " until the manual steps are done",
                    (login,),
                    blocked_steps(self._label(), login, groups, removal),
                )
            ]
        return [Finding(Code.UPDATE_FAILED, f"pulumi up fails at {step.name} ({step.op}): {step.error}")]

    def _login_of(self, name: str) -> str:
        state = self.engine.current.get(name)
        return str((state.inputs if state else {}).get("username", name))

    def _label(self) -> str:
        return self._config.app.label if self._config else "the app"

    def _groups_deleted(self, result: RunResult, had_app: dict[str, str]) -> list[Finding]:
        found = []
        now: dict[str, str] | None = None
        for step in result.steps:
            if step.type != provider.GROUP or step.op not in (Op.DELETE, Op.REPLACE) or step.status != Status.DONE:
                continue
            group_id = self._ids_before.get(step.name, "")
            members = self._members_before.get(group_id, [])
            if not members or group_id in self.org.groups:
                continue
            now = self.users() if now is None else now
            lost = [m for m in members if okta_fold(m) in had_app and okta_fold(m) not in now]
            why = "it left the config" if step.op == Op.DELETE else "its resource key changed (a rename?)"
            group = self._group_names_before.get(group_id, step.name)
            deactivated = (
                f"{len(lost)} of them are deactivated in Own ({', '.join(lost)}), which removes them; one added "
                "back to an assigned group is created anew, Read-only in the Default Business Unit"
                if lost
                else "none of them is deactivated (another assignment gives each the app)"
            )
            found.append(
                Finding(
                    Code.GROUP_DELETED_WITH_MEMBERS,
                    f"group {group!r} ({step.name}) is deleted ({why}): Okta deletes its {len(members)} "
                    f"membership(s), and {deactivated}. To rename a group, keep its `key` in the config",
                    tuple(lost),
                    resources=(step.name,),
                    groups=(group,),
                )
            )
        return found

    def _app_deleted(self, result: RunResult, had_app: dict[str, str]) -> list[Finding]:
        """``app-deleted`` when the run deleted the app (a plain delete, or the old app of a
        replacement), naming who had it before the run."""
        gone = [
            s
            for s in result.steps
            if s.type == provider.APP and s.op in (Op.DELETE, Op.REPLACE) and s.status == Status.DONE
            if self._ids_before.get(s.name) not in self.org.apps
        ]
        if not gone:
            return []
        how = f"pulumi up deletes it ({gone[0].name}, {gone[0].op})"
        return [app_deleted_finding(self._label(), how, list(had_app), resources=(gone[0].name,))]

    def _order(self, config: OwnScimConfig) -> list[Finding]:
        held = [row["group"] for row in assignments_held(self.org, self.app_id)]
        wanted = [g.name for g in config.groups if any(okta_fold(g.name) == okta_fold(h) for h in held)]
        held_known = [h for h in held if any(okta_fold(h) == okta_fold(w) for w in wanted)]
        if [okta_fold(h) for h in held_known] == [okta_fold(w) for w in wanted]:
            return []
        return [
            Finding(
                Code.PRIORITY_ORDER,
                f"Okta holds the group assignments in the order {', '.join(held_known)}; the config's order is "
                f"{', '.join(wanted)}: a user in several groups gets another group's regions than the config says",
                groups=tuple(held_known),
            )
        ]
