"""``okta_group_memberships`` and ``okta_group_rule`` on the emulated org (issue 18): what the
provider's Create, Update, Read and Delete do to a group's members, and how Okta applies a
rule (docs/provider-semantics.md, rows 16 and 17)."""

from __future__ import annotations

import pytest

from ownscim_infra.config.directory import Directory, DirectoryUser
from ownscim_infra.offline import provider
from ownscim_infra.offline.okta_org import OktaApiError, OktaOrg

MEMBERSHIPS = provider.MODELS[provider.GROUP_MEMBERSHIPS]
RULE = provider.MODELS[provider.GROUP_RULE]


def user(login: str, *groups: str, country: str | None = None) -> DirectoryUser:
    return DirectoryUser(login=login, groups=list(groups), countryCode=country)


@pytest.fixture
def org() -> OktaOrg:
    return OktaOrg(
        Directory(
            users=[
                user("ann@example.com", country="DE"),
                user("bob@example.com", country="FR"),
                user("cy@example.com", "Own DACH", country="FR"),  # added by hand (the directory lists it)
                user("dee@example.com", country="IT"),
            ]
        )
    )


def logins(org: OktaOrg, group_id: str) -> list[str]:
    return [u.login.split("@")[0] for u in org.members(group_id)]


def ids(org: OktaOrg, *names: str) -> list[str]:
    return sorted(org.find_user(f"{n}@example.com") for n in names)


def memberships(group_id: str, users: list[str], track_all: bool = True) -> dict:
    return {"groupId": group_id, "users": users, "trackAllUsers": track_all}


def test_create_adds_the_users_to_a_group_created_in_the_same_run_and_removes_no_one(org):
    group_id = org.create_group("Own DACH", None)  # created in this run: the directory's members not yet in it
    assert logins(org, group_id) == []
    rid, state = MEMBERSHIPS.create(org, memberships(group_id, ids(org, "ann")))
    assert rid == group_id and state["users"] == ids(org, "ann")  # Create ends without a Read
    assert logins(org, group_id) == ["ann"]
    org.settle()  # after the run: the directory's hand-added member is there too; nobody was removed
    assert logins(org, group_id) == ["ann", "cy"]


def test_update_adds_the_new_ids_and_removes_only_the_dropped_ones(org):
    group_id = org.add_group_by_hand("Own DACH")
    _, state = MEMBERSHIPS.create(org, memberships(group_id, ids(org, "ann", "bob")))
    declared = memberships(group_id, ids(org, "bob", "dee"))
    assert provider.diff(MEMBERSHIPS, state, declared, []).changed == ["users"]
    MEMBERSHIPS.update_from(org, group_id, state, declared)
    # ann dropped from the set: removed; dee new: added; cy (by hand, not in the state) stays
    assert logins(org, group_id) == ["bob", "cy", "dee"]


def test_the_order_of_the_users_is_no_change(org):
    group_id = org.add_group_by_hand("Own DACH")
    _, state = MEMBERSHIPS.create(org, memberships(group_id, ids(org, "ann", "bob")))
    assert provider.diff(MEMBERSHIPS, state, memberships(group_id, ids(org, "ann", "bob")[::-1]), []).changed == []


def test_delete_removes_the_users_in_the_state_only(org):
    group_id = org.add_group_by_hand("Own DACH")
    _, state = MEMBERSHIPS.create(org, memberships(group_id, ids(org, "ann")))
    assert logins(org, group_id) == ["ann", "cy"]
    MEMBERSHIPS.delete(org, group_id, state)
    assert logins(org, group_id) == ["cy"]  # ann, in the state, removed; cy, added by hand, stays


def test_a_refresh_with_track_all_users_records_the_hand_added_member_and_the_next_up_removes_them(org):
    group_id = org.add_group_by_hand("Own DACH")
    declared = memberships(group_id, ids(org, "ann"))
    _, state = MEMBERSHIPS.create(org, declared)
    assert provider.diff(MEMBERSHIPS, state, declared, []).changed == []  # no refresh: unseen
    refreshed = MEMBERSHIPS.read(org, str(state["groupId"]), state)  # pulumi refresh: checkIfUsersHaveChanged
    assert refreshed["users"] == ids(org, "ann", "cy")
    assert provider.diff(MEMBERSHIPS, refreshed, declared, []).changed == ["users"]
    MEMBERSHIPS.update_from(org, group_id, refreshed, declared)
    assert logins(org, group_id) == ["ann"]


