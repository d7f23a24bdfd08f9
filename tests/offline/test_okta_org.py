"""The Okta org model's listing of who has an app, and the admin's changes the live tests
drift an org with (tests/live/test_verify.py): each as Okta documents it."""

from __future__ import annotations

import pytest

from ownscim_infra.config.directory import Directory, DirectoryUser
from ownscim_infra.domain.own_setup import OWN_CAPABILITIES, okta_fold
from ownscim_infra.offline.okta_org import OktaApiError, OktaOrg
from ownscim_infra.offline.okta_provisioning import OktaApp, resolve
from tests.live.applied import EXAMPLE_DIRECTORY, app_id_of, org_after_up
from tests.live.okta_fake import EXAMPLE


def person(login: str, *groups: str) -> DirectoryUser:
    return DirectoryUser(login=login, first_name="A", last_name="B", groups=list(groups))


@pytest.fixture
def org() -> tuple[OktaOrg, str]:
    org = OktaOrg(
        Directory(
            users=[
                person("both@example.com", "Low", "High"),
                person("tie@example.com", "Tie B", "Tie A"),
                person("direct@example.com", "High"),
                person("nobody@example.com", "Unassigned"),
            ]
        )
    )
    app_id = org.create_app("Own", "scim2headerauth")
    for name, priority, regions in [("High", 1, "us1"), ("Low", 2, "emea2"), ("Tie A", 3, "uk1"), ("Tie B", 3, None)]:
        gid = org.add_group_by_hand(name)
        org.put_group_assignment(app_id, gid, priority, {"regions": regions})
    org.add_group_by_hand("Unassigned")
    org.assign_user(app_id, org.find_user("direct@example.com"), {"regions": "ca1"})
    return org, app_id


def test_app_users_direct_wins_then_the_highest_priority_group(org):
    org, app_id = org
    listed = {u.user.login: u for u in org.app_users(app_id)}
    assert set(listed) == {"both@example.com", "tie@example.com", "direct@example.com"}
    assert (listed["direct@example.com"].scope, listed["direct@example.com"].profile["regions"]) == ("USER", "ca1")
    both = listed["both@example.com"]
    assert (both.scope, both.profile["regions"], org.groups[both.group_id].name) == ("GROUP", "us1", "High")
    tie = listed["tie@example.com"]  # the first by name of a tie; an unset value is not in the profile
    assert org.groups[tie.group_id].name == "Tie A" and tie.profile["regions"] == "uk1"
    assert listed["both@example.com"].profile["userName"] == "both@example.com"  # mapped base attributes


def test_app_users_agree_with_the_provisioning_emulation():
    """The HTTP face (verify's view) and the simulation's view of who has the app are one rule."""
    org = org_after_up(EXAMPLE, EXAMPLE_DIRECTORY)
    app_id = app_id_of(org)
    resolved = resolve(OktaApp.from_org(org, app_id), org.directory)
    listed = {okta_fold(u.user.login): u for u in org.app_users(app_id)}
    assert set(listed) == set(resolved)
    for key, assignment in resolved.items():
        assert listed[key].profile.get("regions") == assignment.profile.get("regions"), key


def test_an_admin_turning_provisioning_off(org):
    org, app_id = org
    org.set_up_by_hand(app_id, "https://own.example/scim/v2", dict(OWN_CAPABILITIES))
    org.set_capability(app_id, "profile", "ENABLED")
    assert org.get_features(app_id)[1]["profile"] == "ENABLED"
    org.disable_provisioning(app_id)
    assert org.connection_status(app_id) == "DISABLED"
    with pytest.raises(OktaApiError, match="provisioning is not enabled"):
        org.get_features(app_id)


def test_an_admin_pushing_a_group_ticks_push_groups(org):
    org, app_id = org
    gid = org.find_group("High")
    mapping = org.push_group(app_id, gid)
    app = org.apps[app_id]
    assert app.features == ["GROUP_PUSH"] and app.push_mappings[0]["id"] == mapping
    assert app.push_mappings[0]["sourceGroupId"] == gid


def test_an_admin_changing_people(org):
    org, app_id = org
    direct = org.find_user("direct@example.com")
    org.delete_user(direct)
    assert org.find_user_id("direct@example.com") is None and direct not in org.apps[app_id].users
    new = org.add_user("new@example.com", "New", "Person", ["Low"])
    assert [(u.user.login, u.profile["regions"]) for u in org.app_users(app_id) if u.user.okta_id == new] == [
        ("new@example.com", "emea2")
    ]
    org.set_user_groups(new, [])
    assert new not in {u.user.okta_id for u in org.app_users(app_id)}


# --------------------------------------------------------------------------- unique group names


def test_okta_refuses_a_group_name_that_is_taken():
    # data_source_okta_group.go: "Okta API enforces unique names on all groups regardless of type"
    okta = OktaOrg(Directory(users=[person("ann@example.com", "Sales")]))
    okta.seed_groups(["Sales"])
    with pytest.raises(OktaApiError) as created:
        okta.create_group("SALES", None)  # compared as Okta compares names
    assert (created.value.status, created.value.code) == (400, "E0000001")
    assert "already exists" in created.value.cause
    other = okta.create_group("Marketing", None)
    with pytest.raises(OktaApiError) as renamed:
        okta.update_group(other, "Sales", None)
    assert renamed.value.code == "E0000001" and okta.groups[other].name == "Marketing"
    okta.update_group(other, "marketing", "a description")  # its own name, in another case: allowed


def test_okta_refuses_a_group_rule_name_that_is_taken():
    # okta/okta-sdk-java#645: E0000001 "name: Policy rule name already in use"
    okta = OktaOrg(Directory(users=[person("ann@example.com")]))
    group = okta.create_group("Own EMEA", None)
    first = okta.create_group_rule("Own EMEA", 'user.department == "Sales"', [group])
    with pytest.raises(OktaApiError) as created:
        okta.create_group_rule("Own EMEA", 'user.department == "Ops"', [group])
    assert (created.value.status, created.value.code) == (400, "E0000001")
    assert "Policy rule name already in use" in created.value.cause and list(okta.rules) == [first]
    second = okta.create_group_rule("Own Ops", 'user.department == "Ops"', [group])
    with pytest.raises(OktaApiError):
        okta.update_group_rule(second, "Own EMEA", 'user.department == "Ops"')
    okta.update_group_rule(first, "Own EMEA", 'user.department == "HR"')  # its own name: allowed
    okta.delete_group_rule(first, remove_users=False)
    assert okta.create_group_rule("Own EMEA", 'user.department == "Sales"', [group])  # free again


def test_a_name_another_group_has_now_is_not_a_former_name_s_membership():
    okta = OktaOrg(Directory(users=[person("ann@example.com", "Old"), person("bob@example.com", "New")]))
    renamed = okta.add_group_by_hand("Old")
    ann, bob = okta.directory.users
    assert okta.is_member(ann, renamed)
    okta.update_group(renamed, "New", None)  # renamed in place: a directory listing the old name still counts
    assert okta.is_member(ann, renamed) and okta.is_member(bob, renamed)
    other = okta.add_group_by_hand("Old")  # the name is free again: another group takes it
    assert okta.is_member(ann, other) and not okta.is_member(ann, renamed)
    assert [u.login for u in okta.members(renamed)] == ["bob@example.com"]
    assert okta.group_ids_of(ann) == [other]
