"""``python -m ownscim_infra adopt [CONFIG] --app-id ID``: bring an app set up by hand under the program.

Read-only. Many orgs did Own's console setup by hand. This command reads that app through the
``okta`` SDK (same credentials as ``verify``) and writes Pulumi's bulk import file
(``pulumi import --file``; format: pulumi.com/docs/iac/guides/migration/import/#bulk-import-operations)
that maps each live object onto the logical name the program gives it
(:mod:`ownscim_infra.domain.naming`), so that ``pulumi import --file`` followed by ``pulumi
preview`` shows no changes when the org matches the config::

    {"resources": [
      {"type": "ownscim:okta:OwnScimProvisioning", "name": "own-scim", "component": true},
      {"type": "okta:app/autoLogin:AutoLogin", "name": "own-scim-app", "id": "<app_id>", "parent": "own-scim"},
      ...]}

Which resources to import is taken from the program itself (the command passes the offline
plan of the same config, :func:`ownscim_infra.offline.plan.build_plan`), so ``provisioning:
manual`` and ``create: false`` groups (looked up, not managed) are handled exactly as the
program declares them. Import ids, from each
pulumi-okta resource's "Import" section (terraform-provider-okta ``examples/resources/*/import.sh``
and each resource's ``Importer``): app, connection ``<app_id>``; features
``<app_id>/USER_PROVISIONING``; attribute ``<app_id>/regions``; group ``<group_id>``; a
group's members ``<group_id>/true`` (``resource_okta_group_memberships.go``: ``group_id`` or
``group_id/true``, the second part setting ``track_all_users``, which the program declares
true: without it the import records false and ``pulumi preview`` shows an update); a group's
rule ``<rule_id>`` (``resource_okta_group_rule.go``, ``ImportStatePassthroughContext``; the
rule found by its name, the group's, ``GET /api/v1/groups/rules?search=``, assigning that
group); group assignment ``<app_id>/<group_id>``; person ``<app_id>/<user_id>``.

It prints what was mapped, what the program declares that the org lacks (``pulumi up`` will
create it), what the org has that the config does not describe, and ``verify``'s drift
(which ``pulumi preview`` will show as changes). ``pulumi import`` records no replacement
trigger (pulumi/pulumi ``pkg/resource/deploy/import.go``: every imported state has an empty
``ReplacementTrigger``, and ``shouldTriggerReplace`` in ``step_generator.go`` never replaces on a
null one), so an assignment whose live ``regions`` value differs from the config's is not
replaced by the next ``pulumi up`` (``ignore_changes=["profile"]`` hides the diff), nor by any
later one (the trigger it records is the config's): Okta would keep the other value for good.
For each, the summary gives the exact ``pulumi up --replace 'URN'`` (the stack: ``--stack``,
default the config file's name) or says to fix the config. Exit 0 when the file is written;
1 when it is written but such a value differs; 2 on bad input, credentials or an Okta error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ownscim_infra.config import OwnScimConfig
from ownscim_infra.domain import naming
from ownscim_infra.domain.findings import Finding
from ownscim_infra.domain.own_setup import FEATURE, REGIONS_ATTRIBUTE, okta_fold
from ownscim_infra.domain.tables import DEFAULT_WIDTH, aligned, wrapped
from ownscim_infra.live import okta_api, verify


class DeclaredResource(Protocol):
    """A resource the program declares, as the offline plan records it
    (:class:`ownscim_infra.offline.mocks.Registration`): its Pulumi ``type`` token, logical
    ``name``, ``parent`` logical name, and whether it is ``custom`` (not a component)."""

    type: str
    name: str
    parent: str | None
    custom: bool


@dataclass
class Adoption:
    """The result: ``resources`` (the import file's entries), ``missing`` (declared by the
    program, absent from the org: ``(type, name, why)``), ``undescribed`` (in the org, not in
    the config: one line each) and ``drift`` (verify's drift findings), of which
    :attr:`replacements` would make ``pulumi up`` unassign and re-assign."""

    org_url: str
    app_id: str
    resources: list[dict[str, Any]]
    stack: str = "<stack>"
    missing: list[tuple[str, str, str]] = field(default_factory=list)
    undescribed: list[str] = field(default_factory=list)
    drift: list[Finding] = field(default_factory=list)

    @property
    def replacements(self) -> list[Finding]:
        """Drift on an assignment's ``regions`` value: no ``pulumi up`` after the import
        changes it; the finding's ``repair`` is the ``pulumi up --replace`` that does."""
        return [f for f in self.drift if f.regions_drift]

    def import_file(self) -> dict[str, Any]:
        """The document for ``pulumi import --file``."""
        return {"resources": self.resources}


def _declared_names(config: OwnScimConfig) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Logical name -> config group name (groups, their members and rules, assignments) / login (people)."""
    groups = {naming.group(g.resource_key): g.name for g in config.groups}
    groups |= {naming.group_memberships(g.resource_key): g.name for g in config.groups}
    groups |= {naming.group_rule(g.resource_key): g.name for g in config.groups}
    assignments = {naming.group_assignment(g.resource_key): g.name for g in config.groups}
    people = {naming.user_assignment(p.login): p.login for p in config.people}
    return groups, assignments, people


GROUP_MEMBERSHIPS_TYPE = "okta:index/groupMemberships:GroupMemberships"
GROUP_RULE_TYPE = "okta:group/rule:Rule"


def _import_id(
    r: DeclaredResource,
    config: OwnScimConfig,
    live: okta_api.LiveApp,
    rules: Mapping[str, Sequence[okta_api.GroupRule]] | None = None,
) -> tuple[str | None, str]:
    """The import id of one declared custom resource (pulumi-okta's "Import" section of its
    type), or ``None`` with why the org lacks it; ``rules``: the group rules found by name."""
    app_id = live.app.id
    groups, assignments, people = _declared_names(config)
    if r.type == "okta:app/autoLogin:AutoLogin":
        return app_id, ""
    if r.type == "okta:app/connection:Connection":
        if live.connection is None or live.connection.status == "UNKNOWN":
            return (
                None,
                "Okta does not manage this app's connection through the API (UNKNOWN): use provisioning: manual",
            )
        return app_id, ""
    if r.type == "okta:app/features:Features":
        return (f"{app_id}/{FEATURE}" if live.feature else None), f"{FEATURE} is not available (provisioning is off)"
    if r.type == "okta:index/appUserSchemaProperty:AppUserSchemaProperty":
        return (f"{app_id}/{REGIONS_ATTRIBUTE}" if live.regions_attribute else None), "the app has no regions attribute"
    if r.type in ("okta:group/group:Group", GROUP_MEMBERSHIPS_TYPE, GROUP_RULE_TYPE):
        return _group_import_id(r.type, groups.get(r.name, ""), live, rules or {})
    if r.type == "okta:app/groupAssignment:GroupAssignment":
        assigned = {okta_fold(a.group_name): a for a in live.groups}
        a = assigned.get(okta_fold(assignments.get(r.name, "")))
        return (
            f"{app_id}/{a.group_id}" if a else None
        ), f"group {assignments.get(r.name)!r} is not assigned to the app"
    if r.type == "okta:app/user:User":
        direct = {u.user_id for u in live.users if u.scope == "USER"}
        user = live.people.get(people.get(r.name, ""))
        found = user is not None and user.id in direct
        return (
            f"{app_id}/{user.id}" if found and user else None
        ), f"{people.get(r.name)} is not assigned to the app directly"
    return None, "unknown resource type"


def _undescribed(config: OwnScimConfig, live: okta_api.LiveApp) -> list[str]:
    """What the org has that the config does not describe, one line each."""
    wanted_groups = {okta_fold(g.name) for g in config.groups}  # Okta group names are case-insensitive
    lines = [
        f"group assignment {a.group_name} ({a.group_id}), priority {a.priority}, "
        f"profile {json.dumps(a.profile, sort_keys=True)}"
        for a in live.groups
        if okta_fold(a.group_name) not in wanted_groups
    ]
    wanted_people = {u.id for u in live.people.values() if u}
    lines += [
        f"direct assignment of {u.login or u.user_id} ({u.user_id}), profile {json.dumps(u.profile, sort_keys=True)}"
        for u in live.users
        if u.scope == "USER" and u.user_id not in wanted_people
    ]
    lines += [
        f"app user schema attribute {name!r} (external name {a.external_name!r})"
        for name, a in sorted((live.schema_attributes or {}).items())
        if name != REGIONS_ATTRIBUTE
    ]
    lines += [f"group push mapping {m.id} (group {m.source_group_id})" for m in live.push_mappings]
    if "GROUP_PUSH" in live.app.features:
        lines.append("Push Groups is enabled on the app")
    return lines


def _group_import_id(
    type_: str, name: str, live: okta_api.LiveApp, rules: Mapping[str, Sequence[okta_api.GroupRule]]
) -> tuple[str | None, str]:
    """The import id of the group named ``name``, of its members or of its rule (``type_``)."""
    group = live.groups_by_name.get(name)
    if group is None:
        return None, f"no Okta group named {name!r}"
    if type_ == GROUP_MEMBERSHIPS_TYPE:
        return f"{group.id}/true", ""  # track_all_users, as the program declares it
    if type_ == GROUP_RULE_TYPE:
        found = [rule for rule in rules.get(name, ()) if group.id in rule.group_ids]
        if len(found) > 1:
            return None, f"{len(found)} group rules named {name!r} assign the group: delete all but one"
        return (found[0].id if found else None), f"no group rule named {name!r} assigns the group"
    return group.id, ""


def map_resources(
    config: OwnScimConfig,
    declared: Sequence[DeclaredResource],
    live: okta_api.LiveApp,
    rules: Mapping[str, Sequence[okta_api.GroupRule]] | None = None,
    stack: str = "<stack>",
) -> Adoption:
    """Map each resource the program declares onto its live import id (no I/O); ``rules``:
    the group rules found by name (the group's); ``stack``: whose URNs the repairs name."""
    adoption = Adoption(live.org_url, live.app.id, [], stack=stack)
    for r in declared:
        if not r.custom:
            if r.type == naming.COMPONENT_TYPE:
                adoption.resources.append({"type": r.type, "name": r.name, "component": True})
            continue
        import_id, why = _import_id(r, config, live, rules)
        if import_id is None:
            adoption.missing.append((r.type, r.name, why))
            continue
        entry = {"type": r.type, "name": r.name, "id": import_id}
        if r.parent:
            entry["parent"] = r.parent
        adoption.resources.append(entry)
    adoption.undescribed = _undescribed(config, live)
    adoption.drift = verify.check(config, live, stack=stack).drifted
    return adoption


def adopt(
    config: OwnScimConfig,
    declared: Sequence[DeclaredResource],
    app_id: str,
    env: Mapping[str, str] | None = None,
    stack: str = "<stack>",
    **reader_opts: Any,
) -> Adoption:
    """Read the app ``app_id`` (and the group rules the program declares, by name) and map it
    onto the resources the program declares for ``config`` (``declared``: the offline plan's
    resources; the command builds it); the repairs name ``stack``'s URNs. Read-only.

    :raises okta_api.CredentialsError: credentials missing or rejected.
    :raises verify.AppNotFound: no such app. :raises okta_api.OktaApiError: another Okta error.
    """
    rule_names = sorted({g.rule_name for g in config.groups if g.create and g.rule is not None})

    async def read(reader: okta_api.OktaReader) -> tuple[okta_api.LiveApp, dict[str, list[okta_api.GroupRule]]]:
        live = await verify.read_live(reader, config, app_id)
        return live, {name: await reader.find_group_rules(name) for name in rule_names}

    live, rules = verify.call_okta(read, okta_api.credentials_from_env(env), **reader_opts)
    return map_resources(config, declared, live, rules, stack)


def render_summary(adoption: Adoption, output: str, width: int | None = DEFAULT_WIDTH) -> str:
    """What ``adopt`` prints: the mapping, then what is missing, undescribed, drifting; it fits
    ``width`` columns (``None``: as wide as it takes)."""
    out = [
        f"Okta org: {adoption.org_url}",
        f"App id:   {adoption.app_id}",
        *wrapped(f"Wrote {output}: {len(adoption.resources)} resource(s) to import", width),
        "",
    ]
    rows = [[r["type"], r["name"], r.get("id", "(component)")] for r in adoption.resources]
    out += aligned(None, rows, indent="  ", max_width=width)
    sections = [
        (
            "Declared by the program but not in the org (`pulumi up` will create them):",
            [f"{n} ({t}): {why}" for t, n, why in adoption.missing],
        ),
        ("In the org but not described by the config (left alone by the program):", adoption.undescribed),
        (
            "Differences from the config (`pulumi preview` will show them as changes, except a `regions` value: "
            "see below; `verify` gives each repair):",
            [f"{f.check} {f.subject}: {f.message}" for f in adoption.drift],
        ),
    ]
    for title, lines in sections:
        out += ["", *wrapped(title, width)]
        out += [wrapped_line for line in lines for wrapped_line in wrapped(f"- {line}", width, "  ")] or ["  (none)"]
    next_step = f"pulumi import --file {output} --generate-code=false --protect=false --yes && pulumi preview"
    if adoption.replacements:
        stop = (
            "STOP: the `regions` value of "
            + ", ".join(f.subject for f in adoption.replacements)
            + " differs from the config. `pulumi import` records no replacement trigger, so no `pulumi up` "
            "will change it: Okta would keep its value while the state records the config's. Either make the "
            "config say what Okta holds and run `adopt` again, or run " + next_step + ", then, for each:"
        )
        out += ["", *wrapped(stop, width, hanging="")]
        for f in adoption.replacements:
            out += [f"- {f.subject}:", *verify.repair_lines(f.repair or "", width, "    ")]
        out += wrapped(f"(stack {adoption.stack}: --stack to name another)", width)
    else:
        out += ["", *wrapped("Next: " + next_step, width)]
    return "\n".join(out) + "\n"