def test_without_track_all_users_a_refresh_sees_only_declared_members_who_left(org):
    group_id = org.add_group_by_hand("Own DACH")
    declared = memberships(group_id, ids(org, "ann", "bob"), track_all=False)
    _, state = MEMBERSHIPS.create(org, declared)
    org.remove_group_members(group_id, ids(org, "bob"))  # an admin removes bob
    refreshed = MEMBERSHIPS.read(org, str(state["groupId"]), state)  # checkIfUsersHaveBeenRemoved
    assert refreshed["users"] == ids(org, "ann")  # cy, added by hand, is never recorded
    MEMBERSHIPS.update_from(org, group_id, refreshed, declared)
    assert logins(org, group_id) == ["ann", "bob", "cy"]


def test_update_errors_are_dropped_as_the_provider_drops_them(org):
    group_id = org.add_group_by_hand("Own DACH")
    _, state = MEMBERSHIPS.create(org, memberships(group_id, ids(org, "ann")))
    # resourceGroupMembershipsUpdate computes diag.FromErr(err) and returns nil: the step succeeds
    MEMBERSHIPS.update_from(org, group_id, state, memberships(group_id, ["00unknown"]))
    assert logins(org, group_id) == ["ann", "cy"]
    with pytest.raises(OktaApiError):  # Create returns its error
        MEMBERSHIPS.create(org, memberships(group_id, ["00unknown"]))


def rule(group_id: str, expression: str = 'user.countryCode == "FR"', remove: bool = True) -> dict:
    return {
        "name": "Own France",
        "expressionType": "urn:okta:expression:1.0",
        "expressionValue": expression,
        "groupAssignments": [group_id],
        "status": "ACTIVE",
        "removeAssignedUsers": remove,
    }


def test_a_rule_is_created_inactive_then_activated_and_applied_after_the_run(org, monkeypatch):
    group_id = org.create_group("Own France", None)
    calls: list[str] = []
    set_status = org.set_group_rule_status

    def recorded(rid: str, status: str) -> None:
        calls.append(f"{org.rules[rid].status}->{status}")
        set_status(rid, status)

    monkeypatch.setattr(org, "set_group_rule_status", recorded)
    _, state = RULE.create(org, rule(group_id))
    assert calls == ["INACTIVE->ACTIVE"] and state["status"] == "ACTIVE"
    assert logins(org, group_id) == []  # Okta applies a rule asynchronously: nobody yet during the run
    org.settle()
    assert logins(org, group_id) == ["bob", "cy"]  # countryCode FR


def test_a_changed_expression_deactivates_updates_and_activates_and_moves_people_in_and_out(org):
    group_id = org.add_group_by_hand("Own France")
    rid, state = RULE.create(org, rule(group_id))
    org.apply_rules()
    with pytest.raises(OktaApiError):  # Okta updates only an inactive rule
        org.update_group_rule(rid, "Own France", 'user.countryCode == "DE"')
    state = RULE.update_from(org, rid, state, rule(group_id, 'user.countryCode == "DE"'))
    assert state["expressionValue"] == 'user.countryCode == "DE"' and org.rules[rid].status == "ACTIVE"
    org.apply_rules()
    assert logins(org, group_id) == ["ann"]  # bob and cy, rule-managed, no longer match


def test_a_deactivated_rule_adds_no_one(org):
    group_id = org.add_group_by_hand("Own France")
    rid, _ = RULE.create(org, rule(group_id, 'user.countryCode == "IT"'))
    org.set_group_rule_status(rid, "INACTIVE")
    org.apply_rules()
    assert logins(org, group_id) == []


def test_deleting_a_rule_with_remove_assigned_users_removes_its_members_and_not_the_others(org):
    group_id = org.add_group_by_hand("Own France")
    org.add_group_members(group_id, ids(org, "dee"))  # by hand, not matched by the rule
    rid, state = RULE.create(org, rule(group_id))
    org.apply_rules()
    assert logins(org, group_id) == ["bob", "cy", "dee"]
    RULE.delete(org, rid, state)
    assert rid not in org.rules and logins(org, group_id) == ["dee"]


def test_deleting_a_rule_without_remove_assigned_users_keeps_its_members(org):
    group_id = org.add_group_by_hand("Own France")
    rid, state = RULE.create(org, rule(group_id, remove=False))
    org.apply_rules()
    RULE.delete(org, rid, state)
    assert logins(org, group_id) == ["bob", "cy"]


def test_a_rule_outside_the_subset_changes_no_one_and_the_directory_members_stay(org):
    group_id = org.add_group_by_hand("Own DACH")
    RULE.create(org, rule(group_id, 'String.toUpperCase(user.countryCode) == "FR"'))
    org.apply_rules()
    assert logins(org, group_id) == ["cy"]  # never a silent empty group
