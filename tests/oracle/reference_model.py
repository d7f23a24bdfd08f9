"""A reference model of what ``pulumi up`` from BASE to NEW does in Okta and in Own, written from
Okta's, the provider's and Own's documented rules, not from ``ownscim_infra``'s code.

It takes two configs (YAML, the format of config/README.md) and the Okta directory before and
after the change (config/README.md, "The directory file"), and computes

* whether ``pulumi up`` of NEW on BASE's state can fail, and why;
* person by person, every possible (Own before, Own after) -- Own as ``None`` (no active account)
  or the frozenset of the person's regions -- over **every order** in which Pulumi may run the steps
  it runs in parallel (the BASE run's orders too: they decide "Own before");
* the verdict class: ``blocked`` (up can fail), ``needs attention`` (somebody loses access, changes
  regions, is re-created in Own, ends up not as NEW means while something about them changed, the
  outcome depends on the order or on an unverified rule, a group is deleted, provisioning switches
  to ``api``), ``safe`` otherwise.

Rules, each with its source (tests/oracle/README.md has them as a table):

R1  Group names are unique among Okta's ``OKTA_GROUP`` groups (every group here: created ones, and
    ``create: false`` ones are looked up as ``OKTA_GROUP``): creating or renaming a group to a name in
    use fails (terraform-provider-okta ``data_source_okta_group.go``, dataSourceGroupRead's NOTE:
    "Okta API enforces unique names on all groups regardless of type", and "As of Dec 2025 - Okta
    only enfoces unique names for groups with type OKTA_GROUP"; PR #1794; facts file "lifecycle").
R2  A changed Pulumi logical name (a group's ``key``) is a delete plus a create; deletes of resources
    gone from the program run after every other step, dependents first (facts file "Pulumi facts";
    Pulumi engine: deletes of unregistered resources at the end). So a new key with the old name is
    a create while the old group still exists: R1 fails it.
R3  Deleting a user's direct app assignment while one of their groups grants the app fails with
    E0000046 (articulate/terraform-provider-okta issue 120; facts file).
R4  Own takes a user's regions when Okta creates the user (POST /Users with the app profile);
    profile updates are never pushed (seed page: "Update User Attributes is unsupported"). A user
    with no ``regions`` value is created in all the account's regions (seed page, "Assign to People").
R5  Unassigning deactivates the user; Own documents that deprovisioning removes the account
    ("Provisioning and Deprovisioning SCIM"; seed page's move procedure: unassign, then assign), so
    a re-assignment creates the user anew with the profile of that moment (issue 21 item 8).
R6  Several groups: the group with the highest priority supplies the profile; the config's order is
    the priority (config/README.md ``groups``; facts file "Group assignment"). A direct assignment
    overrides group values (config/README.md ``people``) -- unverified through the API: the provider
    never sends ``scope`` and a report (articulate/terraform-provider-okta 264) says a group member
    given a direct assignment stays GROUP-scoped. Both readings are explored: in the second, such a
    user's direct assignment neither supplies the profile nor keeps the app once no group grants it.
R7  A changed ``regions`` value is unassign-then-assign (config/README.md "Changing regions": the
    assignment is replaced, deleting first); a reorder of the same regions is no change (issue 21
    item 5: "A reorder must change nothing in Okta or Own").
R8  The program's dependencies (``plan --format json``, ``dependsOn``; tests/offline/golden/
    example.plan.json): each group assignment depends on its group and on the previous group
    assignment in config order; direct assignments depend on neither, so they run in parallel with
    groups and group assignments (issue 21 item 3).
R9  Membership is by group, not by name: a renamed group (same key) keeps its members; a directory
    naming a group by its old or its new name means that group (issue 21 item 7). A group deleted
    takes its memberships with it (config/README.md ``key``).
R10 ``create: false`` names an existing group (config/README.md); it is assumed to exist. A group
    the directory names and BASE does not create exists in Okta before either run.
R11 A group the program creates is created empty (Okta ``POST /api/v1/groups`` takes no members; the
    program declares no memberships: config/README.md, directory ``groups``): the directory's members
    of a created group are the admins' doing, after the run that created it.
R12 ``provisioning: api`` declares the connection and features through APIs Okta documents for a few
    apps only; for others it answers ``status: UNKNOWN`` and ``okta_app_features`` Read then errors,
    so later runs fail (facts file, "Okta: the app and its provisioning", unverified for
    scim2headerauth; terraform-provider-okta issue 1956): a switch to it needs attention.
R13 A person assigned directly who is also a member of a group assigned to the app cannot later be
    unassigned or moved: Okta refuses the delete of the direct assignment while the group grants the
    app (R3, E0000046). A change that makes someone so (a direct assignment added for a group
    member, or a member of a group joining or getting assigned while assigned directly) needs
    attention; one who was so before the change is not the change's doing (issue 21 items 4, 6).
R14 A directory file is Okta's users as of its writing: one that names a group by a name the NEW
    config renamed (same ``key``) is stale, and a later run on it would miss those members; the
    reviewer must refresh it (issue 21 item 7).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

BLOCKED, ATTENTION, SAFE = "blocked", "needs attention", "safe"
Own = frozenset[str] | None  # None: no active account in Own


# --------------------------------------------------------------------------- config (config/README.md)


@dataclass(frozen=True)
class Group:
    key: str
    name: str
    regions: frozenset[str]
    create: bool


@dataclass(frozen=True)
class Config:
    regions: frozenset[str]
    groups: tuple[Group, ...]
    people: dict[str, frozenset[str]]  # login (folded) -> regions; no value in the file: all regions (R4)
    declared: dict[str, Own]  # login (folded) -> the value written (None: none), which R7 compares
    provisioning: str = "manual"


def _regions(value: Any) -> frozenset[str]:
    items = value.split(",") if isinstance(value, str) else value
    return frozenset(str(r).strip().lower() for r in items)


def default_key(name: str) -> str:
    """config/README.md ``groups[i].key``: the name in lower case, punctuation as ``-``."""
    return re.sub(r"[^a-z0-9._@]+", "-", name.lower()).strip("-")


def parse_config(text: str) -> Config:
    data = yaml.safe_load(text)
    regions = _regions(data["regions"])
    groups = tuple(
        Group(g.get("key") or default_key(g["name"]), g["name"], _regions(g["regions"]), g.get("create", True))
        for g in data.get("groups") or []
    )
    declared = {
        p["login"].lower(): (_regions(p["regions"]) if p.get("regions") is not None else None)
        for p in data.get("people") or []
    }
    people = {login: regions if value is None else value for login, value in declared.items()}
    return Config(regions, groups, people, declared, (data.get("app") or {}).get("provisioning", "manual"))


def parse_directory(text: str) -> dict[str, frozenset[str]]:
    """login (folded) -> the folded names of the groups the user is in."""
    data = yaml.safe_load(text) or {}
    return {u["login"].lower(): frozenset(n.lower() for n in u.get("groups") or []) for u in data.get("users") or []}


# --------------------------------------------------------------------------- the org and Own


@dataclass(frozen=True)
class State:
    """Okta (groups by identity, group assignments, direct assignments) and Own, hashable."""

    groups: frozenset[tuple[str, str]]  # (identity, folded name)
    assigned: frozenset[tuple[str, str, frozenset[str]]]  # group assignments (key, identity, regions)
    direct: frozenset[tuple[str, frozenset[str], bool]]  # direct assignments (login, regions, GROUP-scoped)
    own: frozenset[tuple[str, frozenset[str]]]  # Own's active users (login, regions)
    recreated: frozenset[str] = frozenset()  # removed from Own during this run (role and unit lost, R5)
    failed: str = ""


@dataclass(frozen=True)
class World:
    """What does not change during a run: the people, memberships (R9), the priority order (R6)."""

    logins: frozenset[str]
    members: dict[str, frozenset[str]]  # group identity -> logins
    priority: tuple[str, ...]  # assignment keys, highest priority first
    group_scoped: bool = False  # R6: the unverified reading, a direct assignment of a group member stays GROUP

    def profile(self, s: State, login: str) -> Own:
        """The regions of ``login``'s app profile in ``s`` (R6), or None when nothing grants the app."""
        direct = {who: regions for who, regions, scoped in s.direct if not scoped}
        if login in direct:
            return direct[login]
        alive = {i for i, _ in s.groups}
        by_key = {k: (i, r) for k, i, r in s.assigned if i in alive}
        for key in self.priority:
            if key in by_key and login in self.members.get(by_key[key][0], ()):
                return by_key[key][1]
        return None

    def provision(self, before: State, after: State, was: World | None = None) -> State:
        """Own after a change of Okta (R4, R5): a user who gains the app is created in Own with the
        profile of that moment; a user who loses it is removed."""
        own, recreated = dict(after.own), set(after.recreated)
        for login in self.logins:
            had, has = (was or self).profile(before, login), self.profile(after, login)
            if had is None and has is not None and login not in own:
                own[login] = has
            elif has is None and login in own:
                del own[login]
                recreated.add(login)
        return replace(after, own=frozenset(own.items()), recreated=frozenset(recreated))


