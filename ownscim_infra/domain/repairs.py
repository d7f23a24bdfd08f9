"""The one wording of each repair: the command or Admin Console step that brings a drift back.

``verify`` (a live org, :class:`ownscim_infra.live.verify.Repairs`) and ``simulate``'s drift
(an emulated org, :mod:`ownscim_infra.offline.drift`) both name their repairs from here, so
that the two never say different things of the same drift. ``docs/live-org.md``, "Repairs",
says why each works. Stdlib only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ownscim_infra.domain import naming
from ownscim_infra.domain.tables import wrapped

#: The plain repair: ``pulumi up --refresh``. The refresh runs each resource's Read, which
#: stores what Okta holds (pulumi-terraform-bridge rewrites the state's inputs from it,
#: ``ExtractInputsFromOutputs``), so the diff against the program's inputs shows the drift and
#: the update puts the declared value back; a resource Okta answers 404 for is dropped from
#: the state (the provider's Read clears its id) and created again. A plain ``pulumi up`` reads
#: nothing: it diffs the program against the state, which still holds the declared values.
REFRESH = "pulumi up --refresh"

#: What a ``--replace`` of an assignment does to its users, said after the command.
DEACTIVATES = " (unassigns first: Okta deactivates its users in Own, then assigns the config's value)"

#: Pulumi type tokens of the resources a repair names.
GROUP_ASSIGNMENT_TYPE = "okta:app/groupAssignment:GroupAssignment"
APP_USER_TYPE = "okta:app/user:User"
CONNECTION_TYPE = "okta:app/connection:Connection"
FEATURES_TYPE = "okta:app/features:Features"


def replace(stack: str, type_: str, name: str) -> str:
    """``pulumi up --replace 'URN'``: the only run that changes an assignment's live
    ``regions`` value. ``ignore_changes=["profile"]`` hides the profile from the diff, and the
    replacement trigger (the declared profile) is unchanged, so neither ``pulumi up`` nor
    ``pulumi up --refresh`` touches it; ``--replace`` deletes the assignment (delete first:
    Okta deactivates its users in Own) and creates it with the config's value."""
    return f"pulumi up --replace '{naming.urn(stack, type_, name)}'"


def console_assignments(label: str) -> str:
    """Where assignments are edited by hand."""
    return f"Admin Console > Applications > {label} > Assignments"


def group_regions(stack: str, group_key: str) -> str:
    """A group assignment's ``regions`` value differs (``group_key``: the group's resource key)."""
    return replace(stack, GROUP_ASSIGNMENT_TYPE, naming.group_assignment(group_key)) + DEACTIVATES


def person_regions(stack: str, label: str, login: str, want: str) -> str:
    """A direct assignment's ``regions`` value differs from ``want`` (shown)."""
    return (
        replace(stack, APP_USER_TYPE, naming.user_assignment(login))
        + DEACTIVATES
        + f"; if Okta refuses the unassignment because a group also grants {login} the app (E0000046), "
        f"set the value in the Admin Console instead: {console_assignments(label)}, {login}, regions {want}"
    )


def person_by_hand(label: str, login: str, want: str) -> str:
    """A person who has the app only through a group (scope ``GROUP``): the app user's Read
    answers 200 for them, so no run creates the direct assignment again."""
    return f"{console_assignments(label)} > Assign > Assign to People: {login}, regions {want}; then `pulumi refresh`"


def looked_up_group_missing(group: str) -> str:
    """A ``create: false`` group Okta has no group named ``group`` for (renamed or deleted by
    hand): the program looks such a group up by name (``okta.get_groups``,
    ``program/lookups.py``), and a name Okta does not have fails the program before any step
    (docs/provider-semantics.md, row 10), ``pulumi up --refresh`` included; only a group of
    that name again, or the config naming the group as Okta does, gets past the lookup."""
    return (
        f"rename the group back to {group!r}, or create it, in Okta (Admin Console > Directory > Groups), or "
        "correct its name in the config (keep its `key`), then `pulumi up`: the program looks the group up by "
        "name, so every run fails at that lookup until then, `pulumi up --refresh` too"
    )


def app_label_differs(held: str, label: str) -> str:
    """What differs when the app's label in Okta (``held``) is not the config's ``label``: the
    drift's ``what`` in ``simulate`` and the message of ``verify``'s ``app`` check."""
    return f"the app is labelled {held!r} in Okta, the config says {label!r}"


def app_not_active(status: str) -> str:
    """What differs when the app is not ``ACTIVE`` in Okta (``status``; the program declares
    ``ACTIVE``): the drift's ``what`` in ``simulate`` and the message of ``verify``'s ``app`` check."""
    return f"the app is {status} in Okta (deactivated): Okta provisions nothing to Own while it is"


