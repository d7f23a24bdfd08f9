"""The simulation's report: each user as Own holds it against what the config means, why, and
what a change did to them; the run's steps and findings.

The model only: built by :func:`ownscim_infra.offline.simulate.run_simulation` from Own's
state (read through SCIM) and from what Okta's provisioning recorded as it worked
(:class:`~.okta_provisioning.ProvisioningEvent`, folded here by :func:`fold_events`);
rendered by :mod:`.report_text` (and by :mod:`.review`), or as JSON by
:meth:`SimulationReport.to_json`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ownscim_infra.domain.findings import Code, Finding
from ownscim_infra.domain.own_setup import DEFAULT_BUSINESS_UNIT, READ_ONLY_ROLE, okta_fold
from ownscim_infra.domain.repairs import Drift
from ownscim_infra.offline.expectations import Expected, Meaning
from ownscim_infra.offline.okta_provisioning import EventKind, ProvisioningEvent, ResolvedAssignment
from ownscim_infra.offline.steps import Step


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

    def to_json(self) -> dict[str, Any]:
        """``{"active", "regions", "role", "businessUnit"}``."""
        return {
            "active": self.active,
            "regions": list(self.regions),
            "role": self.role,
            "businessUnit": self.business_unit,
        }


class ReasonKind(StrEnum):
    """What a :class:`Reason` is about."""

    #: Own's state is not what the config means (absent, present, active, inactive)
    STATE = "state"
    #: Own holds other regions than the config means
    REGIONS = "regions"
    #: Own's role is not ``Read-only``
    ROLE = "role"
    #: Own's business unit is not the default one
    BUSINESS_UNIT = "business unit"
    #: the receiver refused one of Okta's requests
    REFUSED = "refused"
    #: Okta's provisioning did not act (a setting stopped it)
    SKIPPED = "skipped"
    #: the user's groups tie on priority
    TIE = "tie"
    #: Okta reactivated the user without pushing a profile
    REACTIVATED = "reactivated"
    #: Okta linked a user Own already had, sending nothing
    LINKED = "linked"
    #: Own removed the account on deactivation and Okta created it anew: role and unit reset
    RE_CREATED = "re-created"
    #: a finding that explains it
    CAUSE = "cause"
    #: pulumi up stopped before the rest of the change
    STOPPED = "stopped"


@dataclass(frozen=True)
class Reason:
    """One line of why a user is as it is: its ``kind`` and its ``text`` (for a reader)."""

    kind: ReasonKind
    text: str


class ChangeKind(StrEnum):
    """What a change may do to a person, in report order (:data:`CHANGE_KINDS`)."""

    PROVISIONED = "provisioned"
    REACTIVATED = "reactivated"
    DEACTIVATED = "deactivated"
    RE_PROVISIONED = "re-provisioned"
    RE_CREATED = "re-created"
    MOVED = "moved"
    MOVE_REFUSED = "move-refused"
    MOVE_NOT_IN_OWN = "move-not-in-own"


#: What each :class:`ChangeKind` means, for a reader.
CHANGE_KINDS: dict[ChangeKind, str] = {
    ChangeKind.PROVISIONED: "created in Own",
    ChangeKind.REACTIVATED: "active again in Own",
    ChangeKind.DEACTIVATED: "deactivated in Own",
    ChangeKind.RE_PROVISIONED: "deactivated, then reactivated in Own (unassigned, then assigned again)",
    ChangeKind.RE_CREATED: "removed from Own and created anew (unassigned, then assigned again): role and "
    f"business unit reset to {READ_ONLY_ROLE} in the {DEFAULT_BUSINESS_UNIT}",
    ChangeKind.MOVED: "in other regions in Own",
    ChangeKind.MOVE_REFUSED: "refused by Okta (E0000046): pulumi up fails",
    ChangeKind.MOVE_NOT_IN_OWN: "moved by the config, but Own keeps the old regions",
}


#: What to do about each :class:`ChangeKind`: the action the README gives for it (its table
#: "What each change means, and what to do" is this mapping, checked by a test).
CHANGE_ACTIONS: dict[ChangeKind, str] = {
    ChangeKind.PROVISIONED: f"nothing: Okta creates the account, {READ_ONLY_ROLE} in the {DEFAULT_BUSINESS_UNIT}; "
    "give the person a role or business unit in Own's UI if they need one",
    ChangeKind.REACTIVATED: "check the person's regions in Own's UI: Okta reactivates the account without pushing a "
    "profile, so Own keeps the regions it had",
    ChangeKind.DEACTIVATED: "confirm the person is meant to lose Own (Own removes the account, and any role or "
    "business unit set there); if not, keep the assignment or the group membership named as the cause",
    ChangeKind.RE_PROVISIONED: "check the person's regions in Own's UI: Okta deactivated and reactivated the account "
    "without pushing a profile (they could not sign in between)",
    ChangeKind.RE_CREATED: "set the person's role and business unit again in Own's UI after pulumi up",
    ChangeKind.MOVED: "none: Own holds the new regions",
    ChangeKind.MOVE_REFUSED: "do the steps of the assignment-blocked-by-group warning (take the person out of the "
    "groups that grant the app, pulumi up, add them back), or leave their direct assignment as it is",
    ChangeKind.MOVE_NOT_IN_OWN: "delete the user in Own before pulumi up assigns them again, or set the new regions "
    "in Own's UI after it: Own keeps the old ones",
}

#: The change kinds whose deactivation has a cause to name (the assignment or group that went).
DEACTIVATING = (ChangeKind.DEACTIVATED, ChangeKind.RE_PROVISIONED, ChangeKind.RE_CREATED)


def action_of(changes: Iterable[ChangeKind]) -> str | None:
    """What to do about a person the change did ``changes`` to: the action of each kind
    (:data:`CHANGE_ACTIONS`), in report order, joined by ``"; "``; ``None``: no change. A
    kind with nothing to do (``moved``: "none: ...") is left out beside one that has
    something ("set ... again; none: ..." read as a contradiction)."""
    actions = list(dict.fromkeys(CHANGE_ACTIONS[kind] for kind in changes))
    something = [a for a in actions if not a.startswith("none:")]
    return "; ".join(something or actions) or None


def change_kinds_table() -> list[str]:
    """The README's table of the change kinds: ``| Change | In Own | What to do |``, one row a
    :class:`ChangeKind` in report order (what :data:`CHANGE_KINDS` and :data:`CHANGE_ACTIONS` say)."""
    rows = [f"| `{kind}` | {CHANGE_KINDS[kind]} | {CHANGE_ACTIONS[kind]} |" for kind in ChangeKind]
    return ["| Change | In Own | What to do |", "|---|---|---|", *rows]


#: Said once under the people when someone is re-created: the receiver plays Own as documented
#: (a deactivated account removed); ``--deactivation keep`` plays the alternative.
RE_CREATED_ALTERNATIVE = (
    "Re-created: Own documents that deprovisioning removes the account, so the receiver removes it and Okta "
    "creates it again. If your Own keeps deactivated users instead, run with --deactivation keep: such a person "
    "is then reactivated with the old regions (move-not-in-own)."
)


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
    reasons: list[Reason] = field(default_factory=list)
    #: Okta's requests for this user and the receiver's answers (``METHOD path -> status``)
    requests: list[str] = field(default_factory=list)
    #: with ``--previous``: Own's state after the previous config's run (``None``: absent)
    before: OwnState | None = None
    #: with ``--previous``: what the change did to the user (:func:`change_kinds`), ``[]``: nothing
    changes: list[ChangeKind] = field(default_factory=list)
    #: whether the user is assigned (``assignment`` says how)
    assigned: bool = True
    #: with ``--previous``: the user is not as the config means, and was so before the change
    #: (Own unchanged, the config means the same, and Own already differed): not the change's doing
    already: bool = False
    #: with ``--previous``, for a person the change deactivates (:data:`DEACTIVATING`): what
    #: unassigned them, as Okta's provisioning recorded it (``group assignment 'Own EMEA' was
    #: removed``); ``None`` otherwise
    cause: str | None = None
    #: the person is assigned directly and is in an assigned group: why Own may hold the group's
    #: regions instead, and what to check on a real org (``regions-not-guaranteed``,
    #: :func:`~.findings.regions_not_guaranteed`); ``None`` otherwise. A label, not a difference:
    #: ``ok`` does not depend on it
    not_guaranteed: str | None = None

    @property
    def action(self) -> str | None:
        """What to do about what the change did to the person (:func:`action_of`); ``None``: nothing changed."""
        return action_of(self.changes)

    def change_text(self) -> str:
        """The change kinds, and what unassigned the person when it deactivated them:
        ``deactivated because group assignment 'Own EMEA' was removed (...)``; ``""``: no change."""
        kinds = ", ".join(self.changes)
        return f"{kinds} because {self.cause}" if kinds and self.cause else kinds

    def to_json(self) -> dict[str, Any]:
        """The user's JSON (camelCase keys; reasons and changes as text)."""
        return {
            "login": self.login,
            "assignment": self.assignment,
            "regionsSent": self.regions_sent,
            "sent": self.sent,
            "own": None if self.own is None else self.own.to_json(),
            "expected": {
                "state": str(self.expected.state),
                "regions": list(self.expected.regions),
                "via": self.expected.via,
            },
            "ok": self.ok,
            "reasons": [r.text for r in self.reasons],
            "requests": list(self.requests),
            "before": None if self.before is None else self.before.to_json(),
            "changes": [str(c) for c in self.changes],
            "regionsNotGuaranteed": self.not_guaranteed,
        }


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
    #: one step a resource of the previous and the new program
    changes: list[Step] = field(default_factory=list)
    #: what Okta holds after the run: ``{"groupAssignments": [{"group", "priority"}]}``
    okta: dict[str, Any] = field(default_factory=dict)
    #: the step ``pulumi up`` fails at, or ``None``
    update_failed: Step | None = None
    #: with ``--previous``: the step the previous config's ``pulumi up`` fails at (the state
    #: before the change cannot be reproduced), or ``None``
    previous_failed: Step | None = None
    #: the sets of the run's steps that Pulumi may run in any order and that touch a same
    #: user, each in the order this run ran them (the review explores their other orders)
    conflicts: list[list[str]] = field(default_factory=list)
    #: the sets of steps, each with a group rule's, in no defined order that touch a same user
    #: through the rule (Okta applies it asynchronously: :attr:`.rollout.RolloutRun.rule_timing`)
    rule_timing: list[list[str]] = field(default_factory=list)
    #: pairs of steps of one conflict set that depend on each other: ``(a, b)``, ``a`` runs first
    fixed: list[tuple[str, str]] = field(default_factory=list)
    #: what the config declares against what Okta holds after the run, each with its repair
    #: (``None``: the run repaired a drift the console made): :mod:`.drift`
    drift: list[Drift] = field(default_factory=list)
    #: the Admin Console actions applied before the run (``--console``), one line each
    console: list[str] = field(default_factory=list)
    #: what Okta's provisioning did in Own in reaction to those actions, before the run: one
    #: line a person (:func:`console_changes`); not the change's doing
    console_changes: list[str] = field(default_factory=list)
    #: with ``--console``, ``--refresh`` or ``--replace``: a further plain ``pulumi up`` after
    #: this run, previewed (``None`` otherwise): converged when every step is ``same``
    next_run: list[Step] | None = None

    @property
    def ok(self) -> bool:
        """Every user as the config means, no finding (of either run), and no drift left."""
        left = any(d.repair is not None for d in self.drift)
        return not self.findings and not self.previous_findings and not left and all(u.ok for u in self.users)

    @property
    def changed_users(self) -> list[UserResult]:
        """With ``--previous``: the users the change did something to."""
        return [u for u in self.users if u.changes]

    def to_json(self) -> dict[str, Any]:
        """The ``json`` format's document: the fields in camelCase (``regionsSent``,
        ``updateFailed``: ``"name: error"``), as ``plan`` and ``review`` write theirs, plus ``ok``."""
        failed = self.update_failed
        doc: dict[str, Any] = {
            "config": self.config,
            "directory": self.directory,
            "previous": self.previous,
            "receiver": self.receiver,
            "receiverStartedHere": self.receiver_started_here,
            "capabilities": dict(self.capabilities),
            "capabilitiesSource": self.capabilities_source,
            "attribute": None if self.attribute is None else dict(self.attribute),
            "users": [u.to_json() for u in self.users],
            "findings": [f.to_json() for f in self.findings],
            "previousFindings": [f.to_json() for f in self.previous_findings],
            "changes": [step.to_json() for step in self.changes],
            "okta": self.okta,
            "updateFailed": None if failed is None else f"{failed.name}: {failed.error}",
            "drift": [d.to_json() for d in self.drift],
            "ok": self.ok,
        } | ({} if self.next_run is None else {"nextRun": [step.to_json() for step in self.next_run]})
        if self.console:  # the Admin Console actions before the run, and what Okta did in Own for them
            doc |= {"console": self.console, "consoleChanges": self.console_changes}
        return doc


