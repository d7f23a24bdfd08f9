"""The provider and engine emulation against the program: each behaviour read in
terraform-provider-okta's and Pulumi's source reproduces its bug on the program's options of
before, and shows the program of now safe. ``docs/provider-semantics.md`` cites each source.

``before_fix`` turns a plan back into what the program declared before (priority = position,
the first one 0; ``replaceOnChanges: [profile]``; no ``ignoreChanges``, no trigger, no order
between the assignments): the tests that use it fail if the fix is removed from the program.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ownscim_infra.config.directory import load_directory
from ownscim_infra.offline import provider
from ownscim_infra.offline.engine import Engine, RunResult, assignments_held, conflict_groups
from ownscim_infra.offline.okta_org import OktaApiError, OktaOrg
from ownscim_infra.offline.okta_provisioning import OktaApp, resolve
from ownscim_infra.offline.plan import Plan, build_plan
from ownscim_infra.offline.simulate import simulate
from ownscim_infra.offline.steps import Op, Step
from ownscim_infra.program.component import ALLOW_ATTRIBUTE_DELETE_ENV, REGIONS_OUTPUT
from tests.conftest import EXAMPLE, REPO, example_data
from tests.offline.pulumi_project import config_errors

DIRECTORY = REPO / "config" / "example-directory.yaml"
ASSIGNMENTS = (provider.GROUP_ASSIGNMENT, provider.APP_USER)
CONFIG_ORDER = ["Own Admins Global", "Own EMEA", "Own US", "Salesforce Admins", "Own DACH", "Own France"]


def before_fix(plan: Plan) -> Plan:
    """The plan as the program of before would have declared it."""
    old = copy.deepcopy(plan)
    for r in old.resources:
        if r.type in ASSIGNMENTS:
            r.options.update(ignoreChanges=[], replacementTrigger=None, replaceOnChanges=["profile"])
            r.options["dependsOn"] = [d for d in r.options["dependsOn"] if "-group-assignment-" not in d]
        if r.type == provider.GROUP_ASSIGNMENT:
            r.inputs["priority"] -= 1
        if r.type == provider.CONNECTION:
            r.options["ignoreChanges"] = []
    return old


def new_org(*, connection_api: bool = True, group_properties: tuple[str, ...] = ()) -> OktaOrg:
    org = OktaOrg(load_directory(DIRECTORY), connection_api=connection_api, group_properties=group_properties)
    org.seed_groups(["Salesforce Admins", "Everyone"])
    return org


def ops(result: RunResult) -> dict[str, str]:
    return {s.name: s.op for s in result.steps}


def changed(result: RunResult) -> dict[str, str]:
    return {s.name: s.op for s in result.steps if s.op != "same"}


def app_id(engine: Engine) -> str:
    return next(s.id for s in engine.state.values() if s.type == provider.APP)


def write(tmp_path: Path, data: dict, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# --------------------------------------------------------------------------- 1. priority 0 is never sent


def test_priority_zero_is_not_sent_and_parallel_creates_scramble_the_order():
    """buildAppGroupAssignment sends priority only when GetOk: the first group's 0 is left out,
    Okta gives it "the next highest priority", and siblings reach Okta in any order."""
    engine = Engine(new_org())
    result = engine.up(before_fix(build_plan(EXAMPLE)).resources)
    assert result.ok
    held = [row["group"] for row in assignments_held(engine.org, app_id(engine))]
    assert held != CONFIG_ORDER
    assert held[-1] == "Own Admins Global"  # meant to be the highest, now the lowest


def test_group_order_holds_whatever_the_engine_runs_in_parallel():
    engine = Engine(new_org())
    assert engine.up(build_plan(EXAMPLE).resources).ok
    held = assignments_held(engine.org, app_id(engine))
    assert held == [{"group": g, "priority": n} for n, g in enumerate(CONFIG_ORDER, start=1)]


def test_a_declared_zero_differs_on_every_run():
    """priority's DiffSuppressFunc: ``p == n && new == "0"``; a declared 0 against the value
    Okta assigned is a diff, and the update (which again sends no priority) never ends it."""
    engine = Engine(new_org())
    plan = before_fix(build_plan(EXAMPLE)).resources
    engine.up(plan)
    for _ in range(2):
        again = engine.up(plan)
        assert again.steps and changed(again)["own-scim-group-assignment-own-admins-global"] == "update"


# --------------------------------------------------------------------------- 2. the profile read-back


def test_second_run_replaces_every_person_on_the_options_of_before():
    """resourceAppUserRead stores the whole profile (mapped attributes too); the diff is a
    DeepEqual, so with replaceOnChanges [profile] every run replaces every direct assignment:
    Okta deactivates each person in Own and assigns them again."""
    engine = Engine(new_org())
    plan = before_fix(build_plan(EXAMPLE)).resources
    engine.up(plan)
    again = engine.up(plan)
    assert changed(again)["own-scim-user-sam.rivera@example.com"] == "replace"
    sam = next(s for s in again.steps if s.name == "own-scim-user-sam.rivera@example.com")
    assert sam.paths == ["profile"]


def test_group_assignments_too_when_okta_returns_nulls():
    """#669: Okta returns every group-settable property, ``null`` when unset."""
    engine = Engine(new_org(group_properties=("department",)))
    plan = before_fix(build_plan(EXAMPLE)).resources
    engine.up(plan)
    again = changed(engine.up(plan))
    assert again["own-scim-group-assignment-own-emea"] == "replace"


