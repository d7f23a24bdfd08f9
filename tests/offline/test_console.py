"""Admin Console actions between two runs (``simulate --previous C --console F``): Okta's
provisioning reacts as Okta would, and what ``pulumi up``, ``pulumi up --refresh`` and
``pulumi up --replace`` then do about each (issue 17, items 1, 2 and 4)."""

from __future__ import annotations

import pytest

from ownscim_infra.config import ConfigError
from ownscim_infra.domain import repairs
from ownscim_infra.domain.errors import InputError
from ownscim_infra.domain.repairs import REFRESH
from ownscim_infra.offline.simulate import simulate
from ownscim_infra.offline.steps import Op, Status
from tests.conftest import EXAMPLE, REPO, console_run

DIRECTORY = REPO / "config" / "example-directory.yaml"
URN_HEAD = "urn:pulumi:example::ownscim::ownscim:okta:OwnScimProvisioning$"


run = console_run


def users(report) -> dict:
    return {u.login: u for u in report.users}


def ops(report) -> dict[str, Op]:
    return {s.name: s.op for s in report.changes if s.op != Op.SAME}


def test_a_group_value_edited_in_the_console_is_not_pushed_and_a_plain_up_keeps_it(tmp_path):
    report = run(tmp_path, "- {action: set-regions, group: Own US, regions: emea2}\n")
    jordan = users(report)["jordan.kim@example.com"]
    # Update User Attributes is off (Own's setup page): Okta pushes nothing, Own keeps us1
    assert jordan.own is not None and jordan.own.regions == ("us1",)
    assert ops(report) == {}, "a plain pulumi up reads nothing: every resource is same"
    (drift,) = report.drift
    assert drift.resource == "own-scim-group-assignment-own-us"
    assert "regions is emea2 in Okta, the config says us1" in drift.what
    assert drift.repair is not None
    assert drift.repair.startswith(
        f"pulumi up --replace '{URN_HEAD}okta:app/groupAssignment:GroupAssignment::own-scim-group-assignment-own-us'"
    )
    assert not report.ok
    assert report.next_run is not None and all(s.op == Op.SAME for s in report.next_run)


def test_a_console_regions_value_survives_pulumi_up_refresh(tmp_path):
    report = run(tmp_path, "- {action: set-regions, person: dana.lee@example.com, regions: us1}\n", refresh=True)
    assert ops(report) == {}, "the refresh rewrites the inputs from Okta; the trigger is unchanged"
    (drift,) = report.drift
    assert drift.resource == "own-scim-user-dana.lee@example.com"
    assert drift.repair is not None and drift.repair.startswith(f"pulumi up --replace '{URN_HEAD}okta:app/user:User::")


def test_replace_repairs_a_console_regions_value_and_converges(tmp_path):
    report = run(
        tmp_path,
        "- {action: set-regions, group: Own US, regions: emea2}\n",
        replace=[f"{URN_HEAD}okta:app/groupAssignment:GroupAssignment::own-scim-group-assignment-own-us"],
    )
    assert ops(report) == {"own-scim-group-assignment-own-us": Op.REPLACE}
    assert [(d.resource, d.repair) for d in report.drift] == [("own-scim-group-assignment-own-us", None)]
    assert report.next_run is not None and all(s.op == Op.SAME for s in report.next_run)
    assert report.ok


def test_an_assignment_removed_by_hand_comes_back_with_refresh_only(tmp_path):
    plain = run(tmp_path, "- {action: unassign, group: Own EMEA}\n")
    assert ops(plain) == {}
    assert [(d.resource, d.repair) for d in plain.drift] == [("own-scim-group-assignment-own-emea", REFRESH)]
    lukas = users(plain)["lukas.weber@example.com"]
    assert not lukas.ok, "Okta deactivated the group's members in Own when the admin unassigned it"
    refreshed = run(tmp_path, "- {action: unassign, group: Own EMEA}\n", refresh=True)
    assert ops(refreshed) == {"own-scim-group-assignment-own-emea": Op.CREATE}, "the Read answered 404"
    assert [(d.resource, d.repair) for d in refreshed.drift] == [("own-scim-group-assignment-own-emea", None)]
    assert users(refreshed)["lukas.weber@example.com"].ok


def test_a_direct_assignment_removed_by_hand_from_a_group_member_is_never_created_again(tmp_path):
    report = run(tmp_path, "- {action: unassign, person: dana.lee@example.com}\n", refresh=True)
    assert ops(report) == {}, "the app user's Read answers 200 (scope GROUP): the state keeps the resource"
    (drift,) = report.drift
    assert drift.resource == "own-scim-user-dana.lee@example.com"
    assert "only through group 'Own US' (scope GROUP" in drift.what
    assert drift.repair == (
        "Admin Console > Applications > Own > Assignments > Assign > Assign to People: dana.lee@example.com, "
        "regions emea2; then `pulumi refresh`"
    )