# --------------------------------------------------------------------------- steps (R1, R2, R3, R7, R8)


@dataclass(frozen=True)
class Step:
    op: str  # create-group, rename-group, delete-group, assign-group, unassign-group, assign, unassign
    target: str  # group key or login
    arg: Any = None  # group name, (group identity, regions), or regions


def apply(world: World, s: State, step: Step) -> State:
    """``s`` after ``step``; ``failed`` says why Okta refused it."""
    groups = dict(s.groups)
    assigned = {k: (i, r) for k, i, r in s.assigned}
    direct = {login: (regions, scoped) for login, regions, scoped in s.direct}
    fail = ""
    if step.op in ("create-group", "rename-group"):
        identity = f"key:{step.target}"
        if step.arg.lower() in {n for i, n in groups.items() if i != identity}:  # R1
            fail = f"{step.op} {step.arg!r}: the name is taken in Okta"
        groups[identity] = step.arg.lower()
    elif step.op == "delete-group":
        groups.pop(f"key:{step.target}", None)
    elif step.op == "assign-group":
        assigned[step.target] = step.arg
    elif step.op == "unassign-group":
        assigned.pop(step.target, None)
    elif step.op == "assign":
        direct[step.target] = (step.arg, world.group_scoped and world.profile(s, step.target) is not None)
    elif step.op == "unassign":
        direct.pop(step.target, None)
        alive = set(groups)
        if any(step.target in world.members.get(i, ()) for i, _ in assigned.values() if i in alive):  # R3
            fail = f"unassign {step.target}: E0000046, a group grants the app"
    after = State(
        frozenset(groups.items()),
        frozenset((k, i, r) for k, (i, r) in assigned.items()),
        frozenset((login, regions, scoped) for login, (regions, scoped) in direct.items()),
        s.own,
        s.recreated,
        s.failed or fail,
    )
    return world.provision(s, after)


