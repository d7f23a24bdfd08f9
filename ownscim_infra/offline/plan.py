"""The offline plan: the real Pulumi program under the mock runtime, for reviewers.

``python -m ownscim_infra plan [CONFIG] [--format text|markdown|json]`` runs
:func:`ownscim_infra.program.stack.declare_stack` exactly as ``pulumi preview`` would run ``__main__.py``,
but with :mod:`ownscim_infra.offline.mocks` in place of the engine and the Okta provider: no Pulumi
CLI, no Okta org, no credentials. Every summary below is read from what the program
*declared* (the recorded resources), never from the YAML, so a bug in the program shows.

- ``json``: ``{"resources": [{"type", "name", "parent", "inputs", "options"}], "lookups":
  [...], "outputs": {...}}`` -- inputs camelCase as the engine receives them; every secret
  is ``"[secret]"``.
- ``markdown``: a pull-request summary: the app and its provisioning, the groups (priority,
  regions), the people, a Mermaid diagram of groups -> regions, and every resource.
- ``text``: the same for a terminal.

The output is byte-for-byte identical across runs on the same input. An invalid config
exits 2 with every validation error; nothing else is printed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ownscim_infra.config import OwnScimConfig, load_config
from ownscim_infra.config.directory import Directory
from ownscim_infra.domain import markdown
from ownscim_infra.domain.expression import CannotEvaluate, evaluate, offline_rule
from ownscim_infra.domain.findings import Code, Finding
from ownscim_infra.domain.own_setup import CAPABILITY_LABELS, OWN_CAPABILITIES, capability_statuses, okta_fold
from ownscim_infra.domain.regions import split_regions
from ownscim_infra.domain.tables import DEFAULT_WIDTH, aligned, wrapped
from ownscim_infra.offline.findings import attribute_findings, rule_findings, typo_findings
from ownscim_infra.offline.mocks import (
    OfflineMocks,
    Registration,
    lookup_group_id,
    lookup_user_id,
    mock_id,
    run_program,
)
from ownscim_infra.program import lookups
from ownscim_infra.program.stack import declare_stack

#: The token the offline plan gives the program; it is a secret, so it is shown as [secret].
OFFLINE_TOKEN = "offline-plan-placeholder-token"

#: Display order of resource types (declaration order of the component).
TYPE_ORDER = (
    "ownscim:okta:OwnScimProvisioning",
    "okta:app/autoLogin:AutoLogin",
    "okta:app/connection:Connection",
    "okta:app/features:Features",
    "okta:index/appUserSchemaProperty:AppUserSchemaProperty",
    "okta:group/group:Group",
    "okta:index/groupMemberships:GroupMemberships",
    "okta:group/rule:Rule",
    "okta:app/groupAssignment:GroupAssignment",
    "okta:app/user:User",
)


@dataclass
class Plan:
    """What the program declares for one config: ``resources`` (in :data:`TYPE_ORDER`, then
    group priority, then name), ``lookups`` (the data sources it reads), ``outputs`` (the
    stack outputs, secrets as ``"[secret]"``) and the validated ``config``."""

    config_file: str
    config: OwnScimConfig
    resources: list[Registration]
    lookups: list[dict[str, Any]]
    outputs: dict[str, Any]
    #: what a reviewer must know before ``pulumi up`` (:func:`warnings_of`)
    warnings: list[Finding] = field(default_factory=list)

    def of_type(self, type_token: str) -> list[Registration]:
        """The declared resources of one Pulumi type token, in plan order."""
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str) -> Registration | None:
        """The single resource of a type, or ``None`` when the program declares none."""
        found = self.of_type(type_token)
        return found[0] if found else None

    def groups_by_id(self) -> dict[str, tuple[str, str]]:
        """The Okta group behind each group id the mocks gave: ``id -> (name, origin)``,
        origin ``"created"`` or ``"existing (looked up by name)"``."""
        names = {
            mock_id(g.name): (g.inputs.get("name", g.name), "created") for g in self.of_type("okta:group/group:Group")
        }
        for lookup in self.lookups:
            if lookup["token"] == lookups.GROUPS_TOKEN:
                for name in lookups.searched_group_names(lookup["args"].get("search") or ""):
                    names[lookup_group_id(name)] = (name, "existing (looked up by name)")
        return names

    def logins_by_id(self) -> dict[str, str]:
        """The login behind each Okta user id the mocks gave (the people looked up)."""
        return {
            lookup_user_id(login): login
            for lookup in self.lookups
            if lookup["token"] == lookups.USERS_TOKEN
            for login in lookups.searched_logins(lookup["args"].get("searches") or [])
        }

    def to_json(self) -> dict[str, Any]:
        """The ``json`` format's document."""
        return {
            "config": self.config_file,
            "resources": [
                {"type": r.type, "name": r.name, "parent": r.parent, "inputs": r.inputs, "options": r.options}
                for r in self.resources
            ],
            "lookups": self.lookups,
            "outputs": self.outputs,
            "warnings": [w.to_json() for w in self.warnings],
        }


