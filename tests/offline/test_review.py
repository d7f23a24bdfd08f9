"""``review BASE NEW``: the verdict and the rows a reviewer reads, on the examples' changes:
an unchanged config, a region move, a group rename (with and without its key), a group
removal, a person added, a direct assignee moved while in a group."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml

from ownscim_infra.cli.review import exit_code
from ownscim_infra.config.directory import load_directory
from ownscim_infra.offline import provider
from ownscim_infra.offline.plan import Plan, build_plan
from ownscim_infra.offline.report import CHANGE_ACTIONS, CHANGE_KINDS, ChangeKind, change_kinds_table
from ownscim_infra.offline.review import ATTENTION, BLOCKED, SAFE, render_json, render_markdown, render_text, review
from ownscim_infra.offline.simulate import State, load_state, simulate_states
from ownscim_infra.offline.steps import Op
from ownscim_infra.program.component import REGIONS_OUTPUT
from tests.cli.runner import Ran, ownscim
from tests.conftest import EXAMPLE, REPO, example_data
from tests.conftest import example_variant as changed

DIRECTORY = REPO / "config" / "example-directory.yaml"


def people(rv) -> dict[str, list[str]]:
    return {u.login: u.changes for u in rv.people()}


def review_cmd(*args: str) -> Ran:
    return ownscim("review", *args)


def test_an_unchanged_config_is_safe_and_changes_nothing():
    rv = review(EXAMPLE, EXAMPLE, DIRECTORY)
    assert rv.verdict == SAFE and exit_code(rv.verdict) == 0
    assert rv.people() == [] and rv.resources == [] and rv.warnings == []


def test_a_region_move_reaches_own_and_needs_attention_for_the_role_and_unit_reset(tmp_path):
    new = changed(tmp_path, lambda d: d["groups"][2].update(regions=["emea2"]))  # Own US: us1 -> emea2
    rv = review(EXAMPLE, new, DIRECTORY)
    # jordan is only in Own US: unassigned (Own removes the account), then created anew in emea2
    assert people(rv)["jordan.kim@example.com"] == ["re-created", "moved"]
    jordan = next(u for u in rv.people() if u.login == "jordan.kim@example.com")
    assert jordan.before.regions == ("us1",) and jordan.own.regions == ("emea2",) and jordan.ok
    assert [(c.name, c.op, c.paths) for c in rv.resources] == [
        ("own-scim-group-assignment-own-us", "replace", ["replacementTrigger"])
    ]
    # needs attention, for the reset (not for a move that does not reach Own)
    assert rv.verdict == ATTENTION and exit_code(rv.verdict) == 1
    assert rv.reasons == [
        "1 person removed from Own and created anew (unassigned, then assigned again): role and business unit "
        "reset to Read-only in the Default Business Unit"
    ]
    text = render_text(rv, width=None)
    assert "Own keeps the regions" not in text  # the reactivation reason of --deactivation keep
    assert "created it anew (POST /Users) in emea2, Read-only in the Default Business Unit" in text
    assert text.count("--deactivation keep") == 1  # the alternative, named once


def test_a_region_move_with_deactivation_keep_says_own_keeps_the_old_regions(tmp_path):
    new = changed(tmp_path, lambda d: d["groups"][2].update(regions=["emea2"]))  # Own US: us1 -> emea2
    rv = review(EXAMPLE, new, DIRECTORY, deactivation="keep")
    assert rv.verdict == ATTENTION
    # jordan is only in Own US: unassigned, then assigned again; Own keeps us1
    assert people(rv)["jordan.kim@example.com"] == ["re-provisioned", "move-not-in-own"]
    jordan = next(u for u in rv.people() if u.login == "jordan.kim@example.com")
    assert jordan.before.regions == ("us1",) and jordan.own.regions == ("us1",)
    assert any("re-provisioned" in r or "reactivated" in r for r in rv.reasons)


def test_review_takes_deactivation_keep_on_the_command_line(tmp_path):
    new = changed(tmp_path, lambda d: d["groups"][2].update(regions=["emea2"]))
    args = (str(EXAMPLE), str(new), "--directory", str(DIRECTORY), "--format", "json")
    kept = json.loads(review_cmd(*args, "--deactivation", "keep").stdout)
    removed = json.loads(review_cmd(*args).stdout)
    assert [p["changes"] for p in kept["people"]] == [["re-provisioned", "move-not-in-own"]]
    assert [p["changes"] for p in removed["people"]] == [["re-created", "moved"]]


def test_a_rename_without_its_key_deletes_the_group(tmp_path):
    new = changed(tmp_path, lambda d: d["groups"][1].update(name="Own Europe"))
    rv = review(EXAMPLE, new, DIRECTORY)
    assert rv.verdict == ATTENTION
    assert {w.code for w in rv.warnings} >= {"group-deleted-with-members"}
    assert people(rv)["lukas.weber@example.com"] == ["deactivated"]
    ops = {c.name: c.op for c in rv.resources}
    assert ops["own-scim-group-own-emea"] == "delete" and ops["own-scim-group-own-europe"] == "create"


def test_a_rename_with_its_key_is_safe(tmp_path):
    new = changed(tmp_path, lambda d: d["groups"][1].update(name="Own Europe", key="own-emea"))
    data = yaml.safe_load(DIRECTORY.read_text(encoding="utf-8"))
    for user in data["users"]:  # the directory follows the rename (else: directory-group-old-name)
        user["groups"] = ["Own Europe" if g == "Own EMEA" else g for g in user.get("groups", [])]
    renamed = tmp_path / "directory.yaml"
    renamed.write_text(yaml.safe_dump(data, sort_keys=False))
    rv = review(EXAMPLE, new, renamed, base_directory=DIRECTORY)
    assert rv.verdict == SAFE, rv.reasons
    assert [(c.name, c.op, c.paths) for c in rv.resources] == [("own-scim-group-own-emea", "update", ["name"])]
    assert rv.people() == []


def test_removing_a_group_deactivates_its_members(tmp_path):
    new = changed(tmp_path, lambda d: d.update(groups=[g for g in d["groups"] if g["name"] != "Own US"]))
    rv = review(EXAMPLE, new, DIRECTORY)
    assert rv.verdict == ATTENTION
    assert people(rv)["jordan.kim@example.com"] == ["deactivated"]
    # emma is also in Own EMEA: she keeps the app
    assert "emma.clarke@example.com" not in people(rv)


def test_adding_a_person_is_safe(tmp_path):
    new = changed(tmp_path, lambda d: d["people"].append({"login": "chris.doe@example.com", "regions": ["uk1"]}))
    rv = review(EXAMPLE, new, DIRECTORY)
    assert rv.verdict == SAFE
    assert people(rv) == {"chris.doe@example.com": ["provisioned"]}


def test_moving_a_direct_assignee_who_is_in_a_group_is_blocked(tmp_path):
    new = changed(tmp_path, lambda d: d["people"][0].update(regions=["uk1"]))  # dana.lee, also in Own US
    rv = review(EXAMPLE, new, DIRECTORY)
    assert rv.verdict == BLOCKED and exit_code(rv.verdict) == 3
    assert rv.reasons[0] == "pulumi up fails at own-scim-user-dana.lee@example.com (E0000046: see the warnings)"
    assert people(rv)["dana.lee@example.com"] == ["move-refused"]
    blocked = next(w for w in rv.warnings if w.code == "assignment-blocked-by-group")
    assert blocked.steps  # the manual procedure


def test_removing_a_region_people_hold_is_a_warning(tmp_path):
    def drop_uk1(d):
        d["regions"] = ["us1", "emea2"]
        d["groups"][0]["regions"] = ["us1", "emea2"]
        d["groups"][1]["regions"] = ["emea2"]

    rv = review(EXAMPLE, changed(tmp_path, drop_uk1), DIRECTORY)
    removed = next(w for w in rv.warnings if w.code == "region-removed")
    assert "uk1" in removed.message and "priya.nair@example.com" in removed.logins


def test_all_lists_everyone():
    rv = review(EXAMPLE, EXAMPLE, DIRECTORY)
    assert len(rv.people(show_all=True)) == 10 and all(u.changes == [] for u in rv.people(show_all=True))
    assert "Everyone (10):" in render_text(rv, show_all=True) and rv.people() == []


# --------------------------------------------------------------------------- the command and its formats


def test_command_exit_codes(tmp_path):
    assert review_cmd(str(EXAMPLE), str(EXAMPLE), "--directory", str(DIRECTORY)).returncode == 0
    new = changed(tmp_path, lambda d: d["groups"][2].update(regions=["emea2"]))
    assert review_cmd(str(EXAMPLE), str(new), "--directory", str(DIRECTORY)).returncode == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("app: {}\n")
    result = review_cmd(str(EXAMPLE), str(bad), "--directory", str(DIRECTORY))
    assert result.returncode == 2 and "app.scim_base_url" in result.stderr and "Traceback" not in result.stderr


def test_the_example_directory_is_found_beside_the_config():
    result = review_cmd("config/example.yaml", "config/example.yaml")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("Verdict: SAFE")


def test_markdown_for_a_pull_request(tmp_path):
    new = changed(tmp_path, lambda d: d["groups"][1].update(name="Own Europe"))
    md = review_cmd(str(EXAMPLE), str(new), "--directory", str(DIRECTORY), "--format", "markdown").stdout
    assert md.startswith("## Review of ")
    assert "**⚠️ NEEDS ATTENTION**" in md
    # removed, with its cause and what to do
    assert (
        "| lukas.weber@example.com | deactivated because group assignment 'Own EMEA' was removed | active, emea2, "
        "uk1 | absent | inactive |  | confirm the person is meant to lose Own"
    ) in md
    assert md.count("```mermaid") == 2 and "Before:" in md and "After:" in md
    assert '"2: Own Europe"' in md.split("After:")[1]


def test_the_readme_example_is_what_review_prints(tmp_path):
    readme = (REPO / "README.md").read_text()
    quoted = readme.split("For a pull request that moves the group *Own US*", 1)[1].split("**On your machine**", 1)[0]
    lines = [line[2:] if line.startswith("> ") else line[1:] for line in quoted.splitlines() if line.startswith(">")]
    verdict = " ".join(lines[: lines.index("")])
    tables = [line for line in lines if line.startswith("|")]
    new = changed(tmp_path, lambda d: d["groups"][2].update(regions=["emea2"]))  # Own US: us1 -> emea2

    md = review_cmd(str(EXAMPLE), str(new), "--directory", str(DIRECTORY), "--format", "markdown").stdout

    assert verdict in md.splitlines()
    assert len(tables) == 6 and all(line in md.splitlines() for line in tables), (tables, md)


def test_long_lists_fold_in_markdown(tmp_path):
    data = example_data()
    data["people"] += [{"login": f"p{n}@example.com", "regions": ["uk1"]} for n in range(12)]
    directory = yaml.safe_load(DIRECTORY.read_text())
    directory["users"] += [{"login": f"p{n}@example.com", "first_name": "P", "last_name": str(n)} for n in range(12)]
    (tmp_path / "dir.yaml").write_text(yaml.safe_dump(directory))
    (tmp_path / "new.yaml").write_text(yaml.safe_dump(data))
    result = review_cmd(
        str(EXAMPLE), str(tmp_path / "new.yaml"), "--directory", str(tmp_path / "dir.yaml"), "--format", "markdown"
    )
    assert "<details>\n<summary>People (12)</summary>" in result.stdout


def test_json_keys_are_stable_camel_case(tmp_path):
    new = changed(tmp_path, lambda d: d["groups"][2].update(regions=["emea2"]))
    doc = json.loads(review_cmd(str(EXAMPLE), str(new), "--directory", str(DIRECTORY), "--format", "json").stdout)
    assert set(doc) == {
        "base",
        "new",
        "verdict",
        "people",
        "resources",
        "warnings",
        "groups",
        "okta",
        "updateFailed",
        "orderDependent",
        "alreadyBefore",
    }
    assert doc["verdict"]["level"] == "needsAttention"
    person = doc["people"][0]
    assert set(person) == {"login", "changes", "before", "after", "configMeans", "ok", "why", "cause", "action"}
    assert set(person["after"]) == {"active", "regions", "role", "businessUnit"}

    def keys(value):
        if isinstance(value, dict):
            for k, v in value.items():
                yield k
                yield from keys(v)
        elif isinstance(value, list):
            for v in value:
                yield from keys(v)

    assert all(re.fullmatch(r"[a-z][a-zA-Z]*", k) for k in keys(doc) if not k.startswith("own-scim"))


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_text_fits_a_terminal(fmt, tmp_path):
    new = changed(tmp_path, lambda d: d["people"][0].update(regions=["uk1"]))
    out = review_cmd(str(EXAMPLE), str(new), "--directory", str(DIRECTORY), "--format", fmt).stdout
    if fmt == "text":
        assert max(len(line) for line in out.splitlines()) <= 100
    assert "E0000046" in out


def test_a_region_added_to_the_account_is_not_in_own_before_it(tmp_path):
    # the receiver had the regions of both configs from the start: sam.rivera (every region)
    # showed apac1 in "Own before", and the change as "no change"
    new = changed(tmp_path, lambda d: d.update(regions=[*d["regions"], "apac1"]))
    rv = review(EXAMPLE, new, DIRECTORY)
    [sam] = [u for u in rv.people() if u.login == "sam.rivera@example.com"]
    assert sam.before is not None and sam.before.regions == ("us1", "emea2", "uk1")
    assert sam.own is not None and sam.own.regions == ("us1", "emea2", "uk1")  # Own keeps what it created
    assert sam.changes == ["move-not-in-own"] and rv.verdict == ATTENTION


# --------------------------------------------------------------------------- already so before the change

_SELF_CONFIG = {
    "app": {"label": "Own", "scim_base_url": "https://scim.us1.ownbackup.example/scim/v2", "manual_steps_done": True},
    "regions": ["us1", "emea2"],
    "groups": [
        {"name": "Own New", "regions": ["emea2"]},
        {"name": "Salesforce Admins", "create": False, "regions": ["us1"]},
    ],
}


def _self_review_files(tmp_path: Path) -> tuple[Path, Path]:
    """A user in an existing group and in a group the config creates: the created group is
    empty while the run creates it, so Okta first provisions the user with the existing
    group's regions, and never pushes the created group's (a problem of the config itself)."""
    config, directory = tmp_path / "self.yaml", tmp_path / "self-directory.yaml"
    config.write_text(yaml.safe_dump(_SELF_CONFIG, sort_keys=False))
    user = {"login": "a@example.com", "first_name": "A", "last_name": "B"}
    directory.write_text(yaml.safe_dump({"users": [{**user, "groups": ["Own New", "Salesforce Admins"]}]}))
    return config, directory


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_a_config_reviewed_against_itself_is_safe_and_lists_nobody(fmt, tmp_path):
    config, directory = _self_review_files(tmp_path)
    ran = review_cmd(str(config), str(config), "--directory", str(directory), "--format", fmt)
    assert ran.returncode == 0, ran.stdout
    if fmt == "json":
        doc = json.loads(ran.stdout)
        assert doc["verdict"]["level"] == "safe" and doc["people"] == [] and doc["warnings"] == []
        # the problem the config already had is in its own section, with the person's rows
        assert [p["login"] for p in doc["alreadyBefore"]["people"]] == ["a@example.com"]
        assert doc["alreadyBefore"]["people"][0]["configMeans"] == "active in emea2"
    else:
        assert "SAFE" in ran.stdout and "NEEDS ATTENTION" not in ran.stdout
        section = ran.stdout.split("Already so before this change", 1)
        assert len(section) == 2 and "a@example.com" not in section[0] and "a@example.com" in section[1]


def test_a_problem_the_change_causes_is_not_already_so(tmp_path):
    config, directory = _self_review_files(tmp_path)
    base = tmp_path / "base.yaml"
    base.write_text(yaml.safe_dump({**_SELF_CONFIG, "groups": _SELF_CONFIG["groups"][1:]}, sort_keys=False))
    # Okta before the change has no "Own New" (the base directory); the admins add the user to
    # it after the run creates it (the directory)
    before = tmp_path / "before-directory.yaml"
    user = {"login": "a@example.com", "first_name": "A", "last_name": "B"}
    before.write_text(yaml.safe_dump({"users": [{**user, "groups": ["Salesforce Admins"]}]}))
    rv = review(base, config, directory, base_directory=before)  # the change adds "Own New": the user keeps us1
    assert rv.verdict == ATTENTION and rv.already == []
    assert any("not as the new config means" in r for r in rv.reasons)


# --------------------------------------------------------------------------- the order of parallel steps

_APP = {"label": "Own", "scim_base_url": "https://scim.us1.ownbackup.example/scim/v2", "manual_steps_done": True}


def _files(tmp_path: Path, base: dict, new: dict, users: list[tuple[str, list[str]]]) -> tuple[Path, Path, Path]:
    paths = tmp_path / "base.yaml", tmp_path / "new.yaml", tmp_path / "directory.yaml"
    for path, doc in zip(paths[:2], (base, new), strict=True):
        path.write_text(yaml.safe_dump({"app": _APP, "regions": ["us1", "emea2"], **doc}, sort_keys=False))
    listed = [{"login": login, "first_name": "A", "last_name": "B", "groups": groups} for login, groups in users]
    paths[2].write_text(yaml.safe_dump({"users": listed}))
    return paths


def test_a_group_and_a_direct_assignment_of_its_member_in_one_change_depend_on_the_order(tmp_path):
    # the group assignment and the person's assignment have no dependency between them: Pulumi
    # runs them in parallel; if the group's reaches Okta first, Own keeps us1 (no profile push)
    existing = {"name": "Salesforce Admins", "create": False, "regions": ["us1"]}
    base, new, directory = _files(
        tmp_path,
        {"groups": []},
        {"groups": [existing], "people": [{"login": "a@example.com", "regions": ["emea2"]}]},
        [("a@example.com", ["Salesforce Admins"])],
    )
    rv = review(base, new, directory)
    assert rv.verdict == ATTENTION, rv.reasons  # never safe
    assert any("depending on the order" in r for r in rv.reasons)
    outcomes = {u.own.regions for _, u in rv.orders.people["a@example.com"]}
    assert outcomes == {("emea2",), ("us1",)}  # every distinct outcome
    assert rv.orders.complete and len(rv.orders.outcomes) == 2
    doc = json.loads(render_json(rv))["orderDependent"]
    assert doc["dependsOnOrder"] and "two pull requests" in doc["advice"] and "depends_on" in doc["advice"]
    assert len(doc["people"][0]["outcomes"]) == 2
    text = render_text(rv)
    assert "Depends on the order of parallel steps" in text and "active, us1" in text
    assert "Depends on the order of parallel steps" in render_markdown(rv)


def test_removing_a_person_and_deleting_their_group_may_fail_depending_on_the_order(tmp_path):
    groups = [{"name": "Own Keep", "regions": ["us1"]}, {"name": "Own Gone", "regions": ["us1"]}]
    base, new, directory = _files(
        tmp_path,
        {"groups": groups, "people": [{"login": "a@example.com", "regions": ["emea2"]}]},
        {"groups": groups[:1]},
        [("a@example.com", ["Own Gone"]), ("b@example.com", ["Own Keep"])],
    )
    rv = review(base, new, directory)
    # the person's and the group's assignments are deleted in one antichain: in parallel
    assert rv.verdict == BLOCKED and exit_code(rv.verdict) == 3, rv.reasons
    assert "E0000046" in rv.reasons[0] and "in one order" in rv.reasons[0]
    assert [o.report.update_failed.error_code for o in rv.orders.failures] == ["E0000046"]


def test_steps_that_touch_nobody_in_common_are_not_explored(tmp_path):
    new = changed(tmp_path, lambda d: d["people"].append({"login": "chris.doe@example.com", "regions": ["uk1"]}))
    rv = review(EXAMPLE, new, DIRECTORY)
    assert rv.verdict == SAFE and rv.orders.groups == [] and len(rv.orders.outcomes) == 1
    assert "Depends on the order" not in render_text(rv)


def test_beyond_the_cap_the_review_says_not_all_orders_were_explored(tmp_path, monkeypatch):
    from ownscim_infra.offline import review as module

    monkeypatch.setattr(module, "MAX_ORDERS", 0)
    existing = {"name": "Salesforce Admins", "create": False, "regions": ["us1"]}
    base, new, directory = _files(
        tmp_path,
        {"groups": []},
        {"groups": [existing], "people": [{"login": "a@example.com", "regions": ["emea2"]}]},
        [("a@example.com", ["Salesforce Admins"])],
    )
    rv = review(base, new, directory)
    assert rv.verdict == ATTENTION and not rv.orders.complete
    assert any("not all orders explored" in r for r in rv.reasons)


# --------------------------------------------------------------------------- what to do, and why (issue 22.7)


def test_every_change_kind_has_an_action_and_the_readme_gives_the_same():
    for kind in ChangeKind:
        assert CHANGE_KINDS[kind] and CHANGE_ACTIONS[kind], kind
    readme = (REPO / "README.md").read_text().splitlines()
    table = change_kinds_table()
    at = readme.index(table[0])
    # the README's table is the mapping, row for row (regenerate it from change_kinds_table())
    assert readme[at : at + len(table)] == table
    assert len(table) == 2 + len(ChangeKind) and readme[at + len(table)] == ""


def test_a_removed_group_assignment_names_its_cause_and_the_action_in_every_format(tmp_path):
    new = changed(tmp_path, lambda d: d["groups"].pop(1))  # Own EMEA leaves the config: lukas loses the app
    rv = review(EXAMPLE, new, DIRECTORY)
    action = CHANGE_ACTIONS[ChangeKind.DEACTIVATED]
    cause = "group assignment 'Own EMEA' was removed"
    lukas = next(u for u in rv.people() if u.login == "lukas.weber@example.com")
    assert lukas.changes == ["deactivated"] and lukas.cause == cause and lukas.action == action

    text = render_text(rv, width=None).splitlines()
    at = text.index("  lukas.weber@example.com:")
    assert text[at + 1 : at + 3] == [f"    - deactivated because {cause}", f"    - what to do: {action}"]

    md = render_markdown(rv)
    row = next(line for line in md.splitlines() if line.startswith("| lukas.weber@example.com |"))
    assert row.split(" | ")[1] == f"deactivated because {cause}" and row.endswith(f" | {action} |")
    assert "| Person | Change | Own before | Own after | The new config means | Why | What to do |" in md

    person = next(p for p in json.loads(render_json(rv))["people"] if p["login"] == "lukas.weber@example.com")
    assert person["cause"] == cause and person["action"] == action
    # every row says what to do, the others too (emma keeps the app through Own US)
    assert all(p["action"] for p in json.loads(render_json(rv))["people"])


def test_a_removed_direct_assignment_is_named_as_the_cause(tmp_path):
    new = changed(tmp_path, lambda d: d["people"].pop(1))  # sam.rivera: assigned directly, in no group
    doc = json.loads(render_json(review(EXAMPLE, new, DIRECTORY)))
    sam = next(p for p in doc["people"] if p["login"] == "sam.rivera@example.com")
    assert sam["changes"] == ["deactivated"]
    assert sam["cause"] == "the direct assignment was removed"
    assert sam["action"] == CHANGE_ACTIONS[ChangeKind.DEACTIVATED]


def test_a_person_removed_from_a_group_is_named_as_the_cause(tmp_path):
    directory = yaml.safe_load(DIRECTORY.read_text())
    for user in directory["users"]:
        if user["login"] == "lukas.weber@example.com":
            user["groups"] = []  # an admin takes lukas out of Own EMEA
    after = tmp_path / "after-directory.yaml"
    after.write_text(yaml.safe_dump(directory))
    rv = review(EXAMPLE, EXAMPLE, after, base_directory=DIRECTORY)
    lukas = next(u for u in rv.people() if u.login == "lukas.weber@example.com")
    assert lukas.changes == ["deactivated"]
    assert lukas.cause == "removed from group 'Own EMEA' (a membership change in Okta)"


def test_a_region_move_names_the_replaced_assignment_and_what_to_do(tmp_path):
    new = changed(tmp_path, lambda d: d["groups"][2].update(regions=["emea2"]))  # Own US: us1 -> emea2
    jordan = next(u for u in review(EXAMPLE, new, DIRECTORY).people() if u.login == "jordan.kim@example.com")
    assert jordan.cause == "group assignment 'Own US' was deleted to be replaced"
    # re-created and moved: the one thing to do, not "...; none: Own holds the new regions" after it
    assert jordan.action == CHANGE_ACTIONS[ChangeKind.RE_CREATED]


# --------------------------------------------------------------------------- upgrading the product (issue 21.5)


def _as_the_program_of_before(plan: Plan) -> Plan:
    """``plan`` as the program of before declared it: each ``regions`` value (and replacement
    trigger) in the config's written order, and no ``regionsByAssignment`` output."""
    old = copy.deepcopy(plan)
    written = {g.name: g.regions for g in plan.config.groups} | {p.login: p.regions for p in plan.config.people}
    for r in old.resources:
        key = r.inputs.get("username") if r.type == provider.APP_USER else None
        if r.type == provider.GROUP_ASSIGNMENT:
            key = next(g.name for g in plan.config.groups if r.name.endswith("-" + g.resource_key))
        if key is not None and written.get(key) is not None:
            r.inputs["profile"] = r.options["replacementTrigger"] = json.dumps({"regions": ",".join(written[key])})
    old.outputs = {k: v for k, v in plan.outputs.items() if k != REGIONS_OUTPUT}
    return old