def test_the_same_config_twice_changes_nothing():
    engine = Engine(new_org(group_properties=("department",)))
    plan = build_plan(EXAMPLE).resources
    assert engine.up(plan).ok
    again = engine.up(plan)
    assert again.ok and changed(again) == {}
    assert set(ops(again).values()) == {"same"}


def test_simulate_previous_equal_to_the_config_shows_no_change():
    report = simulate(EXAMPLE, DIRECTORY, previous=(EXAMPLE, DIRECTORY))
    assert report.ok
    assert report.changes and {c.op for c in report.changes} == {"same"}
    assert all(set(c.to_json()) >= {"name", "type", "op", "paths"} for c in report.changes)
    assert all(not u.sent and not u.changes for u in report.users)  # Okta sent nothing to Own
    # only the first run's lookup and create: the second run sent no request at all
    assert all(len(u.requests) <= 2 for u in report.users), [u.requests for u in report.users]


def test_first_run_is_all_creates_and_okta_holds_the_config_order():
    report = simulate(EXAMPLE, DIRECTORY)
    assert {c.op for c in report.changes} == {"create"}
    assert [g["group"] for g in report.okta["groupAssignments"]] == CONFIG_ORDER


# --------------------------------------------------------------------------- a region move


def test_a_region_change_replaces_exactly_that_assignment(tmp_path):
    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]  # Own US: us1 -> emea2
    engine = Engine(new_org())
    engine.up(build_plan(EXAMPLE).resources)
    engine.org.settle()  # the admins add the new groups' members
    result = engine.up(build_plan(write(tmp_path, data)).resources)
    assert result.ok
    assert changed(result) == {"own-scim-group-assignment-own-us": "replace"}
    step = next(s for s in result.steps if s.op == "replace")
    assert step.paths == ["replacementTrigger"] and step.delete_before_replace
    # the replacement is created from the program's inputs, not the ignored ones
    assert resolve(OktaApp.from_org(engine.org, app_id(engine)), engine.org.directory)[
        "jordan.kim@example.com"
    ].profile == {"regions": "emea2"}


