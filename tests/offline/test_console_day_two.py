"""The console file's actions applied as the admins made them, and what ``simulate`` and
``review`` then say of them: Okta reacts to each action before the next, a ``--replace``
target the run did not reach is still a replacement, a ``members`` group's membership edited
by hand is drift, and a review says which console actions its verdict assumed."""

from __future__ import annotations

import json
from pathlib import Path

from ownscim_infra.domain.repairs import member_not_in_group_repair, member_not_listed_repair
from ownscim_infra.offline.report_text import render_text as render_simulation
from ownscim_infra.offline.review import render_json, render_markdown, render_text, review
from ownscim_infra.offline.simulate import simulate
from ownscim_infra.offline.steps import Op, Status
from tests.conftest import EXAMPLE, REPO

DIRECTORY = REPO / "config" / "example-directory.yaml"
MEMBERS = "own-scim-group-members-own-dach"
URN_HEAD = "urn:pulumi:example::ownscim::ownscim:okta:OwnScimProvisioning$okta:app/groupAssignment:GroupAssignment::"


def run(tmp_path: Path, console: str, config: Path = EXAMPLE, **options):
    path = tmp_path / "console.yaml"
    path.write_text(console)
    return simulate(config, DIRECTORY, previous=(EXAMPLE, DIRECTORY), console=path, **options)


def user(report, login: str):
    return next(u for u in report.users if u.login == login)


# -- 1. in the file's order, Okta reacting to each action --------------------------------------


def test_a_member_removed_then_added_again_is_deactivated_then_created_anew_in_own(tmp_path):
    report = run(
        tmp_path,
        "- {action: remove-member, group: Own US, login: jordan.kim@example.com}\n"
        "- {action: add-member, group: Own US, login: jordan.kim@example.com}\n",
    )
    sent = [r.split(" -> ")[0].split(" ")[0] for r in user(report, "jordan.kim@example.com").requests]
    # the first run's create, then the console's removal (deactivation), then the new member's create
    assert sent.count("POST") == 2, sent
    patch = sent.index("PATCH")
    assert sent.index("POST") < patch < len(sent) - 1 - sent[::-1].index("POST")
    jordan = user(report, "jordan.kim@example.com").own
    assert jordan is not None and jordan.active and jordan.regions == ("us1",)
    assert jordan.role == "Read-only", "Own removed him: the new user has Own's defaults (role reset)"


def test_a_person_unassigned_before_the_app_is_deleted_is_deactivated_in_own(tmp_path):
    report = run(
        tmp_path,
        "- {action: unassign, person: sam.rivera@example.com}\n- {action: delete-app}\n",
    )
    sam = user(report, "sam.rivera@example.com")
    assert any(r.startswith("PATCH /Users/") for r in sam.requests), "Okta deactivated sam when he was unassigned"
    assert sam.own is None or not sam.own.active


# -- 2. a --replace target that did not run -----------------------------------------------------


def test_a_replace_target_the_failed_run_did_not_reach_is_a_replace_not_run(tmp_path):
    new = tmp_path / "example.yaml"
    # dana's direct assignment is replaced delete first, and Okta refuses (E0000046: Own US grants her the app)
    dana = "  - login: dana.lee@example.com\n    regions: "
    new.write_text(EXAMPLE.read_text().replace(dana + "[emea2]", dana + "[uk1]"))
    target = "own-scim-group-assignment-own-france"
    report = simulate(new, DIRECTORY, previous=(EXAMPLE, DIRECTORY), replace=[f"{URN_HEAD}{target}"])
    failed = report.update_failed
    assert failed is not None and failed.error_code == "E0000046"
    (step,) = [s for s in report.changes if s.name == target]
    assert (step.op, step.status, step.paths) == (Op.REPLACE, Status.NOT_RUN, ["--replace"])
    (doc,) = [c for c in report.to_json()["changes"] if c["name"] == target]
    assert (doc["op"], doc["status"]) == ("replace", "not run")
    rows = [line.split() for line in render_simulation(report, None).splitlines()]
    assert ["replace", target, "--replace", "not", "run"] in rows


# -- 3. a members group's membership edited by hand is drift ------------------------------------


def test_a_member_added_by_hand_to_a_members_group_is_drift_repaired_by_refresh(tmp_path):
    console = "- {action: add-member, group: Own DACH, login: chris.doe@example.com}\n"
    plain = run(tmp_path, console)
    (drift,) = plain.drift
    assert (drift.resource, drift.repair) == (MEMBERS, member_not_listed_repair("chris.doe@example.com"))
    assert drift.repair.startswith("pulumi up --refresh (removes chris.doe@example.com from the group")
    assert drift.what == "chris.doe@example.com is in Okta's group 'Own DACH', the config's members do not list them"
    assert not plain.ok
    refreshed = run(tmp_path, console, refresh=True)
    assert [(d.resource, d.what, d.repair) for d in refreshed.drift] == [(MEMBERS, drift.what, None)]
    chris = user(refreshed, "chris.doe@example.com").own
    assert chris is None or not chris.active, "the refresh's update removes him: Okta deactivates him in Own"