def test_the_first_run_after_an_upgrade_changes_nothing_in_okta_or_own(tmp_path):
    """A stack the program of before recorded with ``us1,emea2,uk1`` (Own Admins Global, as
    written) and ``uk1,emea2`` (dana.lee): the program of now, reading that stack's outputs,
    declares the same texts: nothing replaced, nobody deactivated or re-created in Own."""
    path = changed(tmp_path, lambda d: d["people"][0].update(regions=["uk1", "emea2"]))
    directory = load_directory(DIRECTORY)
    before = State(_as_the_program_of_before(build_plan(path)), directory, str(DIRECTORY))
    upgrade = load_state(path, DIRECTORY, previous=before)
    report = simulate_states(upgrade, before)
    assert [(s.name, s.op) for s in report.changes if s.op != Op.SAME] == []
    assert report.changed_users == [] and report.ok


def test_a_review_of_a_reorder_after_the_upgrade_is_safe_and_a_set_change_replaces(tmp_path):
    base = changed(tmp_path, lambda d: d["groups"][1].update(regions=["uk1", "emea2"]))  # Own EMEA, written so
    reordered = tmp_path / "reordered.yaml"
    reordered.write_text(base.read_text().replace("- uk1\n  - emea2", "- emea2\n  - uk1"))
    assert reordered.read_text() != base.read_text()
    rv = review(base, reordered, DIRECTORY)
    assert rv.verdict == SAFE and rv.resources == [] and rv.people() == []
    (tmp_path / "moved.yaml").write_text(base.read_text().replace("- uk1\n  - emea2", "- uk1"))
    rv = review(base, tmp_path / "moved.yaml", DIRECTORY)
    assert [(c.name, c.op) for c in rv.resources] == [("own-scim-group-assignment-own-emea", "replace")]
    assert rv.resources[0].trigger is not None and json.loads(rv.resources[0].trigger.declared) == {"regions": "uk1"}


