"""A created group's `members` -> okta.GroupMemberships, its `rule` -> okta.group.Rule (issue 18)."""

from __future__ import annotations

import math

import pytest
import yaml

from ownscim_infra.domain import naming
from ownscim_infra.offline.mocks import lookup_user_id, mock_id
from ownscim_infra.program import lookups
from tests.conftest import example_data, run_config
from tests.program.test_lookups import OktaWithout

MEMBERSHIPS = "okta:index/groupMemberships:GroupMemberships"
RULE = "okta:group/rule:Rule"


def with_groups(*groups: dict) -> dict:
    data = example_data()
    data["groups"] = list(groups) + data["groups"]
    return data


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("members") / "c.yaml"
    data = with_groups(
        {"name": "Own DE", "regions": ["emea2"], "members": ["ann@example.com", "bob@example.com"]},
        {"name": "Own FR", "regions": ["emea2"], "rule": 'user.countryCode == "FR"'},
    )
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return run_config(path)


def of_type(run, typ, *keys: str):
    """The registrations of ``typ``, of the groups with ``keys`` only when given (the example's
    own groups may declare members or a rule too)."""
    names = {naming.group_memberships(k) for k in keys} | {naming.group_rule(k) for k in keys}
    found = [r for r in run.registrations if r.type == typ and (not keys or r.name in names)]
    return sorted(found, key=lambda r: r.name)


def test_members_are_declared_as_the_groups_memberships_of_the_looked_up_users(run):
    [members] = of_type(run, MEMBERSHIPS, "own-de")
    assert members.name == naming.group_memberships("own-de") == "own-scim-group-members-own-de"
    assert members.parent == naming.COMPONENT
    assert members.inputs == {
        "groupId": mock_id(naming.group("own-de")),
        "users": [lookup_user_id("ann@example.com"), lookup_user_id("bob@example.com")],
        "trackAllUsers": True,
    }
    assert naming.group("own-de") in members.options["dependsOn"]


def test_a_rule_is_declared_active_for_its_group_only(run):
    [rule] = of_type(run, RULE, "own-fr")
    assert rule.name == naming.group_rule("own-fr") == "own-scim-group-rule-own-fr"
    assert rule.parent == naming.COMPONENT
    assert rule.inputs == {
        "name": "Own FR",
        "expressionType": "urn:okta:expression:1.0",
        "expressionValue": 'user.countryCode == "FR"',
        "status": "ACTIVE",
        "groupAssignments": [mock_id(naming.group("own-fr"))],
        "removeAssignedUsers": True,
    }


def test_a_group_without_members_or_rule_gets_neither(run):
    names = {r.name for r in run.registrations}
    for key in ("own-admins-global", "own-emea", "own-us", "salesforce-admins"):
        assert naming.group_memberships(key) not in names and naming.group_rule(key) not in names


def test_members_are_looked_up_by_login_a_hundred_a_call(write_config):
    members = [f"member{n:03}@example.com" for n in range(150)]
    run = run_config(write_config(with_groups({"name": "Big", "regions": ["us1"], "members": members})))
    calls = [i for i in run.invocations if i.token == lookups.USERS_TOKEN]
    member_calls = [c for c in calls if any("member" in s.get("value", "") for s in c.args["searches"])]
    assert len(member_calls) == math.ceil(150 / 100)
    # every call holds at most 100 logins (the example's own members may share the last one)
    assert all(len(c.args["searches"]) <= 100 for c in member_calls)
    per_call = sorted(sum("member" in s.get("value", "") for s in c.args["searches"]) for c in member_calls)
    assert per_call[-1] == 100 and sum(per_call) == 150
    [memberships] = of_type(run, MEMBERSHIPS, "big")
    assert memberships.inputs["users"] == [lookup_user_id(m) for m in members]


def test_a_person_in_two_groups_members_is_looked_up_once(write_config):
    run = run_config(
        write_config(
            with_groups(
                {"name": "A", "regions": ["us1"], "members": ["ann@example.com"]},
                {"name": "B", "regions": ["emea2"], "members": ["ann@example.com", "bob@example.com"]},
            )
        )
    )
    searched = [
        login
        for i in run.invocations
        if i.token == lookups.USERS_TOKEN
        for login in lookups.searched_logins(i.args["searches"])
        if login in ("ann@example.com", "bob@example.com")
    ]
    assert searched == ["ann@example.com", "bob@example.com"]
    users = {r.name: r.inputs["users"] for r in of_type(run, MEMBERSHIPS, "a", "b")}
    assert users == {
        naming.group_memberships("a"): [lookup_user_id("ann@example.com")],
        naming.group_memberships("b"): [lookup_user_id("ann@example.com"), lookup_user_id("bob@example.com")],
    }


def test_a_member_okta_does_not_have_fails_the_program_naming_it(write_config):
    path = write_config(with_groups({"name": "A", "regions": ["us1"], "members": ["ghost@example.com"]}))
    with pytest.raises(lookups.NotFoundInOkta) as failure:
        run_config(path, mocks=OktaWithout("ghost@example.com"))
    assert str(failure.value).startswith(
        "Okta has no user with the login 'ghost@example.com': check `people` and the groups' `members`"
    )


def test_members_and_rules_are_declared_before_the_manual_steps_are_done(write_config):
    # membership is the group's, not the app's: it does not wait for the assignments
    data = with_groups({"name": "A", "regions": ["us1"], "members": ["ann@example.com"]})
    data["app"]["manual_steps_done"] = False
    run = run_config(write_config(data))
    assert [r.name for r in of_type(run, MEMBERSHIPS, "a")] == [naming.group_memberships("a")]
    assert not of_type(run, "okta:app/groupAssignment:GroupAssignment")


def test_the_names_follow_the_group_key_and_the_component_name(write_config):
    group = {"name": "Own DE Renamed", "key": "own-de", "regions": ["us1"], "rule": 'user.a == "b"'}
    run = run_config(write_config(with_groups(group)))
    assert [r.name for r in of_type(run, RULE, "own-de")] == ["own-scim-group-rule-own-de"]
    assert naming.ResourceNames("acme").group_memberships("own-de") == "acme-group-members-own-de"
    assert naming.ResourceNames("acme").group_rule("own-de") == "acme-group-rule-own-de"