def plan_steps(base: Config | None, new: Config) -> dict[Step, frozenset[Step]]:
    """The steps of ``pulumi up`` of ``new`` on ``base``'s state (``None``: an empty stack), each
    with the steps it waits for (R2, R7, R8)."""
    base_created = {g.key: g for g in base.groups if g.create} if base else {}
    base_assigned = {g.key: g for g in base.groups} if base else {}
    base_people = base.declared if base else {}
    steps: dict[Step, frozenset[Step]] = {}

    def add(step: Step, *deps: Step | None) -> Step:
        steps[step] = frozenset(d for d in deps if d is not None)
        return step

    chain: list[Step] = []  # what the next group assignment waits for (R8)
    for g in new.groups:
        group_steps = []
        if g.create and g.key not in base_created:
            group_steps.append(add(Step("create-group", g.key, g.name)))
        elif g.create and base_created[g.key].name != g.name:
            group_steps.append(add(Step("rename-group", g.key, g.name)))
        identity = group_identity(g, base_created.values())
        old = base_assigned.get(g.key)
        if old is not None and group_identity(old, base_created.values()) == identity and old.regions == g.regions:
            chain += group_steps  # unchanged: a later assignment still waits for this group's steps
            continue
        unassign = add(Step("unassign-group", g.key), *chain, *group_steps) if old is not None else None
        chain = [add(Step("assign-group", g.key, (identity, g.regions)), *chain, *group_steps, unassign)]
    for login, regions in new.people.items():
        if login not in base_people:
            add(Step("assign", login, regions))
        elif base_people[login] != new.declared[login]:  # R7: unassign, then assign
            add(Step("assign", login, regions), add(Step("unassign", login)))
    return _deletes(base, new, steps) if base else steps


def _deletes(base: Config, new: Config, steps: dict[Step, frozenset[Step]]) -> dict[Step, frozenset[Step]]:
    """R2: what NEW no longer declares is deleted after every other step, dependents first."""

    def add(step: Step, *deps: Step) -> Step:
        steps[step] = frozenset(deps)
        return step

    body = list(steps)
    removed: list[Step] = []
    for g in reversed(base.groups):
        if g.key not in {n.key for n in new.groups}:
            removed.append(add(Step("unassign-group", g.key), *body, *removed))
    for g in base.groups:
        if g.create and g.key not in {n.key for n in new.groups if n.create}:
            add(Step("delete-group", g.key), *body, *removed)
    for login in base.people:
        if login not in new.people:
            add(Step("unassign", login), *body)
    return steps