def camel_case(text: str) -> str:
    """``regions_sent`` -> ``regionsSent``, ``needs attention`` -> ``needsAttention``: the JSON
    formats' key (and code) style."""
    head, *rest = re.split(r"[_\- ]", text)
    return head + "".join(word.capitalize() for word in rest)


# --------------------------------------------------------------------------- Own against the config


#: The problem of a user the config means in Own and Own does not have.
ABSENT = "Own has no such user"


def differences(expected: Expected, own: OwnState | None) -> list[Reason]:
    """How Own's state of a user differs from what the config means (``[]``: as meant)."""
    if expected.state == Meaning.INACTIVE and own is None:
        return []  # deprovisioned: Own removed the account (its documented deprovisioning)
    if expected.state == Meaning.ABSENT:
        if own is None:
            return []
        return [Reason(ReasonKind.STATE, f"Own holds the user ({own.render()}) but the config assigns it nowhere")]
    if own is None:
        return [Reason(ReasonKind.STATE, ABSENT)]
    if expected.state == Meaning.INACTIVE:
        return [] if not own.active else [Reason(ReasonKind.STATE, "still active in Own after being unassigned")]
    problems = []
    if not own.active:
        problems.append(Reason(ReasonKind.STATE, "inactive in Own"))
    if set(own.regions) != set(expected.regions):
        problems.append(
            Reason(
                ReasonKind.REGIONS,
                f"Own holds regions {', '.join(own.regions) or 'none'}; the config means {', '.join(expected.regions)}",
            )
        )
    if own.role != READ_ONLY_ROLE:
        problems.append(Reason(ReasonKind.ROLE, f"role {own.role!r}, not {READ_ONLY_ROLE!r}"))
    if own.business_unit != DEFAULT_BUSINESS_UNIT:
        problems.append(
            Reason(ReasonKind.BUSINESS_UNIT, f"business unit {own.business_unit!r}, not {DEFAULT_BUSINESS_UNIT!r}")
        )
    return problems