def test_a_member_removed_by_hand_from_a_members_group_is_drift_repaired_by_refresh(tmp_path):
    console = "- {action: remove-member, group: Own DACH, login: mia.schmidt@example.com}\n"
    plain = run(tmp_path, console)
    assert [(d.resource, d.what, d.repair) for d in plain.drift] == [
        (
            MEMBERS,
            "mia.schmidt@example.com listed in members is not in Okta's group 'Own DACH'",
            member_not_in_group_repair("mia.schmidt@example.com"),
        )
    ]
    refreshed = run(tmp_path, console, refresh=True)
    assert refreshed.to_json()["drift"] == [
        {
            "resource": MEMBERS,
            "what": "mia.schmidt@example.com listed in members is not in Okta's group 'Own DACH'",
            "repair": None,
        }
    ]
    mia = user(refreshed, "mia.schmidt@example.com").own
    assert mia is not None and mia.active and mia.regions == ("emea2",), "the refresh's update adds her back"


def test_a_run_without_console_has_no_membership_drift(tmp_path):
    report = simulate(EXAMPLE, DIRECTORY, previous=(EXAMPLE, DIRECTORY), refresh=True)
    assert report.drift == []


# -- 4. the review says which console actions its verdict assumed -------------------------------


def test_review_names_the_console_file_and_each_action_in_every_format(tmp_path):
    path = tmp_path / "console.yaml"
    path.write_text(
        "- {action: remove-member, group: Own US, login: jordan.kim@example.com}\n"
        "- {action: set-regions, group: Own EMEA, regions: uk1}\n"
    )
    rv = review(EXAMPLE, EXAMPLE, DIRECTORY, console=path)
    actions = [
        "remove-member group 'Own US': login 'jordan.kim@example.com'",
        "set-regions group 'Own EMEA': regions 'uk1'",
    ]
    head = f"Admin Console, after BASE's run and before NEW's ({path}): 2 action(s) applied in this order"
    text = render_text(rv)
    assert head in text
    assert [line.strip() for line in text.splitlines() if line.strip().startswith("- ") and "group 'Own" in line][
        :2
    ] == [f"- {a}" for a in actions]
    markdown = render_markdown(rv)
    assert head in markdown
    assert "- remove-member group 'Own US': login 'jordan.kim@example.com'" in markdown
    doc = json.loads(render_json(rv))
    assert (doc["console"]["file"], doc["console"]["actions"]) == (str(path), actions)


def test_review_without_console_says_nothing_of_it():
    rv = review(EXAMPLE, EXAMPLE, DIRECTORY)
    said = "Admin Console, after BASE's run"
    assert said not in render_text(rv) and said not in render_markdown(rv)
    assert "console" not in json.loads(render_json(rv))


# -- 5. what the console actions did in Own, apart from the change --------------------------------


def test_people_the_console_deactivated_are_said_apart_from_what_the_change_does(tmp_path):
    report = run(tmp_path, "- {action: remove-member, group: Own US, login: jordan.kim@example.com}\n")
    line = "jordan.kim@example.com: deactivated (removed from group 'Own US' (a membership change in Okta))"
    assert report.console_changes == [line]
    assert report.to_json()["consoleChanges"] == [line]
    text = render_simulation(report, None)
    assert f"What the Admin Console actions did in Own, before this run (1):\n  {line}\n" in text
    assert "nobody: Own holds the same users as before" in text, "the change itself does nothing to anyone"


def test_review_lists_what_the_console_did_in_own(tmp_path):
    path = tmp_path / "console.yaml"
    path.write_text(
        "- {action: remove-member, group: Own US, login: jordan.kim@example.com}\n"
        "- {action: add-member, group: Own US, login: jordan.kim@example.com}\n"
    )
    rv = review(EXAMPLE, EXAMPLE, DIRECTORY, console=path)
    line = (
        "jordan.kim@example.com: deactivated (removed from group 'Own US' (a membership change in Okta)), "
        "then created in Own (regions us1)"
    )
    assert json.loads(render_json(rv))["console"]["inOwn"] == [line]
    assert f"- {line}" in render_text(rv)
    assert "jordan.kim@example.com: deactivated" in render_markdown(rv)


def test_the_members_repair_s_other_way_keeps_the_member_added_by_hand(tmp_path):
    """The repair's alternative, to keep a member an admin added: list them in the config and
    run a plain `pulumi up`; the memberships' update adds them (already a member: no change in
    Okta) and nothing drifts."""
    console = "- {action: add-member, group: Own DACH, login: chris.doe@example.com}\n"
    (drift,) = run(tmp_path, console).drift
    assert "add them to the group's members in the config, then `pulumi up`" in (drift.repair or "")
    text = EXAMPLE.read_text().replace(
        "members: [mia.schmidt@example.com]", "members: [mia.schmidt@example.com, chris.doe@example.com]"
    )
    listed = tmp_path / "example.yaml"
    listed.write_text(text)
    kept = run(tmp_path, console, config=listed)
    assert [(d.kind, d.repair) for d in kept.drift] == [("member-added:chris.doe@example.com", None)], "repaired"
    chris = user(kept, "chris.doe@example.com").own
    assert chris is not None and chris.active and chris.regions == ("emea2",)