@pytest.mark.parametrize(
    ("deactivation", "again"),
    [("remove", "POST"), ("keep", "PATCH")],  # Own removed the user: created anew; kept: reactivated
)
def test_a_region_move_deactivates_then_assigns_again(tmp_path, deactivation, again):
    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]
    report = simulate(write(tmp_path, data), DIRECTORY, previous=(EXAMPLE, DIRECTORY), deactivation=deactivation)
    jordan = next(u for u in report.users if u.login == "jordan.kim@example.com")
    assert [r.split(" ")[0] for r in jordan.requests] == ["GET", "POST", "PATCH", "GET", again]
    changes = {c.name: c.op for c in report.changes if c.op != "same"}
    assert changes == {"own-scim-group-assignment-own-us": "replace"}


# --------------------------------------------------------------------------- 3. E0000046


def test_a_direct_assignment_okta_will_not_delete(tmp_path):
    """dana.lee is assigned directly (emea2) and is in Own US: deleting her assignment (the
    first half of the region move) is E0000046; pulumi up fails there, and again next time."""
    data = example_data()
    data["people"][0]["regions"] = ["uk1"]
    changed_config = write(tmp_path, data)
    report = simulate(changed_config, DIRECTORY, previous=(EXAMPLE, DIRECTORY))
    assert not report.ok
    blocked = next(f for f in report.findings if f.code == "assignment-blocked-by-group")
    assert blocked.logins == ("dana.lee@example.com",)
    assert "E0000046" in blocked.message and "Own US" in blocked.message
    assert any("remove dana.lee@example.com from Own US" in s for s in blocked.steps)
    assert report.update_failed and report.update_failed.error_code == "E0000046"
    dana = next(u for u in report.users if u.login == "dana.lee@example.com")
    assert dana.own.regions == ("emea2",) and dana.own.active  # nothing changed in Own
    failed = next(c for c in report.changes if c.status == "failed")
    assert failed.name == "own-scim-user-dana.lee@example.com" and failed.op == "replace"

    engine = Engine(new_org())
    engine.up(build_plan(EXAMPLE).resources)
    engine.org.settle()
    plan = build_plan(changed_config).resources
    assert not engine.up(plan).ok and not engine.up(plan).ok  # every later run fails the same way


def test_removing_such_a_person_fails_too(tmp_path):
    data = example_data()
    data["people"] = data["people"][1:]  # dana.lee leaves `people`
    report = simulate(write(tmp_path, data), DIRECTORY, previous=(EXAMPLE, DIRECTORY))
    blocked = next(f for f in report.findings if f.code == "assignment-blocked-by-group")
    assert any("remove the direct assignment" in s for s in blocked.steps)


def test_okta_refuses_only_while_a_group_grants_the_app():
    org = new_org()
    engine = Engine(org)
    engine.up(build_plan(EXAMPLE).resources)
    org.settle()
    app = app_id(engine)
    dana = org.find_user("dana.lee@example.com")
    with pytest.raises(OktaApiError, match="E0000046"):
        org.unassign_user(app, dana)
    org.unassign_user(app, org.find_user("sam.rivera@example.com"))  # in no assigned group


# --------------------------------------------------------------------------- 4. renaming a group


def test_renaming_without_a_key_deletes_the_group_and_its_members_lose_the_app(tmp_path):
    data = example_data()
    data["groups"][1]["name"] = "Own Europe"
    report = simulate(write(tmp_path, data), DIRECTORY, previous=(EXAMPLE, DIRECTORY))
    changes = {c.name: c.op for c in report.changes if c.op != "same"}
    assert changes["own-scim-group-own-emea"] == "delete" and changes["own-scim-group-own-europe"] == "create"
    deleted = next(f for f in report.findings if f.code == "group-deleted-with-members")
    assert "its 3 membership(s)" in deleted.message and "lukas.weber@example.com" in deleted.message
    lukas = next(u for u in report.users if u.login == "lukas.weber@example.com")
    assert lukas.own is None  # deprovisioned (Own removes the account): the new group is empty