# --------------------------------------------------------------------------- Okta's provisioning, folded


@dataclass
class Provisioned:
    """What Okta's provisioning did for one user, folded from its events (:func:`fold_events`):
    ``sent`` whether the last run sent a create or a profile push, ``regions_sent`` the
    ``regions`` value of the last one (``None``: no value, Own's "all regions"),
    ``created`` whether the last run created the user (``POST /Users`` accepted),
    ``linked``/``reactivated`` whether it ever linked or reactivated the user, ``skipped``
    the events where it did not act (each event's ``why`` says why), ``requests`` every
    request it sent for the user (``refused``: those the receiver refused), and ``toggles``
    how many times the last run deactivated or reactivated them."""

    sent: bool = False
    regions_sent: str | None = None
    created: bool = False
    linked: bool = False
    reactivated: bool = False
    skipped: list[ProvisioningEvent] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    #: the requests the receiver refused (status 400 or more)
    refused: list[str] = field(default_factory=list)
    toggles: int = 0
    #: what unassigned the user the last time the last run deactivated them (the event's ``cause``)
    cause: str | None = None

    @property
    def deactivated_and_reactivated(self) -> bool:
        """Whether the last run both deactivated and reactivated the user (unassigned, then assigned again)."""
        return self.toggles >= 2


