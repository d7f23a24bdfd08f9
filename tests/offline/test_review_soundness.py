"""``review BASE NEW`` is never falsely safe about group names, provisioning through the API
or warnings (issue 21, items 1, 2, 6 and 7): Okta's unique group names, a BASE whose own run
fails, both answers Okta may give for the app's connection, every warning ``plan`` gives for
NEW, and a directory that still lists a renamed group's old name."""

from __future__ import annotations

from pathlib import Path

import yaml

from ownscim_infra.offline import okta_org
from ownscim_infra.offline.review import ATTENTION, BLOCKED, SAFE, render_markdown, render_text, review
from tests.conftest import EXAMPLE, REPO
from tests.conftest import example_group as group
from tests.conftest import example_variant as changed

DIRECTORY = REPO / "config" / "example-directory.yaml"


def directory(tmp_path: Path, edit, name: str = "directory.yaml") -> Path:
    data = yaml.safe_load(DIRECTORY.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def codes(rv) -> set[str]:
    return {w.code for w in rv.warnings}


def changes(rv) -> dict[str, list[str]]:
    return {u.login: [str(c) for c in u.changes] for u in rv.people()}


# --------------------------------------------------------------------------- item 1: unique group names


def test_a_group_okta_has_created_by_the_change_is_blocked(tmp_path):
    # the PR drops `create: false` from Salesforce Admins (alex.morgan is in it in Okta)
    new = changed(tmp_path, lambda d: group(d, "Salesforce Admins").pop("create"))
    rv = review(EXAMPLE, new, DIRECTORY)
    assert rv.verdict == BLOCKED, rv.reasons
    failed = rv.report.update_failed
    assert failed is not None and failed.name == "own-scim-group-salesforce-admins" and failed.op == "create"
    assert failed.error_code == "E0000001" and "already exists" in failed.error
    # BASE's own run looked Salesforce Admins up and was not silently compared against nothing
    assert "base-run-failed" not in codes(rv)
    assert "alex.morgan@example.com" not in changes(rv)


def test_a_group_a_base_directory_lists_is_taken_for_the_group_the_change_adds(tmp_path):
    # BASE does not name Salesforce Admins; Okta has it, with alex.morgan in it (the base directory)
    base = changed(tmp_path, lambda d: d["groups"].pop(3), "base.yaml")
    new = changed(tmp_path, lambda d: group(d, "Salesforce Admins").pop("create"))
    rv = review(base, new, directory(tmp_path, lambda d: None, "now.yaml"), base_directory=DIRECTORY)
    assert rv.verdict == BLOCKED and rv.report.update_failed.error_code == "E0000001", rv.reasons


def test_renaming_a_created_group_to_the_name_of_an_existing_group_is_blocked(tmp_path):
    # Own US keeps its key and takes the name of Okta's Everyone group (chris.doe is in it)
    new = changed(tmp_path, lambda d: group(d, "Own US").update(name="Everyone", key="own-us"))
    rv = review(EXAMPLE, new, DIRECTORY)
    assert rv.verdict == BLOCKED, rv.reasons
    failed = rv.report.update_failed
    assert (failed.name, failed.op, failed.error_code) == ("own-scim-group-own-us", "update", "E0000001")
    # Everyone's members are not Own US's: nobody of Everyone is created in Own
    assert "chris.doe@example.com" not in changes(rv)
    assert "alex.morgan@example.com" not in changes(rv)


def test_a_new_key_with_the_same_name_creates_before_it_deletes_and_is_blocked(tmp_path):
    new = changed(tmp_path, lambda d: group(d, "Own US").update(key="us-team"))
    rv = review(EXAMPLE, new, DIRECTORY)
    assert rv.verdict == BLOCKED, rv.reasons
    failed = rv.report.update_failed
    assert (failed.name, failed.op, failed.error_code) == ("own-scim-group-us-team", "create", "E0000001")
    assert "E0000001" in rv.reasons[0]


def test_a_base_whose_run_fails_is_never_compared_in_silence(tmp_path, monkeypatch):
    # an admin deleted Salesforce Admins from Okta: BASE's own lookup of it fails
    seed = okta_org.OktaOrg.seed_groups
    monkeypatch.setattr(
        okta_org.OktaOrg, "seed_groups", lambda self, names: seed(self, [n for n in names if n != "Salesforce Admins"])
    )
    rv = review(EXAMPLE, EXAMPLE, DIRECTORY)
    assert rv.verdict != SAFE
    base = next(w for w in rv.warnings if w.code == "base-run-failed")
    assert "cannot be reproduced" in base.message and "Salesforce Admins" in base.message
    assert rv.reasons[0] == base.message
    assert "base-run-failed" in render_text(rv) and "cannot be reproduced" in render_markdown(rv)


# --------------------------------------------------------------------------- item 2: manual -> api


def test_switching_to_api_provisioning_says_what_each_org_does(tmp_path):
    def to_api(d):
        d["app"].update(provisioning="api")
        d["app"].pop("manual_steps_done")

    new = changed(tmp_path, to_api)
    rv = review(EXAMPLE, new, DIRECTORY)
    assert rv.verdict != SAFE, rv.reasons
    switch = next(w for w in rv.warnings if w.code == "provisioning-api-on")
    enabled, unknown = switch.message.split("Where it answers UNKNOWN")
    assert "(ENABLED): pulumi up succeeds" in enabled
    assert "pulumi up fails at own-scim-features" in unknown and "every later pulumi up fails" in unknown
    # the connectionStatus output says ENABLED until a refresh (the provider sets it): the check asks Okta
    assert (
        "`python -m ownscim_infra verify CONFIG` (or `pulumi refresh`, then `pulumi stack output "
        "connectionStatus`" in unknown
    )


# --------------------------------------------------------------------------- item 6: plan's warnings


def test_a_review_shows_every_warning_plan_gives_for_new_and_base_s_apart(tmp_path):
    # lukas.weber is in Own EMEA: assigned directly too, Okta will refuse to remove or move him
    new = changed(tmp_path, lambda d: d["people"].append({"login": "lukas.weber@example.com", "regions": ["emea2"]}))
    rv = review(EXAMPLE, new, DIRECTORY)
    assert rv.verdict != SAFE
    blocked = [w for w in rv.warnings if w.code == "assignment-blocked-by-group"]
    assert [w.logins for w in blocked] == [("lukas.weber@example.com",)]
    # dana.lee's is already so before the change: listed apart, not in the verdict
    assert [w.logins for w in rv.already_warnings if w.code == "assignment-blocked-by-group"] == [
        ("dana.lee@example.com",)
    ]
    assert "warnings" in rv.to_json()["alreadyBefore"]


def test_a_config_against_itself_lists_base_s_warnings_apart_and_is_safe():
    rv = review(EXAMPLE, EXAMPLE, DIRECTORY)
    assert rv.verdict == SAFE and rv.warnings == []
    # dana.lee (assigned directly, in Own US): already so, named apart from the verdict
    assert {w.code for w in rv.already_warnings} == {"assignment-blocked-by-group", "regions-not-guaranteed"}
    assert "Already so before this change" in render_text(rv)


# --------------------------------------------------------------------------- item 7: a directory's old names


def test_a_directory_that_lists_a_renamed_group_s_old_name_is_a_warning(tmp_path):
    new = changed(tmp_path, lambda d: group(d, "Own EMEA").update(name="Own Europe", key="own-emea"))
    rv = review(EXAMPLE, new, DIRECTORY)
    assert rv.verdict == ATTENTION
    old = next(w for w in rv.warnings if w.code == "directory-group-old-name")
    assert old.logins == ("priya.nair@example.com", "lukas.weber@example.com", "emma.clarke@example.com")
    assert "'Own EMEA'" in old.message and "'Own Europe'" in old.message


def test_a_directory_that_follows_the_rename_is_safe(tmp_path):
    new = changed(tmp_path, lambda d: group(d, "Own EMEA").update(name="Own Europe", key="own-emea"))

    def rename(d):
        for user in d["users"]:
            user["groups"] = ["Own Europe" if g == "Own EMEA" else g for g in user.get("groups", [])]

    rv = review(EXAMPLE, new, directory(tmp_path, rename), base_directory=DIRECTORY)
    assert rv.verdict == SAFE, rv.reasons
    assert rv.people() == [] and rv.warnings == []


def test_the_next_simulation_on_a_directory_with_the_old_name_leaves_them_out(tmp_path):
    # what the warning above says: on the renamed config, the old name is no group's
    from ownscim_infra.offline.simulate import simulate

    new = changed(tmp_path, lambda d: group(d, "Own EMEA").update(name="Own Europe", key="own-emea"))
    lukas = next(u for u in simulate(new, DIRECTORY).users if u.login == "lukas.weber@example.com")
    assert lukas.own is None


def test_a_rename_to_the_name_another_group_gives_up_in_the_same_change_depends_on_the_order(tmp_path):
    """Two renames with no dependency between them run in parallel: Own EMEA -> Own US succeeds
    only if Own US -> Own Americas ran first (Okta's unique names, E0000001). The order found
    first succeeded, and the review said safe (an adversarial test)."""
    head = (
        "app: {label: Own, scim_base_url: https://scim.example.com/scim/v2, provisioning: manual,"
        " manual_steps_done: true}\nregions: [us1, emea2]\ngroups:\n"
    )
    base, new = tmp_path / "base.yaml", tmp_path / "new.yaml"
    base.write_text(
        head + "  - {name: Own EMEA, key: aaa, regions: [emea2]}\n  - {name: Own US, key: zzz, regions: [us1]}\n"
    )
    new.write_text(
        head + "  - {name: Own US, key: aaa, regions: [emea2]}\n  - {name: Own Americas, key: zzz, regions: [us1]}\n"
    )
    before, after = tmp_path / "before.yaml", tmp_path / "after.yaml"
    before.write_text(
        "users:\n  - {login: a@example.com, groups: [Own EMEA]}\n  - {login: b@example.com, groups: [Own US]}\n"
    )
    after.write_text(
        "users:\n  - {login: a@example.com, groups: [Own US]}\n  - {login: b@example.com, groups: [Own Americas]}\n"
    )
    rv = review(base, new, after, base_directory=before)
    assert rv.verdict != SAFE, rv.reasons
    assert rv.verdict == BLOCKED and "E0000001" in rv.reasons[0] and "in one order" in rv.reasons[0], rv.reasons
    assert sorted(rv.report.conflicts[0]) == ["own-scim-group-aaa", "own-scim-group-zzz"]
    assert "Depends on the order of parallel steps" in render_text(rv)


def test_a_group_s_old_name_never_masks_the_name_another_group_has_now(tmp_path):
    """Own US -> Own Americas and Own EMEA -> Own US in one change: a directory that lists
    "Own US" after it means Own EMEA's group (the name it has now), not the group that had the
    name. The old name was resolved first: the review told a reviewer to put a@example.com
    back in us1 (an adversarial test)."""
    from ownscim_infra.config import load_config
    from ownscim_infra.config.directory import load_directory
    from ownscim_infra.offline.expectations import expectations

    head = (
        "app: {label: Own, scim_base_url: https://scim.example.com/scim/v2, provisioning: manual,"
        " manual_steps_done: true}\nregions: [us1, emea2]\ngroups:\n"
    )
    base, new = tmp_path / "base.yaml", tmp_path / "new.yaml"
    base.write_text(
        head + "  - {name: Own US, key: zzz, regions: [us1]}\n  - {name: Own EMEA, key: aaa, regions: [emea2]}\n"
    )
    new.write_text(
        head + "  - {name: Own Americas, key: zzz, regions: [us1]}\n  - {name: Own US, key: aaa, regions: [emea2]}\n"
    )
    after = tmp_path / "after.yaml"
    after.write_text(
        "users:\n  - {login: a@example.com, groups: [Own US]}\n  - {login: b@example.com, groups: [Own Americas]}\n"
    )
    meant = expectations(load_config(new), load_directory(after), (load_config(base), load_directory(after)))
    assert meant["a@example.com"].regions == ("emea2",) and meant["a@example.com"].via == "groups: Own US"
    assert meant["b@example.com"].regions == ("us1",) and meant["b@example.com"].via == "groups: Own Americas"