def test_renaming_with_the_key_is_an_update_in_place(tmp_path):
    data = example_data()
    data["groups"][1].update(name="Own Europe", key="own-emea")
    directory = yaml.safe_load(DIRECTORY.read_text())
    renamed = write(tmp_path, directory, "directory.yaml")
    report = simulate(write(tmp_path, data), renamed, previous=(EXAMPLE, DIRECTORY))
    changes = {c.name: c.op for c in report.changes if c.op != "same"}
    assert changes == {"own-scim-group-own-emea": "update"}
    assert not [f for f in report.findings if f.code == "group-deleted-with-members"]
    lukas = next(u for u in report.users if u.login == "lukas.weber@example.com")
    assert lukas.own.active and lukas.assignment == "group Own Europe (priority 2)"


# --------------------------------------------------------------------------- 5. Pulumi.yaml


README_API = {
    "okta:orgName": ("acme", False),
    "okta:baseUrl": ("okta.com", False),
    "okta:apiToken": ("00abc", True),
    "ownscim:scimToken": ("own-token", True),
}
README_MANUAL = {k: v for k, v in README_API.items() if k != "ownscim:scimToken"}

BEFORE = """
name: ownscim
config:
  config:
    type: string
    description: Path of this stack's config file
  scimToken:
    type: string
    secret: true
    description: Own's SCIM token
"""


def test_pulumi_yaml_of_before_demanded_settings_the_readme_does_not_set():
    project = yaml.safe_load(BEFORE)
    assert config_errors(project, "acme-prod", README_API) == [
        "Stack 'acme-prod' is missing configuration value 'config'"
    ]
    assert config_errors(project, "acme-prod", README_MANUAL) == [
        "Stack 'acme-prod' is missing configuration values 'config' and 'scimToken'"
    ]


@pytest.mark.parametrize("settings", [README_API, README_MANUAL], ids=["api", "manual"])
def test_pulumi_yaml_runs_with_the_readme_settings(settings):
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert config_errors(project, "acme-prod", settings) == []
    assert project["requiredPulumiVersion"] == ">=3.226.0"


def test_a_secret_key_cannot_take_a_plain_default():
    project = {"name": "ownscim", "config": {"scimToken": {"type": "string", "secret": True, "default": "x"}}}
    assert config_errors(project, "s", {}) == [
        "Stack 's' with configuration key 'scimToken' must be encrypted as it's secret"
    ]


# --------------------------------------------------------------------------- 6. api mode on an app Okta does not serve


def test_api_mode_on_an_unknown_connection_fails_at_the_features(api_example):
    """okta_app_features' Read errors when provisioning is off; okta_app_connection's Read
    sets action "" on UNKNOWN: without ignoreChanges a diff on every run. (Its Create and
    Update store Okta's baseUrl and authScheme, which differ on UNKNOWN: an update of those
    on every run, whatever the program: ``test_engine_connection.py``.)"""
    engine = Engine(new_org(connection_api=False))
    result = engine.up(build_plan(api_example).resources)
    assert not result.ok and result.failed is not None and result.failed.name == "own-scim-features"
    engine.refresh()  # the Read: action "" on UNKNOWN
    again = next(s for s in engine.up(build_plan(api_example).resources).steps if s.name == "own-scim-connection")
    assert "action" not in again.paths
    engine.refresh()
    old = before_fix(build_plan(api_example))
    before = next(s for s in engine.up(old.resources).steps if s.name == "own-scim-connection")
    assert before.op == "update" and "action" in before.paths


# --------------------------------------------------------------------------- the attribute


def test_the_attribute_is_protected_and_its_replacement_refused(monkeypatch):
    monkeypatch.delenv(ALLOW_ATTRIBUTE_DELETE_ENV, raising=False)
    engine = Engine(new_org())
    plan = build_plan(EXAMPLE)
    engine.up(plan.resources)
    moved = copy.deepcopy(plan)
    for r in moved.resources:
        if r.type == provider.ATTRIBUTE:
            r.inputs["externalNamespace"] = "urn:ietf:params:scim:schemas:core:2.0:User"
    result = engine.up(moved.resources)
    assert result.failed is not None and "protected" in (result.failed.error or "")
    # the value survives: nothing was deleted in Okta
    assert json.dumps(engine.org.apps[app_id(engine)].group_assignments).count('"regions"') == len(CONFIG_ORDER)


