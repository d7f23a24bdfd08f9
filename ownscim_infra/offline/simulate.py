"""End to end, offline: from the declared Okta resources to users in Own's regions.

``python -m ownscim_infra simulate [CONFIG] [--directory FILE] [--receiver URL]
[--previous CONFIG [--previous-directory FILE]] [--format text|json]``

1. The Pulumi program runs under the mock runtime (:func:`ownscim_infra.offline.plan.build_plan`).
2. Okta's side is emulated from the *declared* resources (:mod:`ownscim_infra.offline.okta_emulator`),
   never from the YAML, and drives a SCIM receiver exactly as Okta's SCIM client does. With
   no ``--receiver`` it starts :mod:`ownscim_infra.receiver` on a free port of 127.0.0.1 with
   a temporary database and the config's regions; with ``--receiver URL`` the token comes
   from ``OWN_SCIM_TOKEN``.
3. Own's state is read back through SCIM (Own's extension schema) and compared with what the
   *config* means: so a bug in the program, or a silent misconfiguration, shows as a
   difference with its cause.

With ``--previous``, the previous config (and directory) is provisioned first, then the
change to the current one is applied the way ``pulumi up`` would: assignments that are
replaced delete-before-replace are removed first (Okta deactivates), then the new state is
assigned. This is how Own's region move (unassign, then assign) is exercised.

Exit codes: 0 every user as the config means and no finding; 1 otherwise (each difference
and finding says why); 2 bad input (config, directory, missing token).
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
from collections.abc import Callable
from contextlib import ExitStack, closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ownscim_infra.config import ConfigError, ConfigIssue, OwnScimConfig
from ownscim_infra.config.directory import Directory, load_directory
from ownscim_infra.domain.errors import InputError
from ownscim_infra.domain.own_setup import (
    DEFAULT_BUSINESS_UNIT,
    OWN_CAPABILITIES,
    READ_ONLY_ROLE,
    REGIONS_ATTRIBUTE,
    REGIONS_NAMESPACE,
    okta_fold,
)
from ownscim_infra.domain.tables import DEFAULT_WIDTH, aligned, wrapped
from ownscim_infra.offline.engine import assignments_held
from ownscim_infra.offline.findings import Finding, typo_findings
from ownscim_infra.offline.okta_emulator import (
    Exchange,
    OktaApp,
    OktaEmulator,
    OktaScimClient,
    ReceiverError,
    ResolvedAssignment,
    resolve,
)
from ownscim_infra.offline.okta_org import OktaOrg
from ownscim_infra.offline.plan import Plan, build_plan, not_in_directory
from ownscim_infra.offline.rollout import Progress, Rollout
from ownscim_infra.receiver.settings import OWN_USER_SCHEMA, TOKEN_ENV

# --------------------------------------------------------------------------- what the config means


@dataclass(frozen=True)
class Expected:
    """What the config means for one user in Own: ``state`` is ``active`` (with
    ``regions``), ``inactive`` (was assigned, no longer: deactivated, not deleted) or
    ``absent`` (never assigned); ``via`` says which config entry decides."""

    state: str
    regions: tuple[str, ...] = ()
    via: str = ""

    def render(self) -> str:
        """``active in us1, emea2``, ``inactive`` or ``absent``."""
        return f"active in {', '.join(self.regions)}" if self.state == "active" else self.state


class _ConfigAnswer:
    """The config's answer for each user: a person's entry (the config's logins folded, one
    lookup), else the first group (in priority order) the user is in. Built once a config, so
    that answering every user of a directory is linear in the users and their groups.
    ``renamed``: a created group's folded name -> the folded names it had before under the
    same ``key`` (Okta renamed it in place: a directory that lists the old name means it)."""

    def __init__(self, config: OwnScimConfig, renamed: dict[str, set[str]] | None = None) -> None:
        self.people: dict[str, tuple[tuple[str, ...], str]] = {}
        for person in config.people:
            self.people.setdefault(
                okta_fold(person.login), (tuple(config.regions_of(person.regions)), "people: " + person.login)
            )
        self.groups = [(tuple(g.regions), "groups: " + g.name) for g in config.groups]  # list order is priority
        #: folded name -> the first group (by priority) that has it
        self.first: dict[str, int] = {}
        for position, g in enumerate(config.groups):
            for name in {okta_fold(g.name)} | (renamed or {}).get(okta_fold(g.name), set()):
                self.first.setdefault(name, position)

    def __call__(self, login: str, groups: list[str]) -> tuple[tuple[str, ...], str] | None:
        """(regions, which entry) for the user ``login`` in ``groups``, or None when unassigned."""
        person = self.people.get(okta_fold(login))
        if person is not None:
            return person
        hits = [self.first[name] for name in {okta_fold(g) for g in groups} if name in self.first]
        return self.groups[min(hits)] if hits else None


def _renamed(config: OwnScimConfig, before: OwnScimConfig) -> dict[str, set[str]]:
    """Created groups renamed in place: same ``key``, another name (see :class:`_ConfigAnswer`)."""
    old = {g.resource_key: okta_fold(g.name) for g in before.groups if g.create}
    return {
        okta_fold(g.name): {old[g.resource_key]}
        for g in config.groups
        if g.create and g.resource_key in old and old[g.resource_key] != okta_fold(g.name)
    }


def expectations(
    config: OwnScimConfig, directory: Directory, previous: tuple[OwnScimConfig, Directory] | None = None
) -> dict[str, Expected]:
    """``{login: Expected}`` for every directory user and every previously assigned one
    (keyed by the current directory's spelling of the login, else the previous one's; logins
    compare as Okta compares them). A config that declares no assignment yet (``manual``
    before ``manual_steps_done``) assigns nobody."""
    result: dict[str, Expected] = {}
    answer = _ConfigAnswer(config, _renamed(config, previous[0]) if previous else {})
    if config.assignments_declared:
        for user in directory.users:
            now = answer(user.login, user.groups)
            if now:
                result[user.login] = Expected("active", now[0], now[1])
    if previous and previous[0].assignments_declared:
        prev_config, prev_directory = previous
        assigned_now = {okta_fold(login) for login in result}
        answer_before = _ConfigAnswer(prev_config)
        for user in prev_directory.users:
            if okta_fold(user.login) not in assigned_now and answer_before(user.login, user.groups):
                spelled = (directory.user(user.login) or user).login  # as the new directory writes it
                result[spelled] = Expected("inactive", via="unassigned since the previous config")
    absent = "not assigned" if config.assignments_declared else "no assignment until app.manual_steps_done"
    for user in directory.users:
        result.setdefault(user.login, Expected("absent", via=absent))
    return result


# --------------------------------------------------------------------------- Own's state


@dataclass(frozen=True)
class OwnState:
    """A user as the receiver holds it (read through SCIM, Own's extension schema)."""

    active: bool
    regions: tuple[str, ...]
    role: str | None
    business_unit: str | None

    def render(self) -> str:
        """``active, us1, emea2``; the role and the business unit only when they are not
        Own's (``Read-only`` in ``Default Business Unit``): ``active, us1, role Admin``."""
        parts = ["active" if self.active else "inactive", ", ".join(self.regions) or "no regions"]
        if self.role != READ_ONLY_ROLE:
            parts.append(f"role {self.role}")
        if self.business_unit != DEFAULT_BUSINESS_UNIT:
            parts.append(f"business unit {self.business_unit}")
        return ", ".join(parts)


def read_own_state(reader: OktaScimClient, login: str) -> OwnState | None:
    """Look ``login`` up through SCIM and read Own's extension (regions, role, business unit)."""
    found = reader.find(login)
    if found is None:
        return None
    own = found.get(OWN_USER_SCHEMA) or {}
    regions = own.get("regions") or [] if isinstance(own, dict) else None
    if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
        raise ReceiverError(
            f"the receiver at {reader.base_url} answered a user lookup with {OWN_USER_SCHEMA} that is not "
            'Own\'s extension ({"regions": [...], "role": ..., "businessUnit": ...})'
        )
    return OwnState(bool(found.get("active", True)), tuple(regions), own.get("role"), own.get("businessUnit"))


# --------------------------------------------------------------------------- findings


def findings_of(app: OktaApp) -> list[Finding]:
    """The silent mistakes, read from the app as Okta holds it: the ``regions`` attribute
    missing or not as Own's setup page says, Update User Attributes enabled or Create or
    Deactivate Users off while someone is assigned, two group assignments with the same
    priority."""
    found: list[Finding] = []
    attr = app.attribute
    if attr is None and app.assignments:
        found.append(
            Finding(
                "regions-attribute-missing",
                "no regions attribute is declared: Okta sends no regions and Own creates every user "
                "in all of the account's regions",
            )
        )
    elif attr is not None:
        if attr.external_namespace != REGIONS_NAMESPACE:
            found.append(
                Finding(
                    "regions-namespace",
                    f"the regions attribute's externalNamespace is {attr.external_namespace!r}; Own's setup "
                    f"page requires {REGIONS_NAMESPACE!r} (no ':User' suffix). Okta places the value by "
                    "namespace, so Own may not read it and may create users in all regions",
                )
            )
        if attr.external_name != REGIONS_ATTRIBUTE:
            found.append(
                Finding(
                    "regions-external-name",
                    f"the regions attribute's externalName is {attr.external_name!r}; Own reads {REGIONS_ATTRIBUTE!r}",
                )
            )
        if attr.scope != "NONE":
            found.append(
                Finding(
                    "regions-scope",
                    f"the regions attribute's scope is {attr.scope!r}; group assignments can only carry "
                    "an attribute of scope NONE",
                )
            )
    for capability, wanted in OWN_CAPABILITIES.items() if app.assignments else ():
        have = app.capabilities.get(capability, "DISABLED")
        if have != wanted:
            label = {
                "lifecycleCreate": "Create Users",
                "lifecycleDeactivate": "Deactivate Users",
                "profile": "Update User Attributes",
                "password": "Sync Password",
            }[capability]
            why = "Own does not support it" if wanted == "DISABLED" else "Own's setup page requires it"
            found.append(
                Finding(
                    f"capability-{capability}",
                    f"{label} ({capability}) is {have} in the {app.capabilities_source}; it must be {wanted}: {why}",
                )
            )
    by_priority: dict[int, list[str]] = {}
    for a in app.groups:
        by_priority.setdefault(a.priority or 0, []).append(a.group or "")
    for priority, groups in sorted(by_priority.items()):
        if len(groups) > 1:
            found.append(
                Finding(
                    "priority-tie",
                    f"groups {', '.join(repr(g) for g in groups)} have the same priority {priority}: for a "
                    "user in both, Okta's choice of regions is undefined",
                )
            )
    return found


# --------------------------------------------------------------------------- the run


@dataclass
class UserResult:
    """One user's line of the report."""

    login: str
    assignment: str
    regions_sent: str | None  # None: no value (all regions), or nothing sent (see ``sent``)
    sent: bool  # whether Okta sent a create or a profile push for this user
    own: OwnState | None
    expected: Expected
    ok: bool
    reasons: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    #: with ``--previous``: Own's state after the previous config's run (``None``: absent)
    before: OwnState | None = None
    #: with ``--previous``: what the change did to the user (:func:`change_kinds`), ``[]``: nothing
    changes: list[str] = field(default_factory=list)


@dataclass
class SimulationReport:
    """Everything the command prints. ``ok``: every user as the config means, no finding."""

    config: str
    directory: str
    previous: str | None
    receiver: str
    receiver_started_here: bool
    capabilities: dict[str, str]
    capabilities_source: str
    attribute: dict[str, str] | None
    users: list[UserResult]
    findings: list[Finding]
    #: findings of the previous config's run (``--previous``): already true before the change
    previous_findings: list[Finding] = field(default_factory=list)
    #: the emulated ``pulumi up`` of the config (after the previous config's, with ``--previous``):
    #: one entry a resource of the previous and the new program (:meth:`engine.Step.to_json`)
    changes: list[dict[str, Any]] = field(default_factory=list)
    #: what Okta holds after the run: ``{"groupAssignments": [{"group", "priority"}]}``
    okta: dict[str, Any] = field(default_factory=dict)
    #: the step ``pulumi up`` fails at (``"name: error"``), or ``None``
    update_failed: str | None = None

    @property
    def ok(self) -> bool:
        """Every user as the config means, and no finding (of either run)."""
        return not self.findings and not self.previous_findings and all(u.ok for u in self.users)

    @property
    def changed_users(self) -> list[UserResult]:
        """With ``--previous``: the users the change did something to."""
        return [u for u in self.users if u.changes]

    def to_json(self) -> dict[str, Any]:
        """The ``json`` format's document: the fields in camelCase (``regionsSent``,
        ``updateFailed``), as ``plan`` and ``review`` write theirs, plus ``ok``."""
        doc = asdict(self, dict_factory=_camel_fields)
        doc["ok"] = self.ok
        return doc


def camel_case(text: str) -> str:
    """``regions_sent`` -> ``regionsSent``, ``needs attention`` -> ``needsAttention``: the JSON
    formats' key (and code) style."""
    head, *rest = re.split(r"[_\- ]", text)
    return head + "".join(word.capitalize() for word in rest)


def _camel_fields(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """:func:`dataclasses.asdict`'s ``dict_factory``: field names in camelCase (the values'
    own dictionaries, Okta's and the engine's, are camelCase already and left as they are)."""
    return {camel_case(key): value for key, value in items}


@dataclass(frozen=True)
class State:
    """One state of Okta: the program's plan for a config, and the directory."""

    plan: Plan
    directory: Directory
    directory_file: str = ""


def _compare(expected: Expected, own: OwnState | None) -> list[str]:
    if expected.state == "absent":
        return [] if own is None else [f"Own holds the user ({own.render()}) but the config assigns it nowhere"]
    if own is None:
        return ["Own has no such user"]
    if expected.state == "inactive":
        return [] if not own.active else ["still active in Own after being unassigned"]
    problems = []
    if not own.active:
        problems.append("inactive in Own")
    if set(own.regions) != set(expected.regions):
        problems.append(
            f"Own holds regions {', '.join(own.regions) or 'none'}; the config means {', '.join(expected.regions)}"
        )
    if own.role != READ_ONLY_ROLE:
        problems.append(f"role {own.role!r}, not {READ_ONLY_ROLE!r}")
    if own.business_unit != DEFAULT_BUSINESS_UNIT:
        problems.append(f"business unit {own.business_unit!r}, not {DEFAULT_BUSINESS_UNIT!r}")
    return problems


def _relevant(finding: Finding, login: str, problems: list[str], app_user: ResolvedAssignment | None) -> bool:
    """Whether a finding can explain one user's problems (so it is named as their cause)."""
    if finding.code == "priority-tie":
        return bool(app_user and app_user.tied_with)
    if finding.logins:
        return okta_fold(login) in {okta_fold(x) for x in finding.logins}
    if finding.code == "priority-order":
        return bool(app_user and app_user.via.startswith("group "))
    # a wrong role or business unit alone is never caused by the Okta app's settings
    return any(not p.startswith(("role ", "business unit ")) for p in problems)


#: What a change may do to a person, in report order (:func:`change_kinds`).
CHANGE_KINDS = {
    "provisioned": "created in Own",
    "reactivated": "active again in Own",
    "deactivated": "deactivated in Own",
    "re-provisioned": "deactivated, then reactivated in Own (unassigned, then assigned again)",
    "moved": "in other regions in Own",
    "move-refused": "refused by Okta (E0000046): pulumi up fails",
    "move-not-in-own": "moved by the config, but Own keeps the old regions",
}


def change_kinds(
    before: OwnState | None,
    after: OwnState | None,
    meant_before: Expected | None,
    meant_after: Expected,
    requests: list[Exchange],
    *,
    blocked: bool = False,
) -> list[str]:
    """What a change did to one person in Own (keys of :data:`CHANGE_KINDS`), from Own's state
    before and after it, what the previous and the new config mean, and Okta's requests
    during the change's run. ``[]``: nothing."""
    kinds: list[str] = []
    was_active, is_active = bool(before and before.active), bool(after and after.active)
    if after is not None and before is None and is_active:
        kinds.append("provisioned")
    elif is_active and not was_active and before is not None:
        kinds.append("reactivated")
    if was_active and not is_active:
        kinds.append("deactivated")
    patches = [e for e in requests if e.method == "PATCH" and e.status < 400]
    if was_active and is_active and len(patches) >= 2:
        kinds.append("re-provisioned")
    if before is not None and after is not None and set(before.regions) != set(after.regions):
        kinds.append("moved")
    if blocked:
        kinds.append("move-refused")
    moves = (
        meant_before is not None
        and meant_before.state == "active"
        and meant_after.state == "active"
        and set(meant_before.regions) != set(meant_after.regions)
    )
    if moves and after is not None and set(after.regions) != set(meant_after.regions) and not blocked:
        kinds.append("move-not-in-own")
    return kinds


def _existing_groups(*states: State | None) -> list[str]:
    """The Okta groups that exist before any run: every group a directory lists, and every
    ``create: false`` group, except those a program creates."""
    created = {okta_fold(g.name) for st in states if st for g in st.plan.config.groups if g.create}
    names = [g for st in states if st for u in st.directory.users for g in u.groups]
    names += [g.name for st in states if st for g in st.plan.config.groups if not g.create]
    return [n for n in dict.fromkeys(names) if okta_fold(n) not in created]


def _user_reasons(
    key: str, own: OwnState | None, emulator: OktaEmulator, app_user: ResolvedAssignment | None
) -> list[str]:
    """Why Okta's provisioning left a user as it is (for a user whose state differs)."""
    reasons = [r for r in emulator.skipped.get(key, []) if own is not None or "in place" not in r]
    if app_user and app_user.tied_with:
        reasons.append(
            f"Okta's choice between {app_user.via} and {', '.join(app_user.tied_with)} (same priority) is undefined"
        )
    if key in emulator.reactivated and own and own.active:
        reasons.append(
            "Okta found the user deactivated and reactivated it (PATCH active:true); with "
            "Update User Attributes off no profile is pushed, so Own keeps the regions it "
            "created the user with"
        )
    elif key in emulator.linked and key not in emulator.sent and own and own.active:
        reasons.append(
            "Own already had this user: Okta linked it without sending anything, so Own "
            "keeps the regions it was created with"
        )
    return reasons


def run_simulation(
    current: State,
    base_url: str,
    token: str,
    *,
    previous: State | None = None,
    started_here: bool = False,
    connection_api: bool = True,
    progress: Progress | None = None,
    set_account_regions: Callable[[tuple[str, ...]], None] | None = None,
) -> SimulationReport:
    """``pulumi up`` of ``previous`` (if any) then of ``current`` on an emulated org, Okta's
    provisioning of Own after each step, then Own's state against what ``current``'s config
    means. Sends requests to ``base_url`` only.

    :param connection_api: whether Okta serves this app's connection through its API
        (:class:`.okta_org.OktaOrg`); only ``provisioning: api`` depends on it.
    :param progress: told how far each phase is (``simulate`` draws a bar on a terminal).
    :param set_account_regions: gives the receiver's Own account its regions (a receiver
        started here): ``previous``'s for its run, then those and ``current``'s, so that a
        region the change adds is not in Own before it (a user with every region keeps those
        it was created with).
    """
    with closing(OktaScimClient(base_url, token)) as okta, closing(OktaScimClient(base_url, token)) as reader:
        emulator = OktaEmulator(okta)
        org = OktaOrg((previous or current).directory, connection_api=connection_api)
        org.seed_groups(_existing_groups(current, previous))
        rollout = Rollout(org, emulator, progress=progress)
        previous_findings: list[Finding] = []
        before_own: dict[str, OwnState | None] = {}
        meant_before: dict[str, Expected] = {}
        if previous is not None:
            if set_account_regions is not None:
                set_account_regions(tuple(previous.plan.config.regions))
            first = rollout.up(previous.plan.resources, previous.plan.config, phase="pulumi up (previous config)")
            previous_findings = findings_of(rollout.app()) + first.findings
            meant_before = {okta_fold(k): v for k, v in expectations(previous.plan.config, previous.directory).items()}
            logins_before = [u.login for u in previous.directory.users] + [u.login for u in current.directory.users]
            before_own = {okta_fold(x): read_own_state(reader, x) for x in dict.fromkeys(logins_before)}
        if previous is not None and set_account_regions is not None:
            set_account_regions(tuple(dict.fromkeys([*previous.plan.config.regions, *current.plan.config.regions])))
        mark = len(okta.exchanges)
        # the change's pulumi up runs on Okta as it was; the new directory's memberships are the
        # admins' doing in Okta, after it (the program never changes memberships)
        run = rollout.up(current.plan.resources, current.plan.config, directory_after=current.directory)
        app = rollout.app()
        findings = findings_of(app) + run.findings + typo_findings(current.plan.config, current.directory)
        app_users = resolve(app, current.directory)
        wanted = expectations(
            current.plan.config, current.directory, (previous.plan.config, previous.directory) if previous else None
        )
        exchanges: dict[str, list[Exchange]] = {}
        in_run: dict[str, list[Exchange]] = {}
        for n, exchange in enumerate(okta.exchanges):
            exchanges.setdefault(okta_fold(exchange.login), []).append(exchange)
            if n >= mark:
                in_run.setdefault(okta_fold(exchange.login), []).append(exchange)
        blocked = {okta_fold(x) for f in findings if f.code == "assignment-blocked-by-group" for x in f.logins}
        logins = list(dict.fromkeys([u.login for u in current.directory.users] + list(wanted)))
        users = []
        for n, login in enumerate(logins, start=1):
            if progress is not None:
                progress("reading Own", n, len(logins))
            key = okta_fold(login)
            app_user = app_users.get(key)
            own = read_own_state(reader, login)
            problems = _compare(wanted[login], own)
            mine = exchanges.get(key, [])
            # a refused request is an error Okta shows for this user, even if Own's state is right
            problems += [f"receiver answered {e.render()}" for e in mine if e.status >= 400]
            reasons = list(problems)
            if problems:
                reasons += _user_reasons(key, own, emulator, app_user)
                reasons += [f"cause: {f.message}" for f in findings if _relevant(f, login, problems, app_user)]
                if run.result.failed is not None and key not in blocked:
                    reasons.append(f"pulumi up stopped at {run.result.failed.name}, before the rest of the change")
            sent = emulator.sent.get(key)
            users.append(
                UserResult(
                    login=login,
                    assignment=app_user.via if app_user else "not assigned",
                    regions_sent=(sent.regions if sent else None),
                    sent=sent is not None,
                    own=own,
                    expected=wanted[login],
                    ok=not problems,
                    reasons=list(dict.fromkeys(reasons)),
                    requests=[e.render() for e in mine],
                    before=before_own.get(key),
                    changes=[]
                    if previous is None
                    else change_kinds(
                        before_own.get(key),
                        own,
                        meant_before.get(key),
                        wanted[login],
                        in_run.get(key, []),
                        blocked=key in blocked,
                    ),
                )
            )
        attr = app.attribute
        failed = run.result.failed
        return SimulationReport(
            config=current.plan.config_file,
            directory=current.directory_file,
            previous=None
            if previous is None
            else f"{previous.plan.config_file} with directory {previous.directory_file}",
            receiver=base_url,
            receiver_started_here=started_here,
            capabilities=app.capabilities,
            capabilities_source=app.capabilities_source,
            attribute=None
            if attr is None
            else {
                "externalName": attr.external_name,
                "externalNamespace": attr.external_namespace,
                "scope": attr.scope,
            },
            users=users,
            findings=findings,
            previous_findings=previous_findings,
            changes=[step.to_json() for step in run.result.steps],
            okta={"groupAssignments": assignments_held(org, rollout.app_id)},
            update_failed=None if failed is None else f"{failed.name}: {failed.error}",
        )


# --------------------------------------------------------------------------- rendering


def _own_cell(own: OwnState | None) -> str:
    return own.render() if own else "absent"


def changed_summary(change: dict[str, Any]) -> str:
    """What a step changes, for a reader: the changed paths (``description``); for an
    assignment replaced by its ``replacementTrigger``, the declared values before and after
    (``regions us1 -> emea2``), which is what set the trigger off."""
    if change["paths"] == ["replacementTrigger"] and change.get("detail"):
        was, _, now = change["detail"].partition(" -> ")
        try:
            old, new = json.loads(was), json.loads(now)
        except ValueError:
            return str(change["detail"])
        if not isinstance(old, dict) or not isinstance(new, dict):
            return str(change["detail"])
        keys = sorted(set(old) | set(new))
        return ", ".join(f"{k} {old.get(k, '(none)')} -> {new.get(k, '(none)')}" for k in keys) or "profile"
    return ", ".join(change["paths"]) or "-"


def _changes_lines(report: SimulationReport, width: int | None) -> list[str]:
    """What the emulated ``pulumi up`` did: a count by operation, every step that is not
    ``same``, the failure, and the group order Okta holds after it."""
    counts: dict[str, int] = {}
    for change in report.changes:
        counts[change["op"]] = counts.get(change["op"], 0) + 1
    summary = ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "nothing declared"
    lines = [f"pulumi up (emulated engine and okta provider): {len(report.changes)} resource(s): {summary}"]
    rows = [[c["op"], c["name"], changed_summary(c), c["status"]] for c in report.changes if c["op"] != "same"]
    if rows:
        lines += aligned(["Op", "Resource", "Changed", "Status"], rows, indent="  ", max_width=width)
    else:
        lines.append("  no changes: the state already matches the program")
    if report.update_failed:
        lines += wrapped(f"pulumi up FAILS at {report.update_failed}", width)
    held = report.okta.get("groupAssignments") or []
    if held:
        text = "Okta holds the group assignments: " + ", ".join(f"{g['priority']} {g['group']}" for g in held)
        lines += wrapped(text, width)
    return lines


def _sent_cell(u: UserResult) -> str:
    if "re-provisioned" in u.changes or "reactivated" in u.changes:
        return "no regions: reactivated (PATCH)"
    if "deactivated" in u.changes:
        return "- (deactivated)"
    if u.assignment == "not assigned":
        return "-"
    if not u.sent:
        return "nothing sent (already in Own)"
    return "(none: all regions)" if u.regions_sent is None else u.regions_sent


def _people_lines(report: SimulationReport, width: int | None) -> list[str]:
    """The users table, then (with ``--previous``) what the change did to each person."""
    header = ["User", "Assignment", "Okta sends regions", "Own holds", "Config means", "Result"]
    rows = [
        [u.login, u.assignment, _sent_cell(u), _own_cell(u.own), u.expected.render(), "ok" if u.ok else "DIFFERS"]
        for u in report.users
    ]
    lines = [*aligned(header, rows, max_width=width), ""]
    if report.previous:
        changed = report.changed_users
        lines.append(f"What the change does to people in Own ({len(changed)} of {len(report.users)}):")
        if changed:
            rows = [[u.login, ", ".join(u.changes), _own_cell(u.before), _own_cell(u.own)] for u in changed]
            lines += aligned(["User", "Change", "Before", "After"], rows, indent="  ", max_width=width)
        else:
            lines.append("  nobody: Own holds the same users as before")
        lines.append("")
    return lines


def _findings_lines(report: SimulationReport, width: int | None) -> list[str]:
    lines = []
    for u in report.users:
        if not u.ok:
            lines.append(f"{u.login} differs:")
            for r in u.reasons:
                lines += wrapped(f"- {r}", width, "  ")
    if report.previous_findings:
        lines.append("Findings of the previous config (before the change):")
        for f in report.previous_findings:
            lines += wrapped(f"- [{f.code}] {f.message}", width, "  ")
    if report.findings:
        lines.append("Findings:")
        for f in report.findings:
            lines += wrapped(f"- [{f.code}] {f.message}", width, "  ")
            for step in f.steps:
                lines += wrapped(step, width, "      ")
    return lines


def render_text(report: SimulationReport, width: int | None = DEFAULT_WIDTH) -> str:
    """The report for a terminal: what ``pulumi up`` does, one row a user, then the reasons
    and the findings. Tables fit ``width`` columns (``None``: as wide as they take)."""
    caps = ", ".join(f"{k} {v}" for k, v in report.capabilities.items())
    attr = report.attribute
    header = [
        f"Simulation of {report.config} with directory {report.directory}",
        *([f"Applied as a change from {report.previous} (provisioned first)"] if report.previous else []),
        f"Receiver: {report.receiver}"
        + (" (started here, temporary database)" if report.receiver_started_here else ""),
        f"Okta provisioning ({report.capabilities_source}): {caps}",
        "regions attribute: "
        + (
            f"externalName {attr['externalName']}, externalNamespace {attr['externalNamespace']}, scope {attr['scope']}"
            if attr
            else "not declared"
        ),
    ]
    lines = [
        *(line for text in header for line in wrapped(text, width)),
        "",
        *_changes_lines(report, width),
        "",
        *_people_lines(report, width),
        *_findings_lines(report, width),
    ]
    ok_count = sum(u.ok for u in report.users)
    found = len(report.findings) + len(report.previous_findings)
    lines.append(
        f"{len(report.users)} users: {ok_count} as the config means, {len(report.users) - ok_count} differ; "
        f"{found} finding(s)"
    )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- command


def load_state(config_file: str | Path, directory_file: str | Path) -> State:
    """The plan of ``config_file`` and the directory of ``directory_file``.

    :raises ConfigError: either is invalid, or a person of the config is not in the directory
        (the program looks people up by login: ``pulumi up`` would fail).
    """
    plan = build_plan(config_file)
    dirs = load_directory(directory_file)
    missing = [p.login for p in plan.config.people if dirs.user(p.login) is None]
    if missing:
        raise ConfigError(
            directory_file,
            [
                ConfigIssue(
                    "users",
                    login,
                    f"the config's person {login!r} {not_in_directory(login, dirs)}",
                )
                for login in missing
            ],
        )
    return State(plan, dirs, str(directory_file))


def simulate(
    config: str | Path,
    directory: str | Path,
    *,
    receiver_url: str | None = None,
    token: str | None = None,
    previous: tuple[str | Path, str | Path] | None = None,
    business_unit: str = DEFAULT_BUSINESS_UNIT,
    progress: Progress | None = None,
) -> SimulationReport:
    """Build the plan(s), start a receiver unless ``receiver_url`` is given, run, report.

    :raises ConfigError: invalid config or directory, or a configured person missing from
        the directory. :raises InputError: ``receiver_url`` without ``token``.
    """
    current = load_state(config, directory)
    before = load_state(*previous) if previous else None
    return simulate_states(
        current, before, receiver_url=receiver_url, token=token, business_unit=business_unit, progress=progress
    )


def simulate_states(
    current: State,
    before: State | None = None,
    *,
    receiver_url: str | None = None,
    token: str | None = None,
    business_unit: str = DEFAULT_BUSINESS_UNIT,
    progress: Progress | None = None,
) -> SimulationReport:
    """:func:`simulate` of states already loaded (:func:`load_state`)."""
    with ExitStack() as stack:
        if receiver_url is None:
            from ownscim_infra.receiver import ReceiverSettings, serve_in_background

            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="ownscim-sim-"))
            token = secrets.token_urlsafe(24)
            # the account has every region either config names (a region may leave the config)
            regions = dict.fromkeys([*(before.plan.config.regions if before else []), *current.plan.config.regions])
            # durability "normal": the database is a temporary file deleted when the run ends, so a
            # flush to disk per commit (what "full" buys against a power loss) protects nothing
            settings = ReceiverSettings(
                regions=tuple(regions),
                token=token,
                db_path=Path(tmp) / "own.db",
                business_unit=business_unit,
                durability="normal",
            )
            handle = stack.enter_context(serve_in_background(settings))
            return run_simulation(
                current,
                handle.base_url,
                token,
                previous=before,
                started_here=True,
                progress=progress,
                set_account_regions=handle.app.set_account_regions,
            )
        if not token:
            raise InputError(f"--receiver needs Own's SCIM token in {TOKEN_ENV}")
        return run_simulation(current, receiver_url, token, previous=before, progress=progress)
