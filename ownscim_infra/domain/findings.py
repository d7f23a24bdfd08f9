"""A finding: something a plan, a run, a change or a live org does wrong, and its code.

One type for every report (``plan``'s warnings, ``simulate``'s and ``review``'s findings,
``verify``'s checks), so that a finding reads the same wherever it shows and a machine
matches it by :class:`Code`, never by its text. Every code is defined here, once, with what
it means (:data:`MEANINGS`); ``docs/findings.md`` lists them (:func:`codes_markdown`, kept
equal by a test). Stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Code(StrEnum):
    """The stable code of a finding (its JSON ``code``, or ``verify``'s ``check``)."""

    # the plan (what the program declares)
    API_PROVISIONING = "api-provisioning"
    DIRECTORY_GROUP_TYPO = "directory-group-typo"
    PERSON_NOT_IN_OKTA = "person-not-in-okta"
    ASSIGNMENT_BLOCKED_BY_GROUP = "assignment-blocked-by-group"
    RULE_UNKNOWN_ATTRIBUTE = "rule-unknown-attribute"
    # Own's setup page (the rules of :mod:`ownscim_infra.domain.setup_rules`)
    REGIONS_ATTRIBUTE_MISSING = "regions-attribute-missing"
    REGIONS_NAMESPACE = "regions-namespace"
    REGIONS_EXTERNAL_NAME = "regions-external-name"
    REGIONS_TYPE = "regions-type"
    REGIONS_SCOPE = "regions-scope"
    FEATURE_STATUS = "feature-status"
    CAPABILITY_CREATE = "capability-lifecycleCreate"
    CAPABILITY_DEACTIVATE = "capability-lifecycleDeactivate"
    CAPABILITY_PROFILE = "capability-profile"
    CAPABILITY_PASSWORD = "capability-password"
    PUSH_GROUPS = "push-groups"
    PUSH_MAPPINGS = "push-mappings"
    PRIORITY_TIE = "priority-tie"
    # a run of pulumi up and Okta's provisioning
    UPDATE_FAILED = "update-failed"
    GROUP_DELETED_WITH_MEMBERS = "group-deleted-with-members"
    PRIORITY_ORDER = "priority-order"
    APP_DELETED = "app-deleted"
    APP_DEACTIVATED = "app-deactivated"
    RULE_CHANGED_BY_HAND = "rule-changed-by-hand"
    REGIONS_NOT_GUARANTEED = "regions-not-guaranteed"
    # a change (review)
    GROUP_DELETED = "group-deleted"
    REGIONS_ATTRIBUTE_TOUCHED = "regions-attribute-touched"
    UPDATE_USER_ATTRIBUTES_ON = "update-user-attributes-on"
    PUSH_GROUPS_ON = "push-groups-on"
    REGION_REMOVED = "region-removed"
    PROVISIONING_API_ON = "provisioning-api-on"
    DIRECTORY_GROUP_OLD_NAME = "directory-group-old-name"
    BASE_RUN_FAILED = "base-run-failed"
    RULE_NOT_COMPUTED = "rule-not-computed"
    RULE_MATCHES_UNKNOWN = "rule-matches-unknown"
    RULE_TIMING = "rule-timing"
    RULE_EXCLUDED = "rule-excluded"
    APP_UPDATED = "app-updated"
    # a live org (verify's checks)
    APP = "app"
    CONNECTION = "connection"
    FEATURES = "features"
    GROUP_PUSH = "group-push"
    REGIONS_ATTRIBUTE = "regions-attribute"
    GROUP = "group"
    OTHER_GROUPS = "other-groups"
    MEMBERS = "members"
    GROUP_RULE = "group-rule"
    PERSON = "person"


#: What each code reports (the docs' list). The setup page's rules say what they assert in
#: :data:`ownscim_infra.domain.setup_rules.RULES`; their entries here are those texts.
MEANINGS: dict[Code, str] = {
    Code.API_PROVISIONING: "provisioning: api declares the connection and features through Okta's API, which Okta "
    "serves for a short list of catalog apps",
    Code.DIRECTORY_GROUP_TYPO: "a directory user is in a group the config almost names (a typo or a look-alike): "
    "not assigned through it",
    Code.PERSON_NOT_IN_OKTA: "a person of the config (in `people` or a group's `members`) is not in the "
    "directory: pulumi up fails looking them up",
    Code.ASSIGNMENT_BLOCKED_BY_GROUP: "a person assigned directly is in an assigned group: Okta refuses to delete "
    "that direct assignment (E0000046)",
    Code.RULE_UNKNOWN_ATTRIBUTE: "a group's rule reads a user attribute that no directory user carries and that is "
    "not one of Okta's base profile attributes: Okta refuses an expression on an attribute its user profile does "
    "not have (pulumi up fails at the rule); names are case-sensitive",
    Code.UPDATE_FAILED: "pulumi up fails at a step",
    Code.GROUP_DELETED_WITH_MEMBERS: "a group with members is deleted: Okta deletes its memberships, and those "
    "who lose the app are deactivated in Own",
    Code.PRIORITY_ORDER: "Okta holds the group assignments in another order than the config's",
    Code.APP_DELETED: "the app is deleted in Okta (by the run, or by hand): Okta removes every assignment; whether "
    "Own then receives a SCIM deactivation is not documented, so Own's accounts are either all deactivated or left "
    "active and no longer managed",
    Code.APP_DEACTIVATED: "the app is deactivated by hand (INACTIVE): Okta's docs say it reconciles the users "
    "assigned through groups, removing their app assignment; whether Own then receives a SCIM deactivation is not "
    "documented, so Own's accounts are either deactivated or left active and not provisioned until the app is "
    "activated again (pulumi up --refresh)",
    Code.RULE_CHANGED_BY_HAND: "a group rule the config declares was deactivated or its expression edited by hand "
    "(--console): a deactivated rule keeps the members it added and adds no one; an edited one moves people in and "
    "out of the group (and their Own regions) at once; both stay so until pulumi up --refresh",
    Code.REGIONS_NOT_GUARANTEED: "a person assigned directly is also in an assigned group: the provider sends no "
    "scope, and Okta may keep them GROUP-scoped with the group's regions (articulate/terraform-provider-okta #264)",
    Code.GROUP_DELETED: "a change deletes a group from Okta",
    Code.REGIONS_ATTRIBUTE_TOUCHED: "a change updates or replaces the regions attribute",
    Code.UPDATE_USER_ATTRIBUTES_ON: "a change switches Update User Attributes on",
    Code.PUSH_GROUPS_ON: "a change switches Push Groups on",
    Code.REGION_REMOVED: "a change removes a region from the account that people still hold",
    Code.PROVISIONING_API_ON: "a change switches provisioning to api: what pulumi up does on an org whose connection "
    "Okta serves (ENABLED) and on one where it answers UNKNOWN",
    Code.DIRECTORY_GROUP_OLD_NAME: "the directory lists a group's name from before the change renamed it: every "
    "later run silently leaves those members out of the group",
    Code.BASE_RUN_FAILED: "the base config's pulumi up fails: the state before the change cannot be reproduced",
    Code.RULE_NOT_COMPUTED: "a group's rule is outside what the offline evaluator computes: who is in the group "
    "(and so their Own regions) cannot be computed; the directory's members are taken as they are",
    Code.RULE_MATCHES_UNKNOWN: "a change creates a group rule or changes its expression: Okta runs an activated "
    "rule across its entire user population, and the directory file holds only the users the config reaches, so "
    "the review cannot see the users outside it that the rule puts in the group (and the app)",
    Code.RULE_TIMING: "a change's group rule step and another step Pulumi runs in no defined order with it, or "
    "after it, touch the same people: Okta applies an activated rule right away and asynchronously, so the "
    "outcome may depend on which reaches Okta first, and the emulation (rules applied after the run) cannot tell "
    "the orders apart",
    Code.RULE_EXCLUDED: "a group rule the config declares excludes people on the org (the directory file's "
    "`rules`, as directory pull read them): the rule leaves them out of the group and of its regions in Own, and "
    "pulumi up --refresh clears the exclusions (the program declares none)",
    Code.APP_UPDATED: "a change updates the app with one full PUT of every argument: a setting made by hand that "
    "the program does not declare is reset to the provider's default, and whether the PUT keeps the app's "
    "provisioning settings is not known offline",
    Code.APP: "verify: the app is catalog app scim2headerauth, ACTIVE, with the config's label",
    Code.CONNECTION: "verify: the provisioning connection is ENABLED with the config's base URL",
    Code.FEATURES: "verify: USER_PROVISIONING as Own's setup page says (the rules feature-status and capability-*)",
    Code.GROUP_PUSH: "verify: no group push mappings; Push Groups not enabled (the rules push-*)",
    Code.REGIONS_ATTRIBUTE: "verify: the regions attribute as Own's setup page says (the rules regions-*)",
    Code.GROUP: "verify: the group is assigned with the expected priority and regions",
    Code.OTHER_GROUPS: "verify: no group is assigned that the config does not list",
    Code.MEMBERS: "verify: a `members` group holds exactly the logins the config lists",
    Code.GROUP_RULE: "verify: a `rule` group's rule is ACTIVE, with the config's expression and no exclusions",
    Code.PERSON: "verify: the person is assigned directly with the expected regions",
}


class Status(StrEnum):
    """A live check's outcome: ``ok``; ``drift``; ``unknown`` (Okta cannot tell through its
    API: check by hand); ``skipped`` (the program does not declare it yet). An offline
    finding is always a ``drift``: something wrong."""

    OK = "ok"
    DRIFT = "drift"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Finding:
    """``code`` (stable, for machines), ``message`` (the cause and the fix, one line),
    ``logins`` (the people it concerns), ``steps`` (a manual procedure or further lines, one
    line each), ``resources`` (the logical names of the resources it concerns), ``groups``
    (the Okta groups it concerns), and for a
    live check its ``subject`` (the app label, a group, a login) and ``status``;
    ``regions_drift``: a live assignment's ``regions`` differs (only ``pulumi up --replace``
    changes it: delete first, Okta unassigns, deactivating its users in Own, then assigns
    again); ``repair``: for a live drift, the command or Admin Console step that brings the
    org back to the config (``None``: nothing to do)."""

    code: Code
    message: str
    logins: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    subject: str = ""
    status: Status = Status.DRIFT
    regions_drift: bool = False
    repair: str | None = None

    @property
    def check(self) -> Code:
        """``verify``'s name for :attr:`code` (the check that found it)."""
        return self.code

    @property
    def details(self) -> list[str]:
        """``verify``'s name for :attr:`steps` (further lines under the message)."""
        return list(self.steps)

    def to_json(self) -> dict[str, Any]:
        """An offline finding's JSON: ``{"code", "message", "logins", "steps"}``."""
        return {"code": str(self.code), "message": self.message, "logins": list(self.logins), "steps": list(self.steps)}

    def to_check_json(self) -> dict[str, Any]:
        """A live check's JSON: ``{"check", "subject", "status", "message", "details", "regionsDrift",
        "repair"}`` (camelCase)."""
        return {
            "check": str(self.code),
            "subject": self.subject,
            "status": str(self.status),
            "message": self.message,
            "details": list(self.steps),
            "regionsDrift": self.regions_drift,
            "repair": self.repair,
        }


def meaning(code: Code) -> str:
    """What ``code`` reports: the rule's assertion for a rule of Own's setup page, else :data:`MEANINGS`."""
    from ownscim_infra.domain.setup_rules import RULES  # the rules name their codes: import at use

    rule = next((r for r in RULES if r.code == code), None)
    return rule.asserts if rule is not None else MEANINGS[code]


def codes_markdown() -> str:
    """The list of every code and what it reports, as ``docs/findings.md`` holds it."""
    lines = [
        "# Finding codes",
        "",
        "Generated from `ownscim_infra/domain/findings.py` (`Code`, `MEANINGS`) and the rules of Own's setup page",
        "(`ownscim_infra/domain/setup_rules.py`, `RULES`); `tests/domain/test_findings.py` keeps this file equal to",
        "them. A machine matches a finding by its code (JSON `code`, or `check` in `verify`), never by its text.",
        "For a rule of Own's setup page the second column says what the rule asserts: the finding reports a breach.",
        "",
        "| Code | Reports, or asserts |",
        "|---|---|",
    ]
    lines += [f"| `{code}` | {meaning(code)} |" for code in Code]
    return "\n".join(lines) + "\n"