def group_identity(g: Group, base_created: Iterable[Group]) -> str:
    """A created group is known by its key; an existing one by its name, and it may be the one BASE
    created under that name (``create: true`` -> ``false``) (R9, R10)."""
    if g.create:
        return f"key:{g.key}"
    return next((f"key:{b.key}" for b in base_created if b.name.lower() == g.name.lower()), f"name:{g.name.lower()}")


def explore(world: World, start: State, steps: dict[Step, frozenset[Step]]) -> set[State]:
    """Every final state over every order the dependencies allow (a failed step ends the run)."""
    seen: set[tuple[frozenset[Step], State]] = set()
    finals: set[State] = set()
    todo = [(frozenset[Step](), start)]
    while todo:
        done, s = todo.pop()
        if (done, s) in seen:
            continue
        seen.add((done, s))
        ready = [t for t, deps in steps.items() if t not in done and deps <= done]
        if s.failed or not ready:
            finals.add(s)
        todo += [(done | {t}, apply(world, s, t)) for t in ready]
    return finals


# --------------------------------------------------------------------------- the review


@dataclass
class Verdict:
    verdict: str
    reasons: list[str]
    people: dict[str, set[tuple[Own, Own]]] = field(default_factory=dict)  # login -> {(before, after)}
    means: dict[str, tuple[Own, Own]] = field(default_factory=dict)  # login -> what BASE, NEW mean


def _world(
    cfg: Config,
    directory: dict[str, frozenset[str]],
    names: dict[str, str],
    logins: set[str],
    empty: Iterable[str] = (),
) -> World:
    """The memberships ``directory`` gives; the groups ``empty`` have none (R11)."""
    members: dict[str, set[str]] = {}
    for login, groups in directory.items():
        for name in groups:
            members.setdefault(names.get(name, f"name:{name}"), set()).add(login)
    for identity in empty:
        members.pop(identity, None)
    return World(frozenset(logins), {i: frozenset(ls) for i, ls in members.items()}, tuple(g.key for g in cfg.groups))


def _readings(run: World, after: World) -> list[tuple[World, World]]:
    """Both readings of a direct assignment given to a group member (R6: unverified)."""
    return [(replace(run, group_scoped=g), replace(after, group_scoped=g)) for g in (False, True)]


def _means(cfg: Config, world: World, base_created: Iterable[Group], login: str) -> Own:
    """What a config means for a person in Own: the direct value, else the first group's (R6)."""
    if login in cfg.people:
        return cfg.people[login]
    groups = (g for g in cfg.groups if login in world.members.get(group_identity(g, base_created), ()))
    return next((g.regions for g in groups), None)