def fold_events(events: Iterable[ProvisioningEvent], last_run: int) -> dict[str, Provisioned]:
    """``{folded login: Provisioned}`` from Okta's provisioning events, in order; ``last_run``
    is the run whose sends and (de)activations count."""
    folded: dict[str, Provisioned] = {}
    for event in events:
        user = folded.setdefault(event.key, Provisioned())
        user.requests += [exchange.render() for exchange in event.requests]
        user.refused += [exchange.render() for exchange in event.requests if exchange.status >= 400]
        in_run = event.run == last_run
        if event.kind in (EventKind.PROVISIONED, EventKind.PUSHED) and in_run:
            user.sent, user.regions_sent = True, event.regions
            user.created = user.created or (event.kind == EventKind.PROVISIONED and event.ok)
        elif event.kind == EventKind.LINKED:
            user.linked = True
        elif event.kind == EventKind.REACTIVATED and event.ok:
            user.reactivated = True
        elif event.kind in (EventKind.SKIPPED, EventKind.NOT_PUSHED):
            user.skipped.append(event)
        if event.kind in (EventKind.DEACTIVATED, EventKind.REACTIVATED) and event.ok and in_run:
            user.toggles += 1
            if event.kind == EventKind.DEACTIVATED:
                user.cause = event.cause or None
    return folded