def _sort_key(r: Registration) -> tuple[Any, ...]:
    rank = TYPE_ORDER.index(r.type) if r.type in TYPE_ORDER else len(TYPE_ORDER)
    return (rank, r.inputs.get("priority", 0), r.name)


def build_plan(
    config_file: str | Path,
    *,
    stack: str = "offline",
    scim_token: str = OFFLINE_TOKEN,
    directory: Directory | None = None,
    previous_outputs: dict[str, Any] | None = None,
) -> Plan:
    """Validate ``config_file`` and run the program on it under the mock runtime, with
    ``scim_token`` as the stack's ``ownscim:scimToken`` secret (never shown in clear);
    ``directory`` (the Okta users and their groups), when given, adds the warnings that
    depend on who is in which group; ``previous_outputs``, when given, are the stack's outputs
    as its last ``pulumi up`` left them (what the program reads back: :class:`.mocks.OfflineMocks`),
    e.g. the previous config's plan's in ``simulate --previous`` and ``review``.

    :raises ConfigError: the config is invalid (every problem listed).
    """
    config = load_config(config_file)
    run = run_program(
        declare_stack,
        config={"ownscim:config": str(config_file), "ownscim:scimToken": scim_token},
        secret_keys=["ownscim:scimToken"],
        stack=stack,
        mocks=OfflineMocks(previous_outputs),
    )
    lookups = sorted(
        ({"token": i.token, "args": i.args} for i in run.invocations),
        key=lambda d: json.dumps(d, sort_keys=True),
    )
    plan = Plan(str(config_file), config, sorted(run.registrations, key=_sort_key), lookups, run.outputs)
    plan.warnings = warnings_of(plan, directory)
    return plan