def reference_review(base_text: str, new_text: str, directory: str, base_directory: str | None = None) -> Verdict:
    """The verdict class, every person's possible (Own before, Own after), and the reasons."""
    base, new = parse_config(base_text), parse_config(new_text)
    new_dir = parse_directory(directory)
    base_dir = parse_directory(base_directory) if base_directory is not None else new_dir
    base_created = [g for g in base.groups if g.create]
    # R9: a directory names a created group by its BASE name or by its NEW name
    base_names = {g.name.lower(): f"key:{g.key}" for g in base_created}
    names = {g.name.lower(): group_identity(g, base_created) for g in new.groups} | base_names
    # R10: the groups Okta has before any run (the base directory is Okta as it is)
    listed = {n for gs in base_dir.values() for n in gs}
    existing = (listed | {g.name.lower() for c in (base, new) for g in c.groups if not g.create}) - {
        g.name.lower() for g in base_created
    }
    logins = set(base_dir) | set(new_dir) | set(base.people) | set(new.people)
    empty = State(frozenset((f"name:{n}", n) for n in existing), frozenset(), frozenset(), frozenset())

    # R11: a group the run creates is empty until the run ends; the directory's members join after
    created = [f"key:{g.key}" for g in base_created]
    base_run = _world(base, base_dir, base_names, logins, created)
    base_world = _world(base, base_dir, base_names, logins)
    befores = {  # (the reading of R6, Own and Okta after BASE's run)
        (reading, b if b.failed else world.provision(b, b, was=run))
        for reading, (run, world) in enumerate(_readings(base_run, base_world))
        for b in explore(run, empty, plan_steps(None, base))
    }
    failed = sorted({s.failed for _, s in befores if s.failed})
    if failed:
        return Verdict(BLOCKED, [f"the BASE run cannot be reproduced: {f}" for f in failed])

    # the change's run on Okta as it was; the new directory's memberships are the admins' doing,
    # after it (a group NEW creates has no members before it exists)
    priority = tuple(g.key for g in new.groups) + tuple(g.key for g in base.groups)
    created = [f"key:{g.key}" for g in new.groups if g.create and f"key:{g.key}" not in base_names.values()]
    run_world = replace(_world(new, base_dir, names, logins, created), priority=priority)
    new_world = replace(_world(new, new_dir, names, logins), priority=priority)
    steps = plan_steps(base, new)
    readings = _readings(run_world, new_world)
    outcomes = {
        (reading, b): {
            a if a.failed else readings[reading][1].provision(a, a, was=readings[reading][0])
            for a in explore(readings[reading][0], b, steps)
        }
        for reading, b in befores
    }

    people: dict[str, set[tuple[Own, Own]]] = {}
    for (_, b), finals in outcomes.items():
        for a in finals - {a for a in finals if a.failed}:
            for login in logins:
                people.setdefault(login, set()).add((dict(b.own).get(login), dict(a.own).get(login)))
    means = {
        login: (_means(base, base_world, [], login), _means(new, new_world, base_created, login)) for login in logins
    }
    failures = sorted({a.failed for finals in outcomes.values() for a in finals if a.failed})
    if failures:
        sometimes = any(not a.failed for finals in outcomes.values() for a in finals)
        why = "in some orders of the parallel steps" if sometimes else "in every order"
        return Verdict(BLOCKED, [f"pulumi up can fail ({why}): {f}" for f in failures], people, means)
    reasons = [reason for login in sorted(logins) for reason in _person_reasons(login, outcomes, means[login])]
    # R9: deleting an Okta group deletes its memberships (anyone outside the directory loses the app)
    reasons += [
        f"group {s.target} is deleted in Okta, its memberships with it" for s in steps if s.op == "delete-group"
    ]
    before, after = _held_by_group(base, base_dir, names), _held_by_group(new, new_dir, names)
    reasons += [
        f"{login}: assigned directly and through a group: Okta will refuse to move or remove them (R13)"
        for login in sorted(after - before)
    ]
    renamed = {  # R14: BASE's name of a group NEW renames (same key)
        b.name.lower()
        for b in base_created
        for g in new.groups
        if g.create and g.key == b.key and g.name.lower() != b.name.lower()
    }
    reasons += [
        f"{login}: the directory lists the renamed group {n!r} by its old name (R14)"
        for login in sorted(new_dir)
        for n in sorted(new_dir[login] & renamed)
    ]
    if new.provisioning == "api" and base.provisioning != "api":  # R12
        reasons.append("provisioning: api: if Okta answers UNKNOWN for this app (unverified), later runs fail")
    reasons = list(dict.fromkeys(reasons))
    return Verdict(ATTENTION if reasons else SAFE, reasons, people, means)


def _held_by_group(cfg: Config, directory: dict[str, frozenset[str]], names: dict[str, str]) -> set[str]:
    """R13: the people ``cfg`` assigns directly who are in one of the groups it assigns (a group by
    its identity, R9: a directory may name it by its old or its new name)."""
    assigned = {names.get(g.name.lower(), f"name:{g.name.lower()}") for g in cfg.groups}
    return {
        login
        for login in cfg.people
        if any(names.get(n, f"name:{n}") in assigned for n in directory.get(login, frozenset()))
    }


def _person_reasons(login: str, outcomes: dict[tuple[int, State], set[State]], means: tuple[Own, Own]) -> Iterable[str]:
    """Why ``login`` needs a reviewer's attention: only what the change does (issue 21 item 4)."""
    ends: dict[State, set[frozenset[Own]]] = {}
    for (_, b), finals in outcomes.items():
        ends.setdefault(b, set()).add(frozenset(dict(a.own).get(login) for a in finals))
    if any(len(e) > 1 for e in ends.values()):
        yield f"{login}: the outcome depends on the unverified scope of a direct assignment (R6)"
    for (_, b), finals in outcomes.items():
        was = dict(b.own).get(login)
        if len({dict(a.own).get(login) for a in finals}) > 1:
            yield f"{login}: the outcome depends on the order of parallel steps"
        for a in finals:
            now = dict(a.own).get(login)
            if was is not None and now is None:
                yield f"{login}: loses access"
            elif was is not None and now != was:
                yield f"{login}: changes regions"
            elif login in a.recreated:
                yield f"{login}: re-created in Own (role and business unit reset)"
            elif now != means[1] and (was, means[0]) != (now, means[1]):
                yield f"{login}: not as NEW means in Own"