def console_changes(events: Iterable[ProvisioningEvent]) -> list[str]:
    """What Okta's provisioning did in Own in reaction to the Admin Console actions (the
    ``events`` it recorded while they were applied: :meth:`.rollout.Rollout.react`), one line a
    person, in the order Okta acted: ``jordan.kim@example.com: deactivated (removed from group
    'Own US' (a membership change in Okta)), then created in Own (regions us1)``. Own's "before"
    of a review is read after these actions, so they are said apart from what the change does."""
    done: dict[str, tuple[str, list[str]]] = {}
    for event in events:
        if event.kind == EventKind.DEACTIVATED:
            what = "deactivated" + (f" ({event.cause})" if event.cause else "")
        elif event.kind == EventKind.PROVISIONED:
            what = f"created in Own (regions {event.regions or 'none: all regions'})"
        elif event.kind == EventKind.REACTIVATED:
            what = "reactivated (no regions sent)"
        elif event.kind == EventKind.NOT_PUSHED:
            what = "the regions value changed in Okta, not pushed to Own"
        else:
            continue
        if not event.ok:
            what += " (the receiver refused it)"
        done.setdefault(event.key, (event.login, []))[1].append(what)
    return [f"{login}: {', then '.join(whats)}" for login, whats in done.values()]


def provisioning_reasons(done: Provisioned, own: OwnState | None, tied: str | None) -> list[Reason]:
    """Why Okta's provisioning left a user as it is (for a user whose state differs): what it
    skipped, a priority tie (``tied``: the sentence), a reactivation or a link that sent no regions."""
    # a profile change not pushed explains nothing about a user Own does not have
    reasons = [
        Reason(ReasonKind.SKIPPED, event.why)
        for event in done.skipped
        if own is not None or event.kind != EventKind.NOT_PUSHED
    ]
    if tied:
        reasons.append(Reason(ReasonKind.TIE, tied))
    if done.reactivated and own and own.active:
        reasons.append(
            Reason(
                ReasonKind.REACTIVATED,
                "Okta found the user deactivated and reactivated it (PATCH active:true); with "
                "Update User Attributes off no profile is pushed, so Own keeps the regions it "
                "created the user with",
            )
        )
    elif done.linked and not done.sent and own and own.active:
        reasons.append(
            Reason(
                ReasonKind.LINKED,
                "Own already had this user: Okta linked it without sending anything, so Own "
                "keeps the regions it was created with",
            )
        )
    return reasons


# --------------------------------------------------------------------------- what a change did