# --------------------------------------------------------------------------- the lookups


def test_a_login_okta_does_not_have_fails_the_run_before_any_change(tmp_path):
    """The program reads people and existing groups in batches, which answer without what
    Okta does not have; the program then fails (pulumi preview too), so nothing is applied."""
    directory = yaml.safe_load(DIRECTORY.read_text())
    directory["users"] = [u for u in directory["users"] if u["login"] != "sam.rivera@example.com"]
    org = OktaOrg(load_directory(write(tmp_path, directory, "directory.yaml")))
    org.seed_groups(["Everyone"])  # nor is there a group named Salesforce Admins
    engine = Engine(org)
    result = engine.up(build_plan(EXAMPLE).resources)
    assert not result.ok and result.failed is not None
    assert result.failed.error == (
        "the program fails, so pulumi up changes nothing: Okta has no user with the login "
        "'sam.rivera@example.com': check `people` and the groups' `members` in the config, or create the user "
        "in Okta first; Okta has no "
        "group (type OKTA_GROUP) named 'Salesforce Admins': check the `create: false` groups in the config, or set "
        "`create: true` to let the program create them"
    )
    assert {s.status for s in result.steps if s is not result.failed} == {"not run"}
    assert org.apps == {} and engine.state == {}

    org.seed_groups(["Salesforce Admins"])  # Okta has the group now; the login is still missing
    again = engine.up(build_plan(EXAMPLE).resources)
    assert again.failed is not None and again.failed.name == "own-scim-user-sam.rivera@example.com"
    assert "group" not in (again.failed.error or "").split(": check")[0]


# --------------------------------------------------------------------------- a reorder of regions


def _reordered(data: dict) -> dict:
    """The same config with every group's and person's regions in the reverse order."""
    data = copy.deepcopy(data)
    data["groups"][0]["regions"] = ["uk1", "emea2", "us1"]  # Own Admins Global: [us1, emea2, uk1]
    data["groups"][1]["regions"] = "uk1, emea2"  # Own EMEA: "emea2, uk1"
    for person in data["people"]:
        if person.get("regions"):
            person["regions"] = list(reversed(person["regions"]))
    return data


def test_reordering_regions_changes_nothing_in_okta(tmp_path):
    data = example_data()
    data["people"][0]["regions"] = ["emea2", "uk1"]  # dana.lee: a person with two regions
    engine = Engine(new_org())
    assert engine.up(build_plan(write(tmp_path, data)).resources).ok
    engine.org.settle()
    again = engine.up(build_plan(write(tmp_path, _reordered(data), "reordered.yaml")).resources)
    assert again.ok and changed(again) == {}  # no replacement: nobody is deactivated in Own


def test_reordering_regions_changes_nothing_in_own(tmp_path):
    from ownscim_infra.offline.review import SAFE, review

    rv = review(EXAMPLE, write(tmp_path, _reordered(example_data())), DIRECTORY)
    assert rv.verdict == SAFE and rv.resources == [] and rv.people() == []


def _written_by_the_program_of_before(engine: Engine, plan: Plan) -> None:
    """The state a stack of the program of before recorded: the regions in the config's order."""
    for reg in plan.resources:
        state = engine.state.get(reg.name)
        if state is None or reg.type not in ASSIGNMENTS:
            continue
        config = plan.config
        written = next(
            (
                g.regions
                for g in config.groups
                if reg.type == provider.GROUP_ASSIGNMENT and reg.name.endswith("-" + g.resource_key)
            ),
            None,
        )
        if reg.type == provider.APP_USER:
            written = next(p.regions for p in config.people if reg.name.endswith("-" + p.login))
        profile = json.dumps({} if written is None else {"regions": ",".join(written)})
        state.options["replacementTrigger"] = state.inputs["profile"] = profile