def app_label(label: str) -> str:
    """The app's label differs from the config's ``label``: the refresh runs the app's Read
    (``resourceAppAutoLoginRead`` sets ``label`` from Okta), the diff then shows it, and the
    update is a full ``PUT /api/v1/apps/{appId}`` of the declared arguments (``buildAppAutoLogin``),
    which also resets any other setting changed by hand that the config does not declare. A
    plain ``pulumi up`` diffs against the state, which still holds the config's label."""
    return (
        f"{REFRESH} (the refresh reads Okta's label, the update PUTs the app back with label {label!r}; "
        "a plain `pulumi up` sees nothing)"
    )


def app_inactive(label: str) -> str:
    """The app is ``INACTIVE`` (deactivated by hand): the refresh reads ``status``
    (``appRead``), and the update's ``AppUpdateStatus`` activates it again (``POST
    .../lifecycle/activate``; nothing else is sent when nothing else changed). A plain ``pulumi
    up`` sees nothing: the state still says ``ACTIVE``."""
    return (
        f"{REFRESH} (the refresh reads status INACTIVE, the update activates {label!r} again; a plain `pulumi up` "
        "sees nothing); then check in Own's UI the people assigned or unassigned while it was inactive"
    )


def app_deleted(stack: str, connection: str, features: str) -> str:
    """The app was deleted by hand: ``pulumi refresh`` fails on the connection and the
    features (their Read has no 404 handling: terraform-provider-okta
    ``resource_okta_app_connection.go``, ``resource_okta_app_features.go``), so they leave the
    state by hand first; the refresh then drops the app and its assignments (404) and the
    update creates them again."""
    return (
        f"pulumi state delete '{naming.urn(stack, CONNECTION_TYPE, connection)}'; "
        f"pulumi state delete '{naming.urn(stack, FEATURES_TYPE, features)}'; then {REFRESH}"
        " (the app is created anew: every person and group is assigned again)"
    )


def app_recreated_by_hand(attribute: bool) -> str:
    """What :data:`REFRESH` leaves to do when it creates anew an app whose provisioning is set by
    hand (``provisioning: manual``): the new app has no provisioning connection until the Admin
    Console steps are done again, and the ``regions`` attribute (``attribute``: the config
    declares it) is created by that same run, before them: Okta then gives it no external
    namespace and never sends it (Okta support, "custom SCIM attribute is not available to map
    and is not sent to SCIM"; ``shared/docs/okta-own-facts.md``), so it is set by hand."""
    steps = (
        "; then the new app provisions nothing until the Admin Console steps are done again on it "
        "(`pulumi stack output manualSteps`)"
    )
    if attribute:
        steps += (
            ", and the regions attribute that run creates before them has no external namespace (Okta never sends "
            "it): set it to urn:ietf:params:scim:schemas:core:2.0 in the Profile Editor (Directory > Profile Editor "
            "> the app > regions), then `pulumi refresh`"
        )
    return steps


def member_not_listed(login: str, group: str) -> str:
    """What differs when ``login`` is in the ``members`` group (named ``group`` in Okta) and
    the config does not list them (added by hand). Its repair is :data:`REFRESH`: the program
    declares ``track_all_users``, so the memberships' Read (``resourceGroupMembershipsRead``,
    ``checkIfUsersHaveChanged``, terraform-provider-okta ``resource_okta_group_memberships.go``)
    records every member, and the update removes those the config does not list (Okta then
    deactivates them in Own unless another assignment keeps them); a plain ``pulumi up`` reads
    nothing and keeps them, with the group's regions in Own."""
    return f"{login} is in Okta's group {group!r}, the config's members do not list them"


def member_not_in_group(login: str, group: str) -> str:
    """What differs when ``login``, listed in the config's ``members``, is not in the group
    (removed by hand). Its repair is :data:`REFRESH`: the Read records the members without
    them and the update adds them back (Okta provisions them in Own with the group's regions)."""
    return f"{login} listed in members is not in Okta's group {group!r}"


def member_not_listed_repair(login: str) -> str:
    """The repair of :func:`member_not_listed`: :data:`REFRESH` removes the person (said, as
    it deactivates them in Own); to keep them, the config lists them and a plain ``pulumi up``
    adds them to the state (the PUT of a member is idempotent)."""
    return (
        f"{REFRESH} (removes {login} from the group: Okta deactivates them in Own unless another assignment "
        "keeps them); to keep them, add them to the group's members in the config, then `pulumi up`"
    )


def member_not_in_group_repair(login: str) -> str:
    """The repair of :func:`member_not_in_group`: :data:`REFRESH` adds the person back; to
    leave them out, the config drops them and a plain ``pulumi up`` removes them from the
    state (the provider drops the removal's error)."""
    return (
        f"{REFRESH} (adds {login} back: Okta provisions them in Own with the group's regions); to leave them out, "
        "remove them from the group's members in the config, then `pulumi up`"
    )