def warnings_of(plan: Plan, directory: Directory | None = None) -> list[Finding]:
    """What the reviewer must know before ``pulumi up``, read from the declared resources:

    - ``api-provisioning``: the connection and features are declared through Okta's API,
      which Okta serves for a short list of catalog apps (terraform-provider-okta #2565);
    - ``directory-group-typo`` (with a ``directory``): a user in a group the config almost
      names (``Own EMAE``): not assigned through it;
    - ``person-not-in-okta`` (with a ``directory``): a person the directory does not have, of
      ``people`` or of a group's ``members`` (``groups[i].members[j]``);
    - ``assignment-blocked-by-group`` (with a ``directory``): a person assigned directly who
      is also in an assigned group (as the directory lists it, or as the program puts them in
      it: a group's ``members``, an evaluable ``rule``: :func:`declared_members`); Okta will
      refuse to delete that direct assignment (E0000046), so a later change of their regions,
      or their removal, fails ``pulumi up``;
    - ``rule-not-computed`` (with a ``directory``): a group's ``rule`` that cannot be evaluated
      against the directory's users (:func:`~ownscim_infra.offline.findings.rule_findings`);
    - ``rule-unknown-attribute`` (with a ``directory``): a group's ``rule`` reads an attribute
      Okta may not have (:func:`~ownscim_infra.offline.findings.attribute_findings`).
    """
    found: list[Finding] = []
    if plan.one("okta:app/connection:Connection") is not None:
        found.append(
            Finding(
                Code.API_PROVISIONING,
                "provisioning: api declares the connection and USER_PROVISIONING through Okta's API, which Okta "
                "serves for a short list of catalog apps; if `ownscim verify` (or `pulumi refresh`) after pulumi up "
                "finds the connection not ENABLED, later runs fail reading the features: switch to provisioning: "
                "manual (the connectionStatus output says ENABLED whatever Okta answers: the provider sets it)",
            )
        )
    if directory is None:
        return found
    found += typo_findings(plan.config, directory)
    found += rule_findings(plan.config, directory)
    found += attribute_findings(plan.config, directory)
    found += [
        Finding(Code.PERSON_NOT_IN_OKTA, f"{p.login} {not_in_directory(p.login, directory)}", (p.login,))
        for p in person_rows(plan)
        if directory.user(p.login) is None
    ]
    found += [
        Finding(
            Code.PERSON_NOT_IN_OKTA,
            f"groups[{i}].members[{j}] ({group.name}): {login} {not_in_directory(login, directory)}",
            (login,),
        )
        for i, group in enumerate(plan.config.groups)
        for j, login in enumerate(group.members or [])
        if directory.user(login) is None
    ]
    assigned_groups = {okta_fold(g.name): g.name for g in group_rows(plan)}
    declared = declared_members(plan, directory)
    for person in person_rows(plan):
        login = okta_fold(person.login)
        user = directory.user(person.login)
        shown = {okta_fold(g): g for g in (user.groups if user else []) if okta_fold(g) in assigned_groups}
        for name, members in declared.items():
            if login in members and name in assigned_groups:
                shown.setdefault(name, assigned_groups[name])
        groups = list(shown.values())
        if groups:
            found.append(
                Finding(
                    Code.ASSIGNMENT_BLOCKED_BY_GROUP,
                    f"{person.login} is assigned directly and is in assigned group(s) {', '.join(groups)}: Okta "
                    "refuses to delete that direct assignment (E0000046), so changing their regions or removing "
                    "them from `people` will fail pulumi up until they leave those groups (simulate --previous "
                    "prints the steps)",
                    (person.login,),
                )
            )
    return found


def declared_members(plan: Plan, directory: Directory) -> dict[str, set[str]]:
    """Who the program puts in each created group, read from what it declares: ``{folded group
    name: {folded login}}`` -- a ``GroupMemberships``' users (the logins looked up), a
    ``Rule``'s matches among the ``directory``'s users when its expression can be evaluated
    offline (:func:`~ownscim_infra.domain.expression.offline_rule`; one that cannot is the
    ``rule-not-computed`` warning's, and adds nobody here)."""
    names = plan.groups_by_id()
    logins = plan.logins_by_id()
    found: dict[str, set[str]] = {}

    def add(group_id: str, members: set[str]) -> None:
        if group_id in names:
            found.setdefault(okta_fold(names[group_id][0]), set()).update(members)

    for m in plan.of_type("okta:index/groupMemberships:GroupMemberships"):
        add(m.inputs.get("groupId", ""), {okta_fold(logins.get(u, u)) for u in m.inputs.get("users") or ()})
    for r in plan.of_type("okta:group/rule:Rule"):
        tree = offline_rule(str(r.inputs.get("expressionValue", "")))
        if isinstance(tree, CannotEvaluate):
            continue
        matched = {okta_fold(u.login) for u in directory.users if evaluate(tree, u.attributes) is True}
        for group_id in r.inputs.get("groupAssignments") or ():
            add(group_id, matched)
    return found


# --------------------------------------------------------------------------- summary


#: The membership of a group that declares neither ``members`` nor ``rule``: managed outside this config.
OUTSIDE = "managed in Okta"