def change_kinds(
    before: OwnState | None,
    after: OwnState | None,
    meant_before: Expected | None,
    meant_after: Expected,
    done: Provisioned | None,
    *,
    blocked: bool = False,
) -> list[ChangeKind]:
    """What a change did to one person in Own (:class:`ChangeKind`, in report order), from
    Own's state before and after it, what the previous and the new config mean, and what
    Okta's provisioning did during the change's run (``done``). ``[]``: nothing."""
    kinds: list[ChangeKind] = []
    was_active, is_active = bool(before and before.active), bool(after and after.active)
    if after is not None and before is None and is_active:
        kinds.append(ChangeKind.PROVISIONED)
    elif is_active and not was_active and before is not None:
        kinds.append(ChangeKind.REACTIVATED)
    if was_active and not is_active:
        kinds.append(ChangeKind.DEACTIVATED)
    if was_active and is_active and done is not None and done.deactivated_and_reactivated:
        kinds.append(ChangeKind.RE_PROVISIONED)
    if before is not None and is_active and done is not None and done.created:
        kinds.append(ChangeKind.RE_CREATED)  # Own removed it on deactivation; Okta's lookup found nothing
    if before is not None and after is not None and set(before.regions) != set(after.regions):
        kinds.append(ChangeKind.MOVED)
    if blocked:
        kinds.append(ChangeKind.MOVE_REFUSED)
    moves = (
        meant_before is not None
        and meant_before.state == Meaning.ACTIVE
        and meant_after.state == Meaning.ACTIVE
        and set(meant_before.regions) != set(meant_after.regions)
    )
    if moves and after is not None and set(after.regions) != set(meant_after.regions) and not blocked:
        kinds.append(ChangeKind.MOVE_NOT_IN_OWN)
    return kinds


# --------------------------------------------------------------------------- each user's line


def _relevant(finding: Finding, login: str, problems: list[Reason], app_user: ResolvedAssignment | None) -> bool:
    """Whether a finding can explain one user's problems (so it is named as their cause)."""
    if finding.code == Code.PRIORITY_TIE:
        return bool(app_user and app_user.tied_with)
    if finding.logins:
        return okta_fold(login) in {okta_fold(x) for x in finding.logins}
    if finding.code == Code.PRIORITY_ORDER:
        return bool(app_user and app_user.group is not None)
    if finding.code == Code.CAPABILITY_CREATE and app_user is None:
        return False  # Okta does not assign them: no Create Users setting would have provisioned them
    if finding.code == Code.CAPABILITY_DEACTIVATE and [p.text for p in problems] == [ABSENT]:
        return False  # a user missing from Own is never kept out by Deactivate Users
    # a wrong role or business unit alone is never caused by the Okta app's settings
    return any(p.kind not in (ReasonKind.ROLE, ReasonKind.BUSINESS_UNIT) for p in problems)


def _re_created(own: OwnState) -> Reason:
    """Why a re-created user's role and business unit are Own's defaults again."""
    return Reason(
        ReasonKind.RE_CREATED,
        "Own removed the account when Okta deactivated it (unassigned); on re-assignment Okta's lookup found "
        f"nothing and created it anew (POST /Users) in {', '.join(own.regions) or 'no regions'}, "
        f"{READ_ONLY_ROLE} in the {DEFAULT_BUSINESS_UNIT}: a role or business unit an admin set in Own is lost",
    )


def _tie(app_user: ResolvedAssignment | None) -> str | None:
    if app_user is None or not app_user.tied_with:
        return None
    return f"Okta's choice between {app_user.via} and {', '.join(app_user.tied_with)} (same priority) is undefined"


@dataclass
class Before:
    """With ``--previous``: Own's state of each user after the previous config's run, and
    what the previous config meant (both keyed by folded login)."""

    own: dict[str, OwnState | None] = field(default_factory=dict)
    meant: dict[str, Expected] = field(default_factory=dict)