def _outputs_of_before(plan: Plan) -> dict:
    """The outputs a stack of the program of before has: no ``regionsByAssignment``."""
    return {k: v for k, v in plan.outputs.items() if k != REGIONS_OUTPUT}


def _upgraded(tmp_path: Path) -> tuple[Engine, dict, Plan]:
    """A stack the program of before ran on a config written out of the canonical order (Own
    Admins Global ``[us1, emea2, uk1]``, dana.lee ``[uk1, emea2]``), then the first
    ``pulumi up`` of the program of now on the same config: its engine, the config, the plan."""
    data = example_data()
    data["people"][0]["regions"] = ["uk1", "emea2"]  # dana.lee
    path = write(tmp_path, data)
    first = build_plan(path)
    engine = Engine(new_org())
    assert engine.up(first.resources).ok
    engine.org.settle()
    _written_by_the_program_of_before(engine, first)
    return engine, data, build_plan(path, previous_outputs=_outputs_of_before(first))


def test_upgrading_a_stack_the_program_of_before_recorded_replaces_nothing(tmp_path):
    """Issue 21.5: the program of before recorded each value (and its replacement trigger) in
    the config's written order; without that stack's ``regionsByAssignment`` output the
    program of now declares that order again, so the first ``pulumi up`` after the upgrade
    replaces nothing (nobody is deactivated in Own); it outputs each text for the next run."""
    engine, _, upgrade = _upgraded(tmp_path)
    result = engine.up(upgrade.resources)
    assert result.ok and changed(result) == {}
    assert upgrade.outputs[REGIONS_OUTPUT]["own-scim-group-assignment-own-admins-global"] == "us1,emea2,uk1"
    assert upgrade.outputs[REGIONS_OUTPUT]["own-scim-user-dana.lee@example.com"] == "uk1,emea2"


def test_after_the_upgrade_a_reorder_still_changes_nothing(tmp_path):
    engine, data, upgrade = _upgraded(tmp_path)
    assert engine.up(upgrade.resources).ok
    reordered = build_plan(write(tmp_path, _reordered(data), "reordered.yaml"), previous_outputs=upgrade.outputs)
    result = engine.up(reordered.resources)
    assert result.ok and changed(result) == {}
    # the recorded text is kept, verbatim, as long as it names the same regions
    assert reordered.outputs[REGIONS_OUTPUT] == upgrade.outputs[REGIONS_OUTPUT]


def test_upgrading_with_a_reorder_in_the_same_change_keeps_the_groups_recorded_text(tmp_path):
    """The upgrade's own pull request reorders too: a group's text of before is in that
    stack's ``regionsByGroup`` output, so the group assignment is not replaced."""
    engine, data, _ = _upgraded(tmp_path)
    first = build_plan(write(tmp_path, data, "first.yaml"))
    reordered = build_plan(
        write(tmp_path, _reordered(data), "reordered.yaml"), previous_outputs=_outputs_of_before(first)
    )
    result = engine.up(reordered.resources)
    assert "own-scim-group-assignment-own-admins-global" not in changed(result)
    assert reordered.outputs[REGIONS_OUTPUT]["own-scim-group-assignment-own-admins-global"] == "us1,emea2,uk1"


def test_after_the_upgrade_a_real_change_of_regions_replaces_with_the_new_text(tmp_path):
    engine, data, upgrade = _upgraded(tmp_path)
    assert engine.up(upgrade.resources).ok
    data = copy.deepcopy(data)
    data["groups"][0]["regions"] = ["us1", "emea2"]  # Own Admins Global leaves uk1
    moved = build_plan(write(tmp_path, data, "moved.yaml"), previous_outputs=upgrade.outputs)
    result = engine.up(moved.resources)
    assert result.ok and changed(result) == {"own-scim-group-assignment-own-admins-global": "replace"}
    step = next(s for s in result.steps if s.op == "replace")
    assert step.trigger is not None and json.loads(step.trigger.recorded) == {"regions": "us1,emea2,uk1"}
    assert json.loads(step.trigger.declared) == {"regions": "emea2,us1"}  # a new text: the canonical one
    assert moved.outputs[REGIONS_OUTPUT]["own-scim-group-assignment-own-admins-global"] == "emea2,us1"