def test_a_group_renamed_in_the_console_is_renamed_back_by_refresh(tmp_path):
    plain = run(tmp_path, "- {action: rename-group, group: Own US, to: US Team}\n")
    assert [(d.resource, d.repair) for d in plain.drift] == [("own-scim-group-own-us", REFRESH)]
    refreshed = run(tmp_path, "- {action: rename-group, group: Own US, to: US Team}\n", refresh=True)
    assert ops(refreshed) == {"own-scim-group-own-us": Op.UPDATE}
    assert [d.repair for d in refreshed.drift] == [None]


def test_members_added_and_removed_in_the_console_are_provisioned_and_deactivated(tmp_path):
    report = run(
        tmp_path,
        "- {action: add-member, group: Own US, login: chris.doe@example.com}\n"
        "- {action: remove-member, group: Own US, login: jordan.kim@example.com}\n",
    )
    chris, jordan = users(report)["chris.doe@example.com"], users(report)["jordan.kim@example.com"]
    assert chris.own is not None and chris.own.active and chris.own.regions == ("us1",)
    assert jordan.own is None or not jordan.own.active
    assert chris.ok and jordan.ok, "the config leaves Own US's membership to Okta: as the config means"
    assert report.drift == []


def test_a_member_added_by_hand_to_a_members_group_is_removed_only_after_a_refresh(tmp_path):
    """Row 16: the config owns Own DACH's membership (``track_all_users``); a member added in the
    console is unseen by a plain ``pulumi up`` (drift, repair: refresh), and removed by the
    ``pulumi up --refresh`` that reads the group (``checkIfUsersHaveChanged``)."""
    console = "- {action: add-member, group: Own DACH, login: chris.doe@example.com}\n"
    plain = run(tmp_path, console)
    chris = users(plain)["chris.doe@example.com"]
    assert ops(plain) == {}, "Pulumi diffs against its state: the hand-added member is not seen"
    assert chris.own is not None and chris.own.active and chris.own.regions == ("emea2",)
    refreshed = run(tmp_path, console, refresh=True)
    assert ops(refreshed) == {"own-scim-group-members-own-dach": Op.UPDATE}
    chris = users(refreshed)["chris.doe@example.com"]
    assert chris.own is None or not chris.own.active, "removed from the group: Okta deactivates them in Own"
    assert refreshed.next_run is not None and all(s.op == Op.SAME for s in refreshed.next_run)


def test_the_app_deleted_by_hand_fails_the_refresh_at_the_connection(tmp_path, api_example):
    plain = run(tmp_path, "- {action: delete-app}\n", config=api_example)
    (drift,) = plain.drift
    assert drift.resource == "own-scim-app"
    assert drift.repair is not None
    head = URN_HEAD.replace("example::", f"{api_example.stem}::")
    assert f"pulumi state delete '{head}okta:app/connection:Connection::own-scim-connection'" in drift.repair
    assert f"pulumi state delete '{head}okta:app/features:Features::own-scim-features'" in drift.repair
    refreshed = run(tmp_path, "- {action: delete-app}\n", config=api_example, refresh=True)
    failed = refreshed.update_failed
    assert failed is not None and failed.name == "own-scim-connection"
    assert "404" in (failed.error or "")
    assert all(s.status != Status.DONE for s in refreshed.changes), "no step runs after a failed refresh"


def test_an_action_the_org_cannot_take_names_the_file_and_the_key(tmp_path):
    with pytest.raises(ConfigError) as caught:
        run(
            tmp_path,
            "- {action: unassign, group: Own US}\n- {action: set-regions, group: Own APAC, regions: us1}\n"
            "- {action: remove-member, group: Own US, login: lukas.weber@example.com}\n"
            "- {action: rename-group, group: Own US, to: own emea}\n",
        )
    text = str(caught.value)
    assert "console.yaml:2:32: [1].group: no Okta group has this name after the previous run" in text
    assert "(got 'Own APAC')" in text
    assert "console.yaml:3:49: [2].login: is not a member of group 'Own US' (got 'lukas.weber@example.com')" in text
    assert "console.yaml:4:45: [3].to: Okta refuses it (group names are unique): HTTP 400 E0000001" in text


def test_console_needs_previous_and_replace_a_declared_resource(tmp_path):
    path = tmp_path / "console.yaml"
    path.write_text("- {action: delete-app}\n")
    with pytest.raises(InputError, match="--console needs --previous"):
        simulate(EXAMPLE, DIRECTORY, console=path)
    with pytest.raises(InputError, match="declares no resource of that name"):
        simulate(
            EXAMPLE,
            DIRECTORY,
            previous=(EXAMPLE, DIRECTORY),
            replace=[f"{URN_HEAD}okta:app/user:User::own-scim-user-nobody"],
        )


