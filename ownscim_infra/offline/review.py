"""The review of a config change: what a pull request does to people in Own, and to Okta.

``python -m ownscim_infra review BASE NEW`` runs, offline, the emulated ``pulumi up`` of BASE
(the config on the main branch) and then of NEW (the pull request's) on the same state, with
Okta provisioning a SCIM receiver after each step (:func:`ownscim_infra.offline.simulate.simulate`
with ``previous``), and reports, in this order:

1. a **verdict**: ``safe`` (nobody loses anything, nothing to check), ``needs attention``
   (someone is deactivated, re-provisioned, or moved in a way that does not reach Own, or a
   warning), ``blocked`` (``pulumi up`` would fail: Okta refuses a step, a protected resource
   or a hook stops it);
2. **people**: each person the change does something to, Own before -> after, what to do
   about it (:data:`~.report.CHANGE_ACTIONS`) and, for a deactivation, its cause (the
   assignment or group that went, as Okta's provisioning recorded it);
3. **resources**: each resource the engine creates, updates, replaces or deletes, with the
   changed input paths (the provider and engine emulation: docs/provider-semantics.md);
4. **warnings**: a group deleted, the ``regions`` attribute touched, Update User Attributes or
   Push Groups switched on, a region removed from the account that people still hold,
   provisioning switched to ``api`` (what happens on an org whose connection is ``ENABLED``
   and on one where Okta answers ``UNKNOWN``), a directory that still lists a group's old
   name, a group rule created or changed (Okta runs it across users the directory file does
   not hold: ``rule-matches-unknown``), every warning ``plan`` gives for NEW that it does not
   give for BASE, and every finding of the run;
5. **depends on the order**: when the run has steps that Pulumi may run in any order and that
   touch a same person (:attr:`SimulationReport.conflicts`), the review runs the change again
   in their other orders (up to :data:`MAX_ORDERS` runs; beyond, it says that not all orders
   were explored) and lists, person by person, every distinct outcome; a change whose outcome
   depends on the order is never safe, and the section says how to make it deterministic;
6. **already so before this change**: the people Own already held otherwise than the config
   means before the change (the change does nothing to them, and the config means the same
   for them), and the findings BASE's run already had. They are the reviewer's to know, not
   the change's doing: they never make the verdict (a config reviewed against itself is safe).
   The warnings ``plan`` already gives for BASE are in this section too.

A BASE whose own ``pulumi up`` fails is never compared in silence: the review says the state
before the change cannot be reproduced, and why (``base-run-failed``), and is not safe.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ownscim_infra.config.directory import Directory
from ownscim_infra.domain import markdown
from ownscim_infra.domain.findings import Code, Finding
from ownscim_infra.domain.own_setup import capability_statuses, okta_fold
from ownscim_infra.offline import provider
from ownscim_infra.offline.findings import regions_not_guaranteed, rule_change_findings, typo_findings
from ownscim_infra.offline.plan import GroupRow, Plan, declared_members, group_rows, mermaid_groups, warnings_of
from ownscim_infra.offline.report import (
    CHANGE_KINDS,
    RE_CREATED_ALTERNATIVE,
    ChangeKind,
    OwnState,
    ReasonKind,
    SimulationReport,
    UserResult,
    camel_case,
)
from ownscim_infra.offline.report_text import changed_summary, drift_lines
from ownscim_infra.offline.rollout import Progress
from ownscim_infra.offline.simulate import DayTwo, State, change_runs, load_state, simulate_states
from ownscim_infra.offline.steps import Op, Step
from ownscim_infra.receiver.settings import Deactivation

SAFE, ATTENTION, BLOCKED = "safe", "needs attention", "blocked"
#: At most this many runs of the change in other orders of its parallel steps, per review.
MAX_ORDERS = 6
#: Change kinds that make a review need attention (the rest: provisioned, reactivated, moved).
_DISRUPTIVE = {
    ChangeKind.DEACTIVATED,
    ChangeKind.RE_PROVISIONED,
    ChangeKind.RE_CREATED,
    ChangeKind.MOVE_REFUSED,
    ChangeKind.MOVE_NOT_IN_OWN,
}


@dataclass
class Outcome:
    """One order of the parallel steps (``order``: the steps of one conflict set, in the order
    they reached Okta) and the run of the change in it (``report``)."""

    order: list[str]
    report: SimulationReport


@dataclass
class OrderDependence:
    """What the order of the parallel steps does: the conflict ``groups`` (steps with no
    dependency between them that touch a same person), the ``outcomes`` explored (the first is
    the review's own run), whether every order of every group was explored (``complete``),
    and each person whose Own after the change differs between orders (``people``: login ->
    one ``(order, UserResult)`` for each distinct outcome)."""

    groups: list[list[str]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    complete: bool = True
    people: dict[str, list[tuple[list[str], UserResult]]] = field(default_factory=dict)

    @property
    def failures(self) -> list[Outcome]:
        """The orders in which ``pulumi up`` fails."""
        return [o for o in self.outcomes if o.report.update_failed is not None]

    @property
    def depends(self) -> bool:
        """Whether the outcome depends on the order (someone's Own, or whether pulumi up fails)."""
        failing = len(self.failures)
        return bool(self.people) or 0 < failing < len(self.outcomes)

    def advice(self) -> str:
        """How to make the change deterministic (``""`` when the order changes nothing)."""
        if not self.groups or (self.complete and not self.depends):
            return ""
        pairs = "; ".join(" and ".join(g) for g in self.groups)
        return (
            f"Pulumi runs these steps in parallel, in no defined order: {pairs}. To make the outcome "
            "deterministic, split the change into two pull requests (one of the steps each, the second "
            "merged after the first's pulumi up), or declare a dependency between them (depends_on) "
            "so that Pulumi runs them in one order"
        )

    def to_json(self) -> dict[str, Any]:
        """``{"groups", "ordersExplored", "complete", "dependsOnOrder", "people", "failures", "advice"}``."""
        return {
            "groups": self.groups,
            "ordersExplored": len(self.outcomes),
            "complete": self.complete,
            "dependsOnOrder": self.depends,
            "people": [
                {"login": login, "outcomes": [{"order": order, **_person_json(u)} for order, u in found]}
                for login, found in self.people.items()
            ],
            "failures": [
                {"order": o.order, "failedAt": f"{o.report.update_failed.name}: {o.report.update_failed.error}"}
                for o in self.failures
                if o.report.update_failed is not None
            ],
            "advice": self.advice(),
        }


def _orders_of(group: list[str], fixed: set[tuple[str, str]], budget: int) -> tuple[list[list[str]], bool]:
    """The other orders of ``group`` (which ran in its own order) to run, at most ``budget``,
    and whether they are all of them: the permutations that keep every ``fixed`` pair (a step
    and one it depends on) in its order, when they fit; else a sample: the reverse and each
    step first and last, where they keep the fixed pairs."""

    def allowed(order: list[str]) -> bool:
        at = {n: i for i, n in enumerate(order)}
        return order != group and all(at[a] < at[b] for a, b in fixed if a in at and b in at)

    if math.factorial(len(group)) <= 5040:  # 7 steps: listing them is cheap
        every = [list(p) for p in itertools.permutations(group) if allowed(list(p))]
        if len(every) <= budget:
            return every, True
    picks = [list(reversed(group))]
    for step in group:
        rest = [n for n in group if n != step]
        picks += [[step, *rest], [*rest, step]]
    unique = [p for i, p in enumerate(picks) if allowed(p) and p not in picks[:i]]
    return unique[:budget], False


def explore_orders(report: SimulationReport, run: Callable[[list[str]], SimulationReport]) -> OrderDependence:
    """Run the change again (``run(order)``: :func:`.simulate.change_runs`) in the other orders
    of each conflict set of ``report``'s run (:attr:`SimulationReport.conflicts`), at most
    :data:`MAX_ORDERS` runs, and collect each person's distinct outcomes (Own after, what the
    change did, whether as the config means)."""
    groups = [list(g) for g in report.conflicts]
    found = OrderDependence(groups=groups, outcomes=[Outcome([n for g in groups for n in g], report)])
    budget = MAX_ORDERS
    for group in found.groups:
        orders, complete = _orders_of(group, set(report.fixed), budget)
        found.complete = found.complete and complete and len(orders) <= budget
        for order in orders[:budget]:
            found.outcomes.append(Outcome(order, run(order)))
        budget -= min(len(orders), budget)
    if len(found.outcomes) == 1:  # one order: nobody can end differently
        return found
    by_login = [{u.login: u for u in outcome.report.users} for outcome in found.outcomes]
    for user in report.users:
        distinct: dict[tuple[Any, ...], tuple[list[str], UserResult]] = {}
        for outcome, users in zip(found.outcomes, by_login, strict=True):
            other = users.get(user.login)
            if other is not None:
                distinct.setdefault((other.own, tuple(other.changes), other.ok), (outcome.order, other))
        if len(distinct) > 1:
            found.people[user.login] = list(distinct.values())
    return found


@dataclass
class Review:
    """The review of ``base`` -> ``new``: the ``verdict`` (``safe | needs attention |
    blocked``) and its ``reasons``, the simulation ``report`` (people, changes, findings), the
    ``warnings`` of the change, what was already so before it (``already`` people and
    ``already_warnings``: not in the verdict), the other ``orders`` of its parallel steps,
    and the groups before and after (for the diagram). Which people to show
    is the renderers' choice (``show_all``)."""

    base: str
    new: str
    verdict: str
    reasons: list[str]
    report: SimulationReport
    warnings: list[Finding]
    groups_before: list[GroupRow]
    groups_after: list[GroupRow]
    regions_before: list[str]
    regions_after: list[str]
    #: findings that BASE's run already had (the same code and message) and the warnings
    #: ``plan`` already gives for BASE: not the change's
    already_warnings: list[Finding] = field(default_factory=list)
    #: the other orders of the run's parallel steps, and what they change
    orders: OrderDependence = field(default_factory=OrderDependence)
    #: the console file (``--console``) whose Admin Console actions were applied after BASE's
    #: run and before NEW's: the verdict assumes them (each is in ``report.console``)
    console: str | None = None

    def console_head(self) -> str | None:
        """The line that says the review assumed Admin Console actions (``--console``), naming
        the file (``None`` without a console file); the actions are ``report.console``, in order."""
        if self.console is None:
            return None
        n = len(self.report.console)
        return f"Admin Console, after BASE's run and before NEW's ({self.console}): " + (
            f"{n} action(s) applied in this order; the verdict assumes them:" if n else "no action"
        )

    @property
    def already(self) -> list[UserResult]:
        """The people not as the config means who were so before the change (:attr:`UserResult.already`)."""
        return [u for u in self.report.users if u.already]

    @property
    def resources(self) -> list[Step]:
        """The engine's steps that change something (``op`` not ``same``)."""
        return [step for step in self.report.changes if step.op != Op.SAME]

    def people(self, show_all: bool = False) -> list[UserResult]:
        """The people the change affects (``show_all``: everyone), in the directory's order."""
        return list(self.report.users if show_all else self.report.changed_users)

    def to_json(self, show_all: bool = False) -> dict[str, Any]:
        """The ``json`` format: stable camelCase keys (``show_all``: every person, not only
        those the change affects); with ``--console``, ``--refresh`` or ``--replace`` also
        ``"drift"`` (what Okta holds against NEW after the run, with each repair)."""
        failed = self.report.update_failed
        doc: dict[str, Any] = {
            "base": self.base,
            "new": self.new,
            "verdict": {"level": camel_case(self.verdict), "reasons": self.reasons},
            "people": [_person_json(u) for u in self.people(show_all)],
            "resources": [step.to_json() for step in self.resources],
            "warnings": [w.to_json() for w in self.warnings],
            "groups": {
                "before": [_group_json(g) for g in self.groups_before],
                "after": [_group_json(g) for g in self.groups_after],
            },
            "okta": self.report.okta,
            "updateFailed": None if failed is None else f"{failed.name}: {failed.error}",
            "orderDependent": self.orders.to_json(),
            "alreadyBefore": {
                "people": [_person_json(u) for u in self.already],
                "warnings": [w.to_json() for w in self.already_warnings],
            },
        } | ({} if self.report.next_run is None else {"drift": [d.to_json() for d in self.report.drift]})
        if self.console is not None:  # the verdict assumed these Admin Console actions, in order
            doc["console"] = {
                "file": self.console,
                "actions": self.report.console,
                "inOwn": self.report.console_changes,
            }
        return doc


def _person_json(u: UserResult) -> dict[str, Any]:
    return {
        "login": u.login,
        "changes": [str(c) for c in u.changes],
        "before": None if u.before is None else u.before.to_json(),
        "after": None if u.own is None else u.own.to_json(),
        "configMeans": u.expected.render(),
        "ok": u.ok,
        "why": [r.text for r in u.reasons],
        "cause": u.cause,
        "action": u.action,
    }


def _group_json(g: GroupRow) -> dict[str, Any]:
    return {"priority": g.priority, "name": g.name, "regions": g.regions}


# --------------------------------------------------------------------------- warnings


def _capability(plan: Plan, name: str) -> str | None:
    features = plan.one(provider.FEATURES)
    return capability_statuses(features.inputs.get("capabilities")).get(name) if features else None


def change_warnings(
    base: Plan, new: Plan, report: SimulationReport, directory: Directory | None = None
) -> list[Finding]:
    """What a reviewer must see about the change itself (besides the run's findings); with
    the NEW ``directory``, the groups it still lists by a name the change renamed."""
    found: list[Finding] = [] if directory is None else old_name_warnings(base, new, directory)
    names = {r.name: r.inputs.get("name", r.name) for r in base.of_type(provider.GROUP)}
    counted = {r for f in report.findings if f.code == Code.GROUP_DELETED_WITH_MEMBERS for r in f.resources}
    for step in report.changes:
        if step.type == provider.GROUP and step.op in (Op.DELETE, Op.REPLACE) and step.name not in counted:
            found.append(
                Finding(
                    Code.GROUP_DELETED,
                    f"group {names.get(step.name, step.name)!r} ({step.name}) is deleted from Okta: none of its "
                    "members in the directory loses the app, but anyone else in it does",
                    resources=(step.name,),
                )
            )
        if step.type == provider.APP and step.op == Op.UPDATE and set(step.paths) - {"status"}:
            found.append(app_updated_warning(step))
        if step.type == provider.ATTRIBUTE and step.op != Op.SAME:
            found.append(
                Finding(
                    Code.REGIONS_ATTRIBUTE_TOUCHED,
                    f"the regions attribute would be {step.op}d ({', '.join(step.paths) or 'no path'}): replacing it "
                    "erases every assignment's regions value in Okta (docs/provider-semantics.md, row 9)",
                    resources=(step.name,),
                )
            )
    if _capability(new, "profile") == "ENABLED" and _capability(base, "profile") != "ENABLED":
        found.append(
            Finding(
                Code.UPDATE_USER_ATTRIBUTES_ON,
                "Update User Attributes is switched on: Own does not support it, and refuses every profile push",
            )
        )
    pushed = [r.name for r in new.resources if "push" in r.type.lower()]
    if pushed and not [r for r in base.resources if "push" in r.type.lower()]:
        found.append(
            Finding(
                Code.PUSH_GROUPS_ON,
                f"Push Groups is switched on ({', '.join(pushed)}): Own does not support it",
                resources=tuple(pushed),
            )
        )
    removed = [r for r in base.config.regions if r not in new.config.regions]
    if removed:
        holders = tuple(u.login for u in report.users if u.own and u.own.active and set(u.own.regions) & set(removed))
        found.append(
            Finding(
                Code.REGION_REMOVED,
                f"region(s) {', '.join(removed)} leave the account's regions, and {_people(len(holders))} active in "
                "Own still hold them (Own keeps a user's regions until they are changed in Own's UI)",
                holders,
            )
        )
    return found


def app_updated_warning(step: Step) -> Finding:
    """``app-updated``: the change updates the app's ``step.paths`` besides ``status``, which the
    provider sends as one full ``PUT /api/v1/apps/{appId}`` of every argument
    (``resourceAppAutoLoginUpdate``, ``buildAppAutoLogin``: docs/provider-semantics.md, row 29).
    What it resets cannot be seen offline: a setting made by hand that the program does not
    declare goes back to the provider's default (none of the review's files holds such
    settings), and a full PUT has reset an app's provisioning settings before
    (terraform-provider-okta #655, SAML apps; Okta release 2022.09.3 fixed "Existing
    provisioning settings for an app were reset to None when an app was updated using PUT",
    OKTA-520647), which the emulation does not model (its PUT keeps them). So never safe."""
    return Finding(
        Code.APP_UPDATED,
        f"the change updates the app ({', '.join(step.paths)}): the okta provider sends one full PUT of every "
        "argument of the app, so a setting made by hand in the Admin Console that the program does not declare "
        "goes back to the provider's default (Sign On > Application username format: the userName Okta sends Own "
        "for the people it provisions next; a login URL, notes), and whether the PUT keeps the app's provisioning "
        "settings is not known offline (a full PUT reset them before: terraform-provider-okta #655, Okta "
        "OKTA-520647); this review cannot see either",
        resources=(step.name,),
        steps=(
            "Before pulumi up, note the app's Sign On and Provisioning settings in the Admin Console; after it, run "
            "`python -m ownscim_infra verify CONFIG` and set again by hand any setting the PUT reset.",
        ),
    )


def rule_timing_warnings(report: SimulationReport) -> list[Finding]:
    """``rule-timing``: a group rule's step and other steps that Pulumi runs in no defined
    order touch the same people (:attr:`SimulationReport.rule_timing`). Okta evaluates an
    activated rule right away, asynchronously ("Once activated, it will run across your entire
    user population", help.okta.com, Group rules), so a person a narrowed rule drops from one
    group while another step adds them to another may lose the app in between (deactivated,
    then created anew in Own) or not, depending on which reaches Okta first; the emulation
    applies rules after the run, so the order exploration cannot tell the outcomes apart."""
    found = []
    rule_steps = {s.name for s in report.changes if s.type == provider.GROUP_RULE}
    unassigned = {s.name for s in report.changes if s.type == provider.APP_USER and s.op in (Op.DELETE, Op.REPLACE)}
    for group in report.rule_timing:
        rules = [n for n in group if n in rule_steps] or group[:1]
        others = [n for n in group if n not in rules]
        refused = [n for n in others if n in unassigned]
        fails = (
            f", and Okta refuses to delete {', '.join(refused)} once the rule has put the person in an assigned "
            "group (E0000046: pulumi up fails)"
            if refused
            else ""
        )
        found.append(
            Finding(
                Code.RULE_TIMING,
                f"order-dependent: rule timing: Okta applies {', '.join(rules)} as soon as it is activated, "
                f"asynchronously, while Pulumi runs {', '.join(others) or 'the other steps'} in no defined order "
                "with it or after it, and they change the same people's groups: a person may lose the app in between "
                "(deactivated in Own, then created anew, role and business unit reset) or not, and one a step "
                "removes from the rule's group after the rule put them there is excluded from the rule and stays "
                f"out{fails}. This review applies "
                "rules after the run and cannot tell the orders apart; split the change into two pull requests "
                "(the rule's change in one, merged after the other's pulumi up)",
                resources=tuple(group),
            )
        )
    return found


def old_name_warnings(base: Plan, new: Plan, directory: Directory) -> list[Finding]:
    """``directory-group-old-name``: a group NEW renames in place (same ``key``) that the
    directory still lists by its BASE name. Okta keeps a renamed group's members, but the
    directory is what every later run reads them from, by name: under the old name they are
    silently out of the group (not assigned, and "ok")."""
    found = []
    named_now = {okta_fold(g.name) for g in new.config.groups}
    before = {g.resource_key: g.name for g in base.config.groups if g.create}
    for group in new.config.groups:
        old = before.get(group.resource_key) if group.create else None
        if old is None or okta_fold(old) == okta_fold(group.name) or okta_fold(old) in named_now:
            continue
        logins = tuple(u.login for u in directory.users if okta_fold(old) in {okta_fold(g) for g in u.groups})
        if logins:
            found.append(
                Finding(
                    Code.DIRECTORY_GROUP_OLD_NAME,
                    f"the directory still lists {old!r} for {_people(len(logins))}, the name group {group.name!r} "
                    f"(key {group.resource_key}) had before this change: Okta keeps their membership, but every "
                    "later plan, simulate and review reads members by name and silently leaves them out of the group "
                    f"(not assigned); write {group.name!r} in the directory file",
                    logins,
                    groups=(old, group.name),
                )
            )
    return found


def _key(finding: Finding) -> tuple[str, tuple[str, ...] | str]:
    """What makes two ``plan`` warnings the same: the code and the people it names (the words
    may name a group the change renames), or the code and the words for a warning of nobody."""
    return (finding.code, finding.logins) if finding.logins else (finding.code, finding.message)


def plan_warnings(base: State, new: State, report: SimulationReport) -> tuple[list[Finding], list[Finding]]:
    """``(introduced, already)``: the warnings ``plan --directory`` gives for NEW that it does
    not give for BASE (unless the run reports the same code for the same people), and those
    it already gives for BASE (already so before the change)."""
    before = warnings_of(base.plan, base.directory)
    known = {_key(w) for w in before}
    ran = {(f.code, f.logins) for f in report.findings}
    introduced = [
        w for w in warnings_of(new.plan, new.directory) if _key(w) not in known and (w.code, w.logins) not in ran
    ]
    return introduced, before


def base_failure(report: SimulationReport) -> list[Finding]:
    """``base-run-failed``: BASE's own ``pulumi up`` fails, so the state the change is
    compared with is not the one BASE leaves in Okta and Own."""
    failed = report.previous_failed
    if failed is None:
        return []
    why = f"{failed.error_code}: {failed.error}" if failed.error_code else str(failed.error)
    return [
        Finding(
            Code.BASE_RUN_FAILED,
            f"the base config cannot be reproduced: its pulumi up fails at {failed.name} ({failed.op}): {why}; "
            "what this review says the change does is measured from the state that run left",
            resources=(failed.name,),
        )
    ]


def api_switch_warnings(base: State, new: State, report: SimulationReport) -> list[Finding]:
    """``provisioning-api-on``: the change declares the connection and ``USER_PROVISIONING``
    through Okta's API (``provisioning: manual`` -> ``api``). The review's run is on an org
    whose connection Okta serves (``ENABLED``); this runs the change again on one where Okta
    answers ``UNKNOWN`` (the README: most likely for this catalog app; docs/provider-semantics.md
    row 6) and says what each does."""
    if new.plan.one(provider.CONNECTION) is None or base.plan.one(provider.CONNECTION) is not None:
        return []
    unknown = simulate_states(new, base, connection_api=False)
    enabled = report.update_failed
    on_enabled = (
        "pulumi up succeeds and Okta provisions Own through the API connection"
        if enabled is None
        else f"pulumi up fails at {enabled.name}: {enabled.error}"
    )
    failed = unknown.update_failed
    on_unknown = (
        f"pulumi up fails at {failed.name} ({failed.op}): {failed.error}; every later pulumi up fails the same way "
        "until provisioning is back to manual"
        if failed is not None
        else "pulumi up succeeds, but the connection stays UNKNOWN: Okta provisions nobody through it"
    )
    return [
        Finding(
            Code.PROVISIONING_API_ON,
            "provisioning switches from manual to api: Okta serves the Connections and Features APIs for a short "
            f"list of catalog apps. Where Okta serves this app's connection (ENABLED): {on_enabled}. Where it "
            f"answers UNKNOWN (most likely for this app): {on_unknown}. Check the org after the first run with "
            "`python -m ownscim_infra verify CONFIG` (or `pulumi refresh`, then "
            "`pulumi stack output connectionStatus`: "
            "without a refresh it says ENABLED, which the provider sets itself), or keep provisioning: manual",
            resources=tuple(r.name for r in new.plan.resources if r.type == provider.CONNECTION),
        )
    ]


def not_guaranteed_split(new: State, report: SimulationReport) -> tuple[list[Finding], list[Finding]]:
    """``regions-not-guaranteed`` for NEW (:func:`~.findings.regions_not_guaranteed`), split in
    (the change's, already so): the change's are the people whose direct assignment the run
    creates or replaces (Okta decides the scope when the assignment is made, with the group
    already granting the app or not: the order of parallel steps is not defined); the others'
    are already so and never make the verdict."""
    ops = {s.name: s.op for s in report.changes}
    made = {
        okta_fold(str(r.inputs.get("username", "")))
        for r in new.plan.resources
        if r.type == provider.APP_USER and ops.get(r.name) in (Op.CREATE, Op.REPLACE)
    }
    found = regions_not_guaranteed(new.plan.config, new.directory, declared_members(new.plan, new.directory))
    return [f for f in found if okta_fold(f.logins[0]) in made], [
        f for f in found if okta_fold(f.logins[0]) not in made
    ]


# --------------------------------------------------------------------------- the review


def verdict_of(
    report: SimulationReport, warnings: list[Finding], orders: OrderDependence | None = None
) -> tuple[str, list[str]]:
    """``(verdict, reasons)`` of a change (see the module docstring); ``warnings`` are the
    change's (its own and its run's findings, without those BASE's run already had)."""
    failed = report.update_failed
    if failed is not None:
        code = failed.error_code
        why = f" ({code}: see the warnings)" if code else f": {failed.error}"
        return BLOCKED, [f"pulumi up fails at {failed.name}{why}"]
    orders = orders or OrderDependence()
    for outcome in orders.failures[:1]:
        step = outcome.report.update_failed
        if step is None:  # failures holds failed runs only
            continue
        code = f" ({step.error_code})" if step.error_code else ""
        return BLOCKED, [
            f"pulumi up fails at {step.name}{code} in one order of the steps Pulumi runs in parallel "
            f"({' before '.join(outcome.order)}): see 'Depends on the order'"
        ]
    reasons = []
    if orders.people:
        reasons.append(
            f"{_people(len(orders.people))} {'ends' if len(orders.people) == 1 else 'end'} differently in Own "
            "depending on the order Pulumi runs "
            "parallel steps: see 'Depends on the order'"
        )
    elif orders.groups and not orders.complete:
        reasons.append("order-dependent, not all orders explored: parallel steps touch the same people")
    for kind in sorted(_DISRUPTIVE, key=list(CHANGE_KINDS).index):
        who = [u.login for u in report.users if kind in u.changes]
        if who:
            reasons.append(f"{_people(len(who))} {CHANGE_KINDS[kind]}")
    differ = [u.login for u in report.users if not u.ok and not u.already]
    if differ:
        reasons.append(f"{_people(len(differ))} not as the new config means in Own")
    codes = list(dict.fromkeys(w.code for w in warnings))
    if codes:
        reasons.append("warnings: " + ", ".join(codes))
    if reasons:
        return ATTENTION, reasons
    provisioned = sum(ChangeKind.PROVISIONED in u.changes for u in report.users)
    if provisioned:
        return SAFE, [f"{_people(provisioned)} created in Own; nobody loses access or changes regions"]
    return SAFE, ["nobody's access or regions change in Own"]


def _people(n: int) -> str:
    return f"{n} person" if n == 1 else f"{n} people"


def review(
    base_config: str | Path,
    new_config: str | Path,
    directory: str | Path,
    *,
    base_directory: str | Path | None = None,
    deactivation: Deactivation = "remove",
    progress: Progress | None = None,
    console: str | Path | None = None,
    refresh: bool = False,
    replace: Sequence[str] = (),
) -> Review:
    """Review ``base_config`` -> ``new_config`` for the Okta users of ``directory`` (and of
    ``base_directory`` before the change, default the same). ``deactivation``: what Own does
    with a deactivated user (:class:`~ownscim_infra.receiver.settings.ReceiverSettings`):
    ``remove``, as Own documents it (a move re-creates the user), or ``keep``.

    :raises ConfigError: a config or a directory is invalid (every problem listed), or a
        configured person is not in the directory.

    ``console`` (a console file: Admin Console actions after BASE's run), ``refresh``
    (``pulumi up --refresh``) and ``replace`` (``--replace`` targets) run NEW's ``pulumi up``
    as :func:`~.simulate.simulate` does (read into one :class:`~.simulate.DayTwo`); the
    report's drift says what Okta holds against NEW.
    """
    base = load_state(base_config, base_directory or directory)
    new = load_state(new_config, directory, base, previous=base)  # the program reads BASE's run's outputs back
    day_two = DayTwo.read(new, console=console, refresh=refresh, replace=replace)
    with change_runs(new, base, deactivation=deactivation, progress=progress, day_two=day_two) as run:
        report = run(None)
        orders = explore_orders(report, run)
    introduced, already_plan = plan_warnings(base, new, report)
    failed_base = base_failure(report)
    change = (
        failed_base
        + change_warnings(base.plan, new.plan, report, new.directory)
        + api_switch_warnings(base, new, report)
        + rule_change_findings(base.plan.config, new.plan.config, new.directory)
        + rule_timing_warnings(report)
        + introduced
    )
    had = {(f.code, f.message) for f in [*report.previous_findings, *typo_findings(base.plan.config, base.directory)]}
    run_findings = [f for f in report.findings if (f.code, f.message) not in had]
    already_warnings = [f for f in report.findings if (f.code, f.message) in had]
    already_warnings += [f for f in already_plan if (f.code, f.message) not in had]
    caveats, already_caveats = not_guaranteed_split(new, report)
    run_findings += caveats
    already_warnings += already_caveats
    verdict, reasons = verdict_of(report, change + run_findings, orders)
    if failed_base:
        reasons = [failed_base[0].message, *reasons]
    return Review(
        base=str(base_config),
        new=str(new_config),
        verdict=verdict,
        reasons=reasons,
        report=report,
        warnings=change + run_findings,
        groups_before=group_rows(base.plan),
        groups_after=group_rows(new.plan),
        regions_before=list(base.plan.config.regions),
        regions_after=list(new.plan.config.regions),
        already_warnings=already_warnings,
        orders=orders,
        console=None if console is None else str(console),
    )


# --------------------------------------------------------------------------- rendering

#: The title of the section of the orders of the parallel steps.
ORDER_TITLE = "Depends on the order of parallel steps"
#: The title of the section of what was so before the change.
ALREADY_TITLE = "Already so before this change"
#: What the console actions did in Own, said apart from the change (Own's "before" is after them).
CONSOLE_IN_OWN = "What Okta did in Own in reaction to them, before NEW's run (not the change's doing)"
#: Lists longer than this fold into a collapsible section in Markdown.
FOLD_AFTER = 10


def _own(own: OwnState | None) -> str:
    if own is None:
        return "absent"
    return f"{'active' if own.active else 'inactive'}, {', '.join(own.regions) or 'no regions'}"


def _person_row(u: UserResult) -> list[str]:
    return [u.login, ", ".join(u.changes) or "no change", _own(u.before), _own(u.own), u.expected.render()]


def _markdown_row(u: UserResult) -> list[str]:
    """A person's Markdown row: the change with its cause, Own before and after, what the
    config means, why it is not as meant, and what to do. What a re-creation resets is the
    action, and said once under the table (:data:`RE_CREATED_ALTERNATIVE`): a row stays short
    enough for a 3,000-person change to fit a job summary (1 MiB)."""
    why = [] if u.ok else _why(u)
    return [
        u.login,
        u.change_text() or "no change",
        _own(u.before),
        _own(u.own),
        u.expected.render(),
        "; ".join(why),
        u.action or "-",
    ]


def _person_lines(u: UserResult) -> list[str]:
    """The lines under a person's row in the text: the change with its cause, what to do, why."""
    lines = [] if not u.changes else [u.change_text(), f"what to do: {u.action}"]
    return lines + _why(u)


def _why(u: UserResult) -> list[str]:
    """Why a person is not as the new config means (Own's state itself is in the row), and what
    a re-creation in Own resets (role, business unit), which a reviewer must know in any case."""
    if u.ok:
        return [r.text for r in u.reasons if r.kind == ReasonKind.RE_CREATED]
    return [r.text for r in u.reasons if r.kind != ReasonKind.REGIONS]


def _re_created(people: list[UserResult]) -> bool:
    """Whether someone of ``people`` is re-created in Own (the alternative is then named once)."""
    return any(ChangeKind.RE_CREATED in u.changes for u in people)


_PEOPLE_HEADER = ["Person", "Change", "Own before", "Own after", "The new config means"]
_MARKDOWN_PEOPLE_HEADER = [*_PEOPLE_HEADER, "Why", "What to do"]
_RESOURCE_HEADER = ["Op", "Resource", "Type", "Changed", "Status"]


def _resource_row(step: Step) -> list[str]:
    status = str(step.status) + (" (see the warnings)" if step.error else "")
    return [str(step.op), step.name, step.type.rsplit(":", 1)[-1], changed_summary(step), status]


def render_text(rv: Review, width: int | None = None, *, show_all: bool = False) -> str:
    """The review for a terminal; tables fit ``width`` columns (``None``: as wide as needed);
    ``show_all``: every person, not only those the change affects."""
    from ownscim_infra.domain.tables import aligned, wrapped

    people = rv.people(show_all)
    title = f"Everyone ({len(people)}):" if show_all else f"People the change affects ({len(people)}):"
    out = [
        *wrapped(f"Review of {rv.base} -> {rv.new}", width),
        *wrapped(f"Verdict: {rv.verdict.upper()}: " + "; ".join(rv.reasons), width),
        *_console_text(rv, width),
        "",
        title,
    ]
    if people:
        out += aligned(_PEOPLE_HEADER, [_person_row(u) for u in people], "  ", max_width=width)
    else:
        out.append("  nobody: the change provisions, moves or deactivates no one in Own")
    for u in people:
        lines = _person_lines(u)
        if lines:
            out.append(f"  {u.login}:")
            for line in lines:
                out += wrapped(f"- {line}", width, "    ")
    if _re_created(people):
        out += wrapped(RE_CREATED_ALTERNATIVE, width, "  ")
    out += ["", f"Resources (what pulumi up does: {len(rv.resources)} change(s)):"]
    if rv.resources:
        out += aligned(_RESOURCE_HEADER, [_resource_row(c) for c in rv.resources], "  ", max_width=width)
    else:
        out.append("  none: the state already matches the program")
    out += ["", "Warnings:"]
    for w in rv.warnings:
        out += wrapped(f"- [{w.code}] {w.message}", width, "  ")
        for step in w.steps:
            out += wrapped(step, width, "      ")
    if not rv.warnings:
        out.append("  none")
    out += _order_lines(rv, lambda text, indent: wrapped(text, width, indent))
    out += _already_text(rv, width)
    out += ["", *drift_lines(rv.report, width)] if rv.report.next_run is not None and rv.report.drift else []
    return "\n".join(out) + "\n"


def _console_text(rv: Review, width: int | None) -> list[str]:
    """The console file's line and its actions, one a line (``[]`` without ``--console``)."""
    from ownscim_infra.domain.tables import wrapped

    head = rv.console_head()
    if head is None:
        return []
    out = [*wrapped(head, width), *(line for a in rv.report.console for line in wrapped(f"- {a}", width, "  "))]
    if rv.report.console:
        out += wrapped(CONSOLE_IN_OWN + (":" if rv.report.console_changes else ": nobody"), width)
        out += [line for text in rv.report.console_changes for line in wrapped(f"- {text}", width, "  ")]
    return out


def _console_markdown(rv: Review) -> list[str]:
    """:func:`_console_text` in Markdown: a paragraph, then a list (and a blank line)."""
    head = rv.console_head()
    if head is None:
        return []
    actions = [f"- {markdown.prose(a)}" for a in rv.report.console]
    if not actions:
        return [markdown.prose(head), ""]
    in_own = [f"- {markdown.prose(text)}" for text in rv.report.console_changes]
    said = markdown.prose(CONSOLE_IN_OWN + (":" if in_own else ": nobody"))
    return [markdown.prose(head), "", *actions, "", said, *([""] if in_own else []), *in_own, ""]


def _already_text(rv: Review, width: int | None) -> list[str]:
    """The text of the 'Already so before this change' section (``[]`` when empty)."""
    from ownscim_infra.domain.tables import aligned, wrapped

    if not rv.already and not rv.already_warnings:
        return []
    out = ["", f"{ALREADY_TITLE} (not the change's doing; not in the verdict):"]
    if rv.already:
        out += aligned(_PEOPLE_HEADER, [_person_row(u) for u in rv.already], "  ", max_width=width)
    for u in rv.already:
        out.append(f"  {u.login}:")
        for line in _why(u):
            out += wrapped(f"- {line}", width, "    ")
    for w in rv.already_warnings:
        out += wrapped(f"- [{w.code}] {w.message}", width, "  ")
    return out


def _order_lines(rv: Review, wrap: Callable[[str, str], list[str]]) -> list[str]:
    """The 'Depends on the order' section's lines (a blank and a title first), ``[]`` when the
    run has no parallel steps that touch a same person."""
    orders = rv.orders
    if not orders.groups:
        return []
    out = ["", f"{ORDER_TITLE}:"]
    explored = f"{len(orders.outcomes)} order(s) explored"
    out += wrap(f"- {explored}" + ("" if orders.complete else ", not all orders explored"), "")
    for failed in orders.failures:
        step = failed.report.update_failed
        if step is not None:
            label = " before ".join(failed.order)
            out += wrap(f"- {label}: pulumi up fails at {step.name}: {step.error}", "")
    for login, found in orders.people.items():
        out += wrap(f"- {login}:", "")
        for order, u in found:
            how = " before ".join(order)
            out += wrap(
                f"- {how}: {_own(u.own)} ({', '.join(u.changes) or 'no change'}; "
                f"{'as' if u.ok else 'not as'} the new config means)",
                "    ",
            )
    if orders.depends or not orders.complete:
        out += wrap(f"- {orders.advice()}", "")
    elif orders.complete:
        out += wrap("- every order ends the same", "")
    return out


def _folded(title: str, lines: list[str], count: int) -> list[str]:
    if count <= FOLD_AFTER:
        return lines
    return ["<details>", f"<summary>{title} ({count})</summary>", "", *lines, "", "</details>"]


def render_markdown(rv: Review, *, show_all: bool = False) -> str:
    """The review for a pull-request comment (GitHub-flavoured Markdown: tables, collapsible
    sections for long lists, Mermaid diagrams of group -> regions before and after);
    ``show_all``: every person, not only those the change affects."""
    people = rv.people(show_all)
    icon = {SAFE: "✅", ATTENTION: "⚠️", BLOCKED: "⛔"}[rv.verdict]
    out = [
        f"## Review of {markdown.code(rv.new)} against {markdown.code(rv.base)}",
        "",
        f"**{icon} {rv.verdict.upper()}**: " + markdown.prose("; ".join(rv.reasons)),
        "",
        *_console_markdown(rv),
        "### People",
        "",
    ]
    if people:
        rows = [_markdown_row(u) for u in people]
        out += _folded("People", markdown.table(_MARKDOWN_PEOPLE_HEADER, rows), len(people))
        if _re_created(people):
            out += ["", markdown.prose(RE_CREATED_ALTERNATIVE)]
    else:
        out.append("Nobody changes in Own.")
    out += ["", "### Resources (what `pulumi up` does)", ""]
    if rv.resources:
        rows = [_resource_row(c) for c in rv.resources]
        out += _folded("Resources", markdown.table(_RESOURCE_HEADER, rows), len(rows))
    else:
        out.append("No change: the state already matches the program.")
    out += ["", "### Warnings", ""]
    for w in rv.warnings:
        out.append(f"- **{w.code}**: {markdown.prose(w.message)}")
        out += [f"  - {markdown.prose(step)}" for step in w.steps]
    if not rv.warnings:
        out.append("None.")
    lines = _order_lines(rv, lambda text, indent: [indent + markdown.prose(text)])
    if lines:
        out += ["", f"### {ORDER_TITLE}", *lines[2:]]
    if rv.already or rv.already_warnings:
        out += ["", f"### {ALREADY_TITLE}", "", "Not the change's doing, and not in the verdict.", ""]
        if rv.already:
            rows = [_markdown_row(u) for u in rv.already]
            out += _folded("People", markdown.table(_MARKDOWN_PEOPLE_HEADER, rows), len(rows))
        out += [f"- **{w.code}**: {markdown.prose(w.message)}" for w in rv.already_warnings]
    out += ["", "### Groups -> regions", "", "Before:", ""]
    out += mermaid_groups(rv.groups_before, rv.regions_before)
    out += ["", "After:", ""]
    out += mermaid_groups(rv.groups_after, rv.regions_after)
    out += [
        "",
        "<sub>Offline review (ownscim-infra): the Pulumi engine, the okta provider and Okta emulated; "
        "Own's endpoint played by a SCIM receiver. docs/provider-semantics.md cites each behaviour.</sub>",
        "",
    ]
    return "\n".join(out)


def render_json(rv: Review, *, show_all: bool = False) -> str:
    """The machine format: sorted keys, two-space indent, trailing newline."""
    return json.dumps(rv.to_json(show_all), indent=2, sort_keys=True) + "\n"