@dataclass(frozen=True)
class GroupRow:
    """A declared group assignment: its ``priority``, the group's ``name``, whether the group
    is created or looked up (``origin``), and the ``regions`` its members get."""

    priority: int
    name: str
    origin: str  # "created" | "existing (looked up by name)"
    regions: list[str]
    #: who the program puts in the group: its ``members``, its ``rule``, or neither
    membership: str = OUTSIDE


#: At most this many members' logins in a table cell (the JSON has every one).
MEMBERS_SHOWN = 3


def memberships_by_group_id(plan: Plan) -> dict[str, str]:
    """What each group's declared membership is, by group id: ``2 members: ann@example.com,
    bob@example.com`` (``okta.GroupMemberships``, the users' logins from the lookups), or
    ``rule: user.countryCode == "FR"`` (``okta.group.Rule``)."""
    logins = plan.logins_by_id()
    found: dict[str, str] = {}
    for m in plan.of_type("okta:index/groupMemberships:GroupMemberships"):
        users = [logins.get(u, u) for u in m.inputs.get("users", [])]
        more = ", ..." if len(users) > MEMBERS_SHOWN else ""
        found[m.inputs.get("groupId", "")] = (
            f"{len(users)} member{'s' if len(users) != 1 else ''}: {', '.join(users[:MEMBERS_SHOWN])}{more}"
        )
    for r in plan.of_type("okta:group/rule:Rule"):
        for group_id in r.inputs.get("groupAssignments", []):
            found[group_id] = f"rule: {r.inputs.get('expressionValue', '')}"
    return found


@dataclass(frozen=True)
class PersonRow:
    """A declared direct assignment: the person's ``login`` and ``regions`` (``None``: no
    value sent, Own creates the user in all regions)."""

    login: str
    regions: list[str] | None  # None: no value sent, Own creates the user in all regions


def _regions(profile_json: str) -> list[str] | None:
    value = json.loads(profile_json or "{}").get("regions")
    return None if value in (None, "") else split_regions(value)


def group_rows(plan: Plan) -> list[GroupRow]:
    """The declared group assignments, by priority, with the group each one targets."""
    names = plan.groups_by_id()
    memberships = memberships_by_group_id(plan)
    rows = []
    for a in plan.of_type("okta:app/groupAssignment:GroupAssignment"):
        group_id = a.inputs.get("groupId", "")
        name, origin = names.get(group_id, (group_id, "?"))
        regions = _regions(a.inputs.get("profile", "")) or []
        rows.append(
            GroupRow(int(a.inputs.get("priority", 0)), name, origin, regions, memberships.get(group_id, OUTSIDE))
        )
    return rows


def person_rows(plan: Plan) -> list[PersonRow]:
    """The declared direct assignments."""
    return [
        PersonRow(u.inputs.get("username", u.name), _regions(u.inputs.get("profile", "")))
        for u in plan.of_type("okta:app/user:User")
    ]


def app_facts(plan: Plan) -> list[tuple[str, str]]:
    """(setting, value) pairs describing the app, its provisioning and the attribute."""
    facts: list[tuple[str, str]] = []
    app = plan.one("okta:app/autoLogin:AutoLogin")
    if app:
        facts += [
            ("Label", app.inputs.get("label", "")),
            (
                "Catalog app",
                f"{app.inputs.get('preconfiguredApp')} (SCIM 2.0 Test App (Header Auth)), {app.inputs.get('status')}",
            ),
        ]
    conn = plan.one("okta:app/connection:Connection")
    if conn:
        profile = conn.inputs.get("profile", {})
        facts += [
            ("Provisioning", "api: connection and features declared through Okta's API"),
            ("SCIM base URL", conn.inputs.get("baseUrl", "")),
            (
                "Connection",
                f"action {conn.inputs.get('action')}, authScheme {profile.get('authScheme')}, "
                f"token {profile.get('token')}",
            ),
        ]
    else:
        facts += [
            ("Provisioning", "manual: set by hand in the Admin Console (steps in the outputs)"),
            ("SCIM base URL", plan.config.app.scim_base_url),
        ]
    feat = plan.one("okta:app/features:Features")
    if feat:
        caps = {k: v or "not set" for k, v in capability_statuses(feat.inputs.get("capabilities")).items()}
        facts += [
            (f"{feat.inputs.get('name')}", feat.inputs.get("status", "")),
            *((f"{CAPABILITY_LABELS[name]} ({name})", caps[name]) for name in OWN_CAPABILITIES),
        ]
    attr = plan.one("okta:index/appUserSchemaProperty:AppUserSchemaProperty")
    if attr:
        i = attr.inputs
        facts.append(
            (
                "regions attribute",
                f"index {i.get('index')}, type {i.get('type')}, externalName {i.get('externalName')}, "
                f"externalNamespace {i.get('externalNamespace')}, scope {i.get('scope')}"
                + (", protected" if attr.options.get("protect") else "")
                + (", deletion guarded by a hook" if attr.options.get("beforeDeleteHooks") else ""),
            )
        )
    else:
        facts.append(
            ("regions attribute", "not declared yet (manual mode: set app.manual_steps_done once provisioning is on)")
        )
    facts.append(("Push Groups", "never declared (Own does not support it)"))
    return facts