def test_a_change_the_program_refuses_on_the_base_s_stack_is_bad_input(tmp_path):
    """NEW is run on the outputs BASE's run left, as pulumi up would: provisioning manual without
    manual_steps_done on a stack that assigned groups is refused before anything changes."""
    new = changed(tmp_path, lambda d: d["app"].pop("manual_steps_done"))
    result = review_cmd(str(EXAMPLE), str(new), "--directory", str(DIRECTORY))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{new}: app.provisioning: manual without app.manual_steps_done: true" in result.stderr


def test_a_change_that_puts_the_app_is_not_safe_and_says_what_the_put_may_reset(tmp_path):
    """A new label is an update of the app, and the provider's update is one full ``PUT
    /api/v1/apps/{appId}`` of every argument (``resourceAppAutoLoginUpdate``, ``buildAppAutoLogin``;
    docs/provider-semantics.md row 29): a setting made by hand that the program does not declare
    (Sign On > Application username format: the userName Okta sends Own) is reset to its default,
    which no file the review reads can show; and whether the PUT keeps the app's provisioning
    settings is not known offline (a full PUT reset them: terraform-provider-okta #655, Okta
    release 2022.09.3, OKTA-520647). The review says so (``app-updated``), never ``safe``; a
    change of the status only (no PUT: ``d.HasChangeExcept("status")``) is no such warning."""
    rv = review(EXAMPLE, changed(tmp_path, lambda d: d["app"].update(label="Own Backup")), DIRECTORY)
    (step,) = [s for s in rv.resources if s.name == "own-scim-app"]
    assert (step.op, step.paths) == (Op.UPDATE, ["label"])
    assert rv.verdict == ATTENTION
    (warning,) = [w for w in rv.warnings if w.code == "app-updated"]
    assert "Application username format" in warning.message and "verify" in " ".join(warning.steps)
    assert [w.code for w in review(EXAMPLE, EXAMPLE, DIRECTORY).warnings] == []
