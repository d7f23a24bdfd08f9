"""``review`` of a change to a group's ``members`` or ``rule`` (issue 18): what it does to each
person in Own, as for an assignment; a rule the offline evaluator cannot compute is said
plainly and is never safe."""

from __future__ import annotations

from ownscim_infra.offline.review import ATTENTION, SAFE, render_markdown, review
from ownscim_infra.offline.simulate import simulate
from tests.conftest import EXAMPLE, REPO
from tests.conftest import example_group as group
from tests.conftest import example_variant as changed

DIRECTORY = REPO / "config" / "example-directory.yaml"


def row(rv, login: str):
    return next(u for u in rv.people() if u.login == login)


def test_a_member_added_in_a_pr_is_provisioned_with_the_groups_regions(tmp_path):
    # chris.doe is in no assigned group: listing him in Own DACH's members gives him emea2
    new = changed(tmp_path, lambda d: group(d, "Own DACH")["members"].append("chris.doe@example.com"))
    rv = review(EXAMPLE, new, DIRECTORY)
    chris = row(rv, "chris.doe@example.com")
    assert chris.changes == ["provisioned"] and chris.own.active and chris.own.regions == ("emea2",) and chris.ok
    assert chris.expected.via == "groups: Own DACH"
    assert [(s.name, s.op, s.paths) for s in rv.resources] == [("own-scim-group-members-own-dach", "update", ["users"])]
    assert rv.verdict == SAFE and rv.reasons == ["1 person created in Own; nobody loses access or changes regions"]


def test_a_member_removed_in_a_pr_is_deactivated_in_own(tmp_path):
    new = changed(tmp_path, lambda d: group(d, "Own DACH").update(members=["chris.doe@example.com"]))
    rv = review(EXAMPLE, new, DIRECTORY)
    mia = row(rv, "mia.schmidt@example.com")  # the directory still lists her in Own DACH: the removal wins
    assert mia.changes == ["deactivated"] and mia.expected.state == "inactive" and mia.ok
    assert row(rv, "chris.doe@example.com").changes == ["provisioned"]
    assert rv.verdict == ATTENTION and any("deactivated" in r for r in rv.reasons)
    assert "mia.schmidt@example.com" in render_markdown(rv)


def test_a_member_removed_whom_another_assignment_keeps_is_not_deactivated(tmp_path):
    # jordan.kim is in Own US (priority 3): in Own DACH's members too, then out again, Own never changes
    base = changed(tmp_path, lambda d: group(d, "Own DACH")["members"].append("jordan.kim@example.com"), "base.yaml")
    rv = review(base, EXAMPLE, DIRECTORY)
    assert "jordan.kim@example.com" not in {u.login for u in rv.people()}
    assert rv.verdict == SAFE


def test_a_person_in_two_groups_members_gets_the_first_groups_regions(tmp_path):
    def first_group_too(data: dict) -> None:
        data["groups"].insert(0, {"name": "Own UK", "regions": ["uk1"], "members": ["mia.schmidt@example.com"]})

    new = changed(tmp_path, first_group_too)
    report = simulate(new, DIRECTORY)
    mia = next(u for u in report.users if u.login == "mia.schmidt@example.com")
    assert mia.own.regions == ("uk1",) and mia.expected.regions == ("uk1",) and mia.ok
    assert mia.expected.via == "groups: Own UK"
    # as a change: Okta moves her from emea2 to uk1, which does not reach Own (no profile push)
    rv = review(EXAMPLE, new, DIRECTORY)
    moved = row(rv, "mia.schmidt@example.com")
    assert moved.changes == ["move-not-in-own"] and moved.expected.regions == ("uk1",) and not moved.ok


def test_a_rule_change_moves_people_in_and_out_of_the_group(tmp_path):
    new = changed(tmp_path, lambda d: group(d, "Own France").update(rule='user.countryCode == "IT"'))
    rv = review(EXAMPLE, new, DIRECTORY)
    louis = row(rv, "louis.martin@example.com")  # rule-managed (countryCode FR): leaves the group
    assert louis.changes == ["deactivated"] and louis.expected.state == "inactive" and louis.ok
    assert [(s.name, s.op) for s in rv.resources] == [("own-scim-group-rule-own-france", "update")]


def test_a_rule_outside_the_subset_is_said_plainly_and_is_not_safe(tmp_path):
    rule = 'String.toUpperCase(user.countryCode) == "FR"'
    new = changed(tmp_path, lambda d: group(d, "Own France").update(rule=rule))
    rv = review(EXAMPLE, new, DIRECTORY)
    assert rv.verdict == ATTENTION and "warnings: rule-matches-unknown, rule-not-computed" in rv.reasons
    (finding,) = [w for w in rv.warnings if w.code == "rule-not-computed"]
    assert finding.logins == ("louis.martin@example.com",) and finding.groups == ("Own France",)
    assert "cannot compute who is in the group" in finding.message and "String.toUpperCase" in finding.message
    # never a silent empty group: louis, whom the directory lists in it, keeps his account
    assert "louis.martin@example.com" not in {u.login for u in rv.people() if u.changes}
    assert "rule-not-computed" in render_markdown(rv)


def test_a_rule_outside_the_subset_already_in_the_base_is_already_so(tmp_path):
    rule = 'String.toUpperCase(user.countryCode) == "FR"'
    both = changed(tmp_path, lambda d: group(d, "Own France").update(rule=rule))
    rv = review(both, both, DIRECTORY)
    assert rv.verdict == SAFE
    assert [w.code for w in rv.already_warnings].count("rule-not-computed") == 1
    assert "rule-not-computed" not in [w.code for w in rv.warnings]


def test_a_new_groups_members_and_its_assignment_run_in_either_order_with_one_outcome(tmp_path):
    # the memberships and the assignment both touch chris: Pulumi runs them in parallel; the
    # review runs both orders, and he ends in uk1 either way
    def new_group(data: dict) -> None:
        data["groups"].append({"name": "Own UK", "regions": ["uk1"], "members": ["chris.doe@example.com"]})

    rv = review(EXAMPLE, changed(tmp_path, new_group), DIRECTORY)
    assert rv.orders.groups == [["own-scim-group-members-own-uk", "own-scim-group-assignment-own-uk"]]
    assert rv.orders.complete and not rv.orders.people
    chris = row(rv, "chris.doe@example.com")
    assert chris.changes == ["provisioned"] and chris.own.regions == ("uk1",)
    assert rv.verdict == SAFE


def test_plan_with_the_directory_warns_of_a_rule_it_cannot_compute(tmp_path):
    from ownscim_infra.config.directory import load_directory
    from ownscim_infra.offline.plan import build_plan, warnings_of

    computable = warnings_of(build_plan(EXAMPLE), load_directory(DIRECTORY))
    assert "rule-not-computed" not in [w.code for w in computable]
    # isMemberOfAnyGroup names groups by Okta id: a directory file lists names, so never computed
    rule = 'isMemberOfAnyGroup("00g1emea")'
    config = changed(tmp_path, lambda d: group(d, "Own France").update(rule=rule))
    (found,) = [w for w in warnings_of(build_plan(config), load_directory(DIRECTORY)) if w.code == "rule-not-computed"]
    assert "isMemberOfAnyGroup names groups by Okta id" in found.message
    assert found.logins == ("louis.martin@example.com",)