# --------------------------------------------------------------------------- renderers


def _regions_cell(regions: list[str] | None, account: list[str]) -> str:
    if regions is None:
        return f"all regions ({', '.join(account)})"
    return ", ".join(regions)


def _options_cell(options: dict[str, Any]) -> str:
    parts = []
    if options.get("ignoreChanges"):
        parts.append("ignoreChanges=" + ",".join(options["ignoreChanges"]))
    if options.get("replacementTrigger") is not None:
        parts.append("replacementTrigger=the declared profile")
    if options.get("protect"):
        parts.append("protect")
    if options.get("deleteBeforeReplace"):
        parts.append("deleteBeforeReplace")
    if options.get("replaceOnChanges"):
        parts.append("replaceOnChanges=" + ",".join(options["replaceOnChanges"]))
    if options.get("beforeDeleteHooks"):
        parts.append("beforeDelete hook " + ",".join(options["beforeDeleteHooks"]))
    return "; ".join(parts) or "-"


def _resources_table(plan: Plan, full: bool) -> tuple[list[str], list[list[str]]]:
    """The resources: every column (``full``), or for a narrow terminal the type's last part
    and no dependencies (``--wide`` and the other formats show them)."""
    if full:
        return ["Type", "Name", "Depends on", "Options"], [
            [r.type, r.name, ", ".join(r.options["dependsOn"]) or "-", _options_cell(r.options)] for r in plan.resources
        ]
    return ["Type", "Name", "Options"], [
        [r.type.rsplit(":", 1)[-1], r.name, _options_cell(r.options)] for r in plan.resources
    ]


def _tables(plan: Plan, full: bool = True) -> list[tuple[str, list[str], list[list[str]], str]]:
    """(title, header, rows, what to say when there are no rows) of every table, shared by
    the markdown and text renderers (``full``: every column of the resources)."""
    account = list(plan.config.regions)
    none = (
        "none"
        if plan.config.assignments_declared
        else "none yet: assignments are declared once app.manual_steps_done is true (after the manual steps)"
    )
    return [
        ("App and provisioning", ["Setting", "Value"], [[k, v] for k, v in app_facts(plan)], "none"),
        (
            "Groups (the lowest priority number wins: a user in several groups gets the first one's regions)",
            ["Priority", "Group", "Okta group", "Regions", "Members"],
            [
                [str(g.priority), g.name, g.origin, _regions_cell(g.regions, account), g.membership]
                for g in group_rows(plan)
            ],
            none,
        ),
        (
            "People (direct assignments override group values)",
            ["Login", "Regions"],
            [[p.login, _regions_cell(p.regions, account)] for p in person_rows(plan)],
            none,
        ),
        ("Resources", *_resources_table(plan, full), "none"),
    ]