def test_upgrading_a_stack_written_in_the_canonical_order_replaces_nothing(tmp_path):
    data = example_data()
    data["groups"][0]["regions"] = ["emea2", "uk1", "us1"]
    plan = build_plan(write(tmp_path, data))
    engine = Engine(new_org())
    assert engine.up(plan.resources).ok
    engine.org.settle()
    _written_by_the_program_of_before(engine, plan)
    upgrade = build_plan(write(tmp_path, data), previous_outputs=_outputs_of_before(plan))
    assert changed(engine.up(upgrade.resources)) == {}


# --------------------------------------------------------------------------- the order of parallel steps


def test_the_deletes_of_a_person_and_their_group_run_in_one_antichain_in_either_order(tmp_path):
    from ownscim_infra.offline.engine import delete_antichains, independent

    data = example_data()
    engine = Engine(new_org())
    assert engine.up(build_plan(EXAMPLE).resources).ok
    engine.org.settle()
    data["people"] = data["people"][1:]  # dana.lee's direct assignment leaves the config
    data["groups"] = [g for g in data["groups"] if g["name"] != "Own US"]  # and her group
    new = build_plan(write(tmp_path, data)).resources
    person, assignment = "own-scim-user-dana.lee@example.com", "own-scim-group-assignment-own-us"
    layers = delete_antichains(engine.state, {r.name for r in new})
    assert any({person, assignment} <= set(layer) for layer in layers)
    assert independent(new, engine.state)(person, assignment)
    assert not independent(new, engine.state)(assignment, "own-scim-group-own-us")  # the group after its assignment
    # the person's assignment first: Okta refuses it while Own US still grants the app
    result = engine.up(new, order=[person, assignment])
    assert not result.ok and result.failed is not None and result.failed.name == person
    assert result.failed.error_code == "E0000046"


def _conflict_groups_by_definition(steps, touches, independent_of):  # type: ignore[no-untyped-def]
    """The definition, every pair compared (the implementation before the index)."""
    names = [s.name for s in steps if s.op != Op.SAME and touches.get(s.name)]
    joined = {n: {n} for n in names}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if touches[a] & touches[b] and independent_of(a, b):
                merged = joined[a] | joined[b]
                for n in merged:
                    joined[n] = merged
    groups, seen = [], set()
    for n in names:
        if id(joined[n]) not in seen and len(joined[n]) > 1:
            seen.add(id(joined[n]))
            groups.append([m for m in names if m in joined[n]])
    return groups


@settings(max_examples=300, deadline=None)
@given(
    ops=st.lists(st.sampled_from([Op.CREATE, Op.UPDATE, Op.DELETE, Op.SAME]), min_size=0, max_size=12),
    things=st.lists(st.sets(st.sampled_from("abcdef"), max_size=3), min_size=12, max_size=12),
    dependent=st.sets(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=20),
)
def test_conflict_groups_are_those_of_every_pair_compared(ops, things, dependent):  # type: ignore[no-untyped-def]
    """The index of touched things finds the sets the definition (every pair of steps compared)
    finds, in the same order: steps that change something, share a touched thing (a person, a
    group name) and have no dependency between them, joined transitively."""
    steps = [Step(f"s{i}", "t", op) for i, op in enumerate(ops)]
    touches = {f"s{i}": set(things[i]) for i in range(len(ops))}

    def independent_of(a: str, b: str) -> bool:
        i, j = int(a[1:]), int(b[1:])
        return (i, j) not in dependent and (j, i) not in dependent

    assert conflict_groups(steps, touches, independent_of) == _conflict_groups_by_definition(
        steps, touches, independent_of
    )