def test_adding_a_members_groups_member_to_another_group_keeps_them_in_the_first(tmp_path):
    """A console ``add-member`` changes one group: Okta's "Add people to a group" (Directory >
    Groups > the group > Assign people; ``PUT /api/v1/groups/{groupId}/users/{userId}``, Okta API
    reference, Groups) touches no other membership. Mia is in Own DACH through its ``members``
    (the memberships resource added her; the directory, pulled before, does not list her there):
    added by hand to Own US, she stays in Own DACH, and Own DACH's membership is as the config
    lists it: no drift (Own keeps the regions it created her with: Okta pushes no profile)."""
    directory = tmp_path / "directory.yaml"
    directory.write_text(DIRECTORY.read_text().replace("groups: [Own DACH]", "groups: []"))
    console = tmp_path / "console.yaml"
    console.write_text("- {action: add-member, group: Own US, login: mia.schmidt@example.com}\n")
    report = simulate(EXAMPLE, directory, previous=(EXAMPLE, directory), console=console)
    mia = users(report)["mia.schmidt@example.com"]
    assert [d.what for d in report.drift] == []
    assert mia.own is not None and mia.own.active and mia.own.regions == ("emea2",)


def test_an_existing_group_renamed_by_hand_names_the_repair_that_gets_past_the_lookup(tmp_path):
    """A ``create: false`` group is looked up by name (``okta.get_groups``, ``program/lookups.py``;
    a name Okta does not have fails the program before any step: provider-semantics row 10),
    so once renamed in the console every run fails at that lookup, ``pulumi up --refresh`` too:
    the drift's repair cannot be the refresh. It is the one ``verify`` names for a group it
    cannot find (``live/verify.py``, ``check_groups``), and the group is still assigned, under
    its new name: the drift does not say it is unassigned."""
    console = "- {action: rename-group, group: Salesforce Admins, to: SF Admins}\n"
    refreshed = run(tmp_path, console, refresh=True)
    assert refreshed.update_failed is not None, "the refresh does not get past the lookup"
    (drift,) = refreshed.drift
    assert drift.resource == "own-scim-group-assignment-salesforce-admins"
    assert drift.repair == repairs.looked_up_group_missing("Salesforce Admins")
    assert not drift.repair.startswith("pulumi up") and "Directory > Groups" in drift.repair
    assert "does not exist in Okta" in drift.what and "'SF Admins'" in drift.what


def test_a_deleted_app_of_manual_provisioning_is_repaired_with_the_manual_steps_again(tmp_path):
    """``provisioning: manual``: the app ``pulumi up --refresh`` creates anew has no provisioning
    connection until an admin does the Admin Console steps again (``pulumi stack output
    manualSteps``), and the same run declares the ``regions`` attribute before them, which Okta
    then never sends (Okta support, "custom SCIM attribute is not available to map and is not
    sent to SCIM": an attribute created before provisioning is enabled has no external namespace;
    shared/docs/okta-own-facts.md). The repair says both, not a refresh alone."""
    (drift,) = run(tmp_path, "- {action: delete-app}\n").drift
    assert drift.resource == "own-scim-app" and drift.repair is not None
    assert drift.repair.startswith(REFRESH)
    assert "pulumi stack output manualSteps" in drift.repair
    assert "external namespace" in drift.repair and "Profile Editor" in drift.repair


@pytest.mark.parametrize(
    ("console", "edit", "resource"),
    [
        (
            "- {action: unassign, person: sam.rivera@example.com}\n",
            lambda d: d.update(people=[p for p in d["people"] if p["login"] != "sam.rivera@example.com"]),
            "own-scim-user-sam.rivera@example.com",
        ),
        (
            "- {action: unassign, group: Own EMEA}\n",
            lambda d: d.update(groups=[g for g in d["groups"] if g["name"] != "Own EMEA"]),
            "own-scim-group-assignment-own-emea",
        ),
    ],
)
def test_removing_from_the_config_an_assignment_unassigned_by_hand_fails_pulumi_up_unless_refreshed(
    tmp_path, console, edit, resource
):
    """An assignment unassigned by hand, then removed from the config: a plain ``pulumi up``
    deletes it from what the state records, Okta answers 404 (E0000007) and the provider returns
    the error (``resourceAppUserDelete``, ``resourceAppGroupAssignmentDelete``: "failed to
    delete ..." for any error of the SDK, no 404 handling), so ``pulumi up`` fails at the step;
    the review said safe (an adversarial test). With ``--refresh`` the Read's 404 drops it from
    the state first (row 20) and nothing is deleted."""
    from ownscim_infra.offline.review import BLOCKED, review
    from tests.conftest import example_variant

    new = example_variant(tmp_path, edit)
    path = tmp_path / "console.yaml"
    path.write_text(console)
    plain = simulate(new, DIRECTORY, previous=(EXAMPLE, DIRECTORY), console=path)
    assert plain.update_failed is not None and plain.update_failed.name == resource
    assert plain.update_failed.error_code == "E0000007"
    rv = review(EXAMPLE, new, DIRECTORY, console=path)
    assert rv.verdict == BLOCKED and "E0000007" in rv.reasons[0], rv.reasons
    refreshed = simulate(new, DIRECTORY, previous=(EXAMPLE, DIRECTORY), console=path, refresh=True)
    assert refreshed.update_failed is None
    assert resource not in {s.name for s in refreshed.changes if s.op == Op.DELETE}