def mermaid_groups(groups: list[GroupRow], regions: list[str]) -> list[str]:
    """A Mermaid ``graph LR`` block (fenced) of ``groups`` -> their regions; every label is
    escaped (:func:`ownscim_infra.domain.markdown.mermaid_label`)."""
    lines = ["```mermaid", "graph LR"]
    for region in regions:
        lines.append(f'  r_{region}(["{region}"])')
    for n, g in enumerate(groups):
        lines.append(f'  g{n}["{g.priority}: {markdown.mermaid_label(g.name)}"]')
        lines += [f"  g{n} --> r_{r}" for r in g.regions]
    lines.append("```")
    return lines


def render_markdown(plan: Plan) -> str:
    """The pull-request summary (GitHub-flavoured Markdown with a Mermaid diagram)."""
    out = [
        f"## Offline plan: {markdown.code(plan.config_file)}",
        "",
        f"{len(plan.resources)} resources declared (Pulumi mock runtime: no Okta org, no credentials).",
        "",
    ]
    for title, header, rows, none in _tables(plan):
        out += [f"### {title}", ""]
        if not rows:
            out += [f"({none})", ""]
            continue
        out += markdown.table(header, rows)
        out.append("")
        if title.startswith("Groups"):
            out += ["Groups -> regions:", ""] + mermaid_groups(group_rows(plan), list(plan.config.regions)) + [""]
    if plan.warnings:
        out += ["### Warnings", ""]
        out += [f"- **{w.code}**: {markdown.prose(w.message)}" for w in plan.warnings]
        out.append("")
    out += ["### Stack outputs", "", "```json", json.dumps(plan.outputs, indent=2, sort_keys=True), "```", ""]
    return "\n".join(out)


def not_in_directory(login: str, directory: Directory) -> str:
    """What to say of a person of the config that ``directory`` does not have: ``pulumi up``
    fails looking the login up (``okta.user.get_users``), with the directory's closest login."""
    close = directory.closest_login(login)
    hint = f" (did you mean {close}?)" if close else ""
    return f"is not in the directory{hint}: pulumi up fails looking the person up by login"


def render_text(plan: Plan, width: int | None = DEFAULT_WIDTH) -> str:
    """The summary for a terminal: aligned columns fitting ``width`` (``None``: as wide as
    they take), no markup."""
    out = [
        f"Offline plan for {plan.config_file}: {len(plan.resources)} resources",
        "(the program under Pulumi's mock runtime: no Okta org, no credentials)",
        "",
    ]
    for title, header, rows, none in _tables(plan, full=width is None):
        out.append(f"{title}:")
        if not rows:
            out += [f"  ({none})", ""]
            continue
        out += aligned(header, rows, indent="  ", max_width=width)
        if title == "Resources" and width is not None:
            out.append("  (dependencies: --wide, or --format markdown|json)")
        out.append("")
        if title.startswith("Groups"):
            out.append("Groups -> regions:")
            out += [f"  {g.priority}: {g.name} -> {', '.join(g.regions)}" for g in group_rows(plan)]
            out.append("")
    if plan.warnings:
        out.append("Warnings:")
        for w in plan.warnings:
            out += wrapped(f"- [{w.code}] {w.message}", width, "  ")
        out.append("")
    out.append("Stack outputs:")
    for key, value in sorted(plan.outputs.items()):
        if isinstance(value, list):
            out.append(f"  {key}:")
            for line in value:  # a line keeps its own indent; a long one wraps under itself
                text = str(line)
                lead = "    " + text[: len(text) - len(text.lstrip())]
                out += wrapped(text.strip(), width, lead)
        elif isinstance(value, dict) and value:
            out.append(f"  {key}:")
            out += [f"    {k}: {json.dumps(v)}" for k, v in sorted(value.items())]
        else:
            out.append(f"  {key}: {json.dumps(value, sort_keys=True)}")
    return "\n".join(out) + "\n"


def render_json(plan: Plan) -> str:
    """The machine format: sorted keys, two-space indent, trailing newline."""
    return json.dumps(plan.to_json(), indent=2, sort_keys=True) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}