@dataclass
class Judge:
    """Builds each user's line (:meth:`user`) from Own's state, what the config means, Okta's
    assignment (``assigned``, by folded login), what its provisioning did (``done``,
    :func:`fold_events`), the ``findings``, Own before the change (``before``; ``None``:
    no ``--previous``) and the step ``pulumi up`` stopped at (``stopped_at``)."""

    findings: list[Finding]
    assigned: dict[str, ResolvedAssignment]
    done: dict[str, Provisioned]
    before: Before | None
    stopped_at: str | None

    #: memoise the lines of users Okta neither assigns nor provisioned (:meth:`user`)
    quiet: bool = True

    def __post_init__(self) -> None:
        self.blocked = {
            okta_fold(x) for f in self.findings if f.code == Code.ASSIGNMENT_BLOCKED_BY_GROUP for x in f.logins
        }
        self._quiet: dict[tuple[Any, ...], UserResult] = {}

    def user(self, login: str, expected: Expected, own: OwnState | None) -> UserResult:
        """The line of ``login``: Own's state ``own`` against ``expected``, why, and what the change did.

        A user Okta neither assigns nor provisioned (nor blocked) whose line is as the config
        means has the line of any other such user with the same states (Own's before and after,
        what either config means), but the login: it is built once for each such set of states
        (in a 50,000-user directory, the tens of thousands outside the app cost a copy each)."""
        key = okta_fold(login)
        quiet = self.quiet and key not in self.assigned and key not in self.done and key not in self.blocked
        if not quiet:
            return self._user(login, key, expected, own)
        before = self.before
        states = (expected, own) if before is None else (expected, own, before.own.get(key), before.meant.get(key))
        like = self._quiet.get(states)
        if like is not None:
            return _with_login(like, login)
        line = self._user(login, key, expected, own)
        if line.ok and not line.reasons:
            self._quiet[states] = line
        return line

    def _user(self, login: str, key: str, expected: Expected, own: OwnState | None) -> UserResult:
        app_user = self.assigned.get(key)
        done = self.done.get(key, Provisioned())
        problems = differences(expected, own)
        # a refused request is an error Okta shows for this user, even if Own's state is right
        problems += [Reason(ReasonKind.REFUSED, f"receiver answered {line}") for line in done.refused]
        reasons = list(problems)
        if problems:
            reasons += provisioning_reasons(done, own, _tie(app_user))
            reasons += [
                Reason(ReasonKind.CAUSE, f"cause: {f.message}")
                for f in self.findings
                if _relevant(f, login, problems, app_user)
            ]
            if self.stopped_at is not None and key not in self.blocked:
                reasons.append(
                    Reason(ReasonKind.STOPPED, f"pulumi up stopped at {self.stopped_at}, before the rest of the change")
                )
        before = self.before
        changes = (
            []
            if before is None
            else change_kinds(
                before.own.get(key), own, before.meant.get(key), expected, done, blocked=key in self.blocked
            )
        )
        if ChangeKind.RE_CREATED in changes and own is not None:
            reasons.append(_re_created(own))
        return UserResult(
            login=login,
            assignment=app_user.via if app_user else "not assigned",
            regions_sent=done.regions_sent if done.sent else None,
            sent=done.sent,
            own=own,
            expected=expected,
            ok=not problems,
            reasons=list(dict.fromkeys(reasons)),
            requests=done.requests,
            before=None if before is None else before.own.get(key),
            changes=changes,
            cause=done.cause if any(kind in changes for kind in DEACTIVATING) else None,
            assigned=app_user is not None,
            already=bool(problems) and not changes and before is not None and already_so(before, key, expected, own),
        )


def _with_login(line: UserResult, login: str) -> UserResult:
    """``line`` for another ``login`` (its lists copied: no two lines share one). Its fields
    copied into a new instance: neither :func:`dataclasses.replace`, which runs ``__init__``
    again, nor :func:`copy.copy`, which goes through ``__reduce_ex__`` (4 us against 1 us, once
    a directory user)."""
    copied = object.__new__(UserResult)
    fields = copied.__dict__
    fields.update(line.__dict__)
    fields.update(login=login, reasons=list(line.reasons), requests=list(line.requests), changes=list(line.changes))
    return copied


def already_so(before: Before, key: str, expected: Expected, own: OwnState | None) -> bool:
    """Whether a user's difference from the config existed before the change: Own holds the
    same as before it, the previous config meant the same (state and set of regions), and
    Own already differed from that meaning."""
    meant = before.meant.get(key)
    if meant is None or before.own.get(key) != own:
        return False
    same = meant.state == expected.state and set(meant.regions) == set(expected.regions)
    return same and bool(differences(meant, own))