def rule_excluded(login: str, rule: str, group: str) -> str:
    """What differs when the group rule ``rule`` excludes ``login``: Okta adds a rule-managed
    member removed from the group by hand to the rule's exclusions (Okta's help, "Manual group
    user management"), so the rule leaves them out of ``group`` (and out of Own's regions)
    while the config's rule matches them."""
    return (
        f"{login} is excluded from group rule {rule!r} (removed from group {group!r} by hand: Okta then adds a "
        "rule-managed member to the rule's exclusions), so the rule no longer puts them in the group"
    )


def rule_exclusion(rule: str, login: str) -> str:
    """The repair of :func:`rule_excluded`: ``pulumi up --refresh``. The rule's Read stores
    Okta's ``users_excluded`` (``resourceGroupRuleRead``, terraform-provider-okta
    ``resource_okta_group_rule.go``); the program declares none, so the update deactivates the
    rule, sends an empty exclusion list (``buildGroupRule``) and activates it again, and Okta
    evaluates it: the person is back in the group. By hand (Okta's knowledge base, "Removing
    Users from Exception List in Group Rules"): deactivate the rule, edit it, remove the user
    from "Except The following users", activate it."""
    return (
        f"{REFRESH} (the rule's Read records the exclusion, the update clears it and Okta puts {login} back in the "
        f"group); or Admin Console > Directory > Groups > Rules > {rule}: Deactivate, Edit, remove {login} from "
        "Except The following users, Activate"
    )


def rule_not_as_declared(status: str | None, expression: str | None, want: str) -> str | None:
    """What differs when the group rule Okta holds is not ``ACTIVE`` (deactivated by hand: it
    keeps the members it added and adds no one, Okta's knowledge base, "What happens if group
    rules are deactivated and deleted") or has another ``expression`` than the config's
    ``want`` (edited by hand); ``None`` when neither. ``verify``'s ``group-rule`` check and
    ``simulate``'s drift say it so."""
    problems = []
    if status != "ACTIVE":
        problems.append(f"status is {status}, the config's rule is ACTIVE (a rule not active adds no one)")
    if (expression or "").strip() != want.strip():
        problems.append(f"expression is {expression!r}, the config says {want!r}")
    return "; ".join(problems) or None


def rule_changed(rule: str) -> str:
    """The repair of :func:`rule_not_as_declared` (a status or an expression, not ``INVALID``):
    ``pulumi up --refresh``. The rule's Read stores Okta's ``status`` and expression
    (``resourceGroupRuleRead``, terraform-provider-okta ``resource_okta_group_rule.go``); the
    update then activates a deactivated rule (``d.HasChange("status")``:
    ``handleGroupRuleLifecycle``) and, for an expression, deactivates it, sends the declared
    one (``UpdateGroupRule``) and activates it again (``resourceGroupRuleUpdate``,
    ``hasGroupRuleChange``); Okta evaluates the activated rule. A plain ``pulumi up`` diffs
    against the state, which still holds the declared values."""
    return (
        f"{REFRESH} (the rule's Read records Okta's status and expression and the update puts the config's back: "
        f"a deactivated {rule!r} is activated again; another expression is replaced: deactivate, PUT the config's, "
        "activate; Okta then evaluates the rule. A plain `pulumi up` sees nothing)"
    )


def rule_invalid(rule: str) -> str:
    """A rule Okta marks ``INVALID`` (an attribute or a group it names is gone): the
    provider replaces it (``CustomizeDiff``: ``ForceNewIf`` status ``INVALID``), creating the
    new rule first, which Okta refuses while the old one has the name (rule names are unique:
    okta/okta-sdk-java#645); deleted by hand first, its Read answers 404 and the run creates it."""
    return f"Admin Console > Directory > Groups > Rules > {rule}: Delete (keep the users in the group); then {REFRESH}"


@dataclass(frozen=True)
class Drift:
    """One difference between what the config declares and what Okta holds: the ``resource``
    (its logical name), ``what`` differs, and the ``repair`` (``None``: the run repaired it);
    ``kind`` says which check found it (to match the same drift before and after a run)."""

    resource: str
    what: str
    repair: str | None
    kind: str = ""

    def to_json(self) -> dict[str, Any]:
        """``{"resource", "what", "repair"}``."""
        return {"resource": self.resource, "what": self.what, "repair": self.repair}


#: A command naming a URN, printed whole.
_COMMAND = re.compile(r"pulumi (?:up --replace|state delete) '[^']*'")


def repair_lines(repair: str, width: int | None, indent: str = "") -> list[str]:
    """A repair as lines of at most ``width`` characters, except each command naming a URN
    (``pulumi up --replace 'URN'``, ``pulumi state delete 'URN'``), printed whole on its own
    line so that it can be copied (a URN is longer than a line)."""
    out: list[str] = []
    pos = 0
    for command in _COMMAND.finditer(repair):
        between = repair[pos : command.start()].strip()
        if between and between != ";":
            out += wrapped(between, width, indent)
        out.append(indent + command[0])
        pos = command.end()
    rest = repair[pos:].strip()
    if rest or not out:
        out += wrapped(rest, width, indent)
    return out
