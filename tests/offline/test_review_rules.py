"""``plan --directory`` and ``review`` with groups that declare ``members`` or a ``rule`` are
never falsely safe: a person in `people` and in a group the program fills, a rule Okta runs
across users the directory file does not hold, a rule on an attribute nobody has, a rule's
timing against parallel steps, a replaced rule whose name Okta still holds."""

from __future__ import annotations

from pathlib import Path

import yaml

from ownscim_infra.config.directory import load_directory
from ownscim_infra.offline.plan import build_plan
from ownscim_infra.offline.review import SAFE, review
from tests.conftest import EXAMPLE, REPO, example_group, example_variant

APP = {
    "label": "Own",
    "scim_base_url": "https://scim.example.com/scim/v2",
    "provisioning": "manual",
    "manual_steps_done": True,
}


def write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def config(tmp_path: Path, name: str, groups: list[dict], people: list[dict] | None = None) -> Path:
    data: dict = {"app": APP, "regions": ["us1", "emea2"], "groups": groups}
    if people:
        data["people"] = people
    return write(tmp_path, name, data)


def codes(rv) -> set[str]:
    return {w.code for w in rv.warnings}


# --------------------------------------------------------------------------- item 2: blocked by a declared group

PERSON_A = [{"login": "a@example.com", "regions": ["us1"]}]
USERS = {"users": [{"login": "a@example.com", "department": "Sales"}, {"login": "b@example.com"}]}


def test_a_person_in_a_group_s_members_is_blocked_by_it_as_through_the_directory(tmp_path):
    directory = write(tmp_path, "dir.yaml", USERS)
    members = config(
        tmp_path, "m.yaml", [{"name": "Own EMEA", "regions": ["emea2"], "members": ["a@example.com"]}], PERSON_A
    )
    plan = build_plan(members, directory=load_directory(directory))
    blocked = [w for w in plan.warnings if w.code == "assignment-blocked-by-group"]
    assert [w.logins for w in blocked] == [("a@example.com",)]
    assert "Own EMEA" in blocked[0].message


def test_a_person_an_evaluable_rule_matches_is_blocked_and_one_it_does_not_is_not(tmp_path):
    directory = load_directory(write(tmp_path, "dir.yaml", USERS))
    rule = [{"name": "Own Sales", "regions": ["emea2"], "rule": 'user.department == "Sales"'}]
    plan = build_plan(config(tmp_path, "r.yaml", rule, PERSON_A), directory=directory)
    assert [w.logins for w in plan.warnings if w.code == "assignment-blocked-by-group"] == [("a@example.com",)]
    other = build_plan(config(tmp_path, "o.yaml", rule, [{"login": "b@example.com"}]), directory=directory)
    assert not [w for w in other.warnings if w.code == "assignment-blocked-by-group"]


def test_a_review_that_adds_a_direct_person_to_a_group_s_members_is_not_safe(tmp_path):
    # breaker case c20: the same as the directory's groups listing, which was already a warning
    directory = write(tmp_path, "dir.yaml", {"users": [{"login": "a@example.com"}, {"login": "b@example.com"}]})
    base = config(
        tmp_path, "base.yaml", [{"name": "Own EMEA", "regions": ["emea2"], "members": ["b@example.com"]}], PERSON_A
    )
    new = config(
        tmp_path,
        "new.yaml",
        [{"name": "Own EMEA", "regions": ["emea2"], "members": ["b@example.com", "a@example.com"]}],
        PERSON_A,
    )
    rv = review(base, new, directory)
    assert rv.verdict != SAFE, rv.reasons
    assert [w.logins for w in rv.warnings if w.code == "assignment-blocked-by-group"] == [("a@example.com",)]


# --------------------------------------------------------------------------- item 3: users outside the directory


def test_a_new_rule_that_matches_nobody_in_the_directory_is_not_safe(tmp_path):
    # breaker case c25: Okta runs the rule across every user; the directory holds only a few
    directory = write(tmp_path, "dir.yaml", USERS)
    base = config(tmp_path, "base.yaml", [])
    new = config(tmp_path, "new.yaml", [{"name": "Own Eng", "regions": ["us1"], "rule": 'user.title == "Engineer"'}])
    rv = review(base, new, directory)
    assert rv.verdict != SAFE, rv.reasons
    (finding,) = [w for w in rv.warnings if w.code == "rule-matches-unknown"]
    assert finding.groups == ("Own Eng",) and finding.logins == ()
    assert "entire user population" in finding.message and "matches 0" in finding.message


def test_a_broadened_rule_names_the_directory_users_it_matches_and_is_not_safe(tmp_path):
    directory = write(
        tmp_path,
        "dir.yaml",
        {
            "users": [
                {"login": "a@example.com", "countryCode": "DE", "groups": ["Own EMEA"]},
                {"login": "b@example.com", "countryCode": "FR"},
            ]
        },
    )
    base = config(
        tmp_path, "base.yaml", [{"name": "Own EMEA", "regions": ["emea2"], "rule": 'user.countryCode == "DE"'}]
    )
    wider = 'user.countryCode == "DE" or user.countryCode == "AT"'
    new = config(tmp_path, "new.yaml", [{"name": "Own EMEA", "regions": ["emea2"], "rule": wider}])
    rv = review(base, new, directory)
    assert rv.verdict != SAFE, rv.reasons
    (finding,) = [w for w in rv.warnings if w.code == "rule-matches-unknown"]
    assert finding.logins == ("a@example.com",) and "changes its rule to" in finding.message
    # an unchanged rule is no warning: a config against itself stays safe
    same = review(base, base, directory)
    assert same.verdict == SAFE and "rule-matches-unknown" not in codes(same)


def test_a_rule_on_an_attribute_okta_does_not_have_is_a_warning_with_the_name_spelt_alike(tmp_path):
    # breaker case c1: costcenter is not costCenter (Okta refuses the expression)
    directory = write(tmp_path, "dir.yaml", {"users": [{"login": "a@example.com", "costCenter": "42"}]})
    rule = 'user.department == "Sales" or user.costcenter == "42" or user.badge == "x"'
    new = config(tmp_path, "new.yaml", [{"name": "Own EMEA", "regions": ["emea2"], "rule": rule}])
    plan = build_plan(new, directory=load_directory(directory))
    found = {w.message.split("reads ")[1].split(",")[0]: w for w in plan.warnings if w.code == "rule-unknown-attribute"}
    assert set(found) == {
        "user.badge",
        "user.costcenter (did you mean user.costCenter? attribute names are case-sensitive)",
    }
    assert "pulumi up fails at the rule" in found["user.badge"].message
    # a base attribute nobody carries (title), and a custom one a directory user carries, are no warning
    custom = write(tmp_path, "custom.yaml", {"users": [{"login": "a@example.com", "profile": {"badge": "x"}}]})
    ok = config(
        tmp_path,
        "ok.yaml",
        [{"name": "Own EMEA", "regions": ["emea2"], "rule": 'user.title == "x" or user.badge == "y"'}],
    )
    assert not [
        w for w in build_plan(ok, directory=load_directory(custom)).warnings if w.code == "rule-unknown-attribute"
    ]


# --------------------------------------------------------------------------- item 5: --replace on a rule


def test_replacing_a_rule_is_blocked_by_its_own_name(tmp_path):
    # breaker case c17: the replacement is created before the old rule is deleted, with the same name
    directory = write(
        tmp_path,
        "dir.yaml",
        {"users": [{"login": "a@example.com", "department": "Sales", "groups": ["Own EMEA"]}]},
    )
    same = config(
        tmp_path, "c.yaml", [{"name": "Own EMEA", "regions": ["emea2"], "rule": 'user.department == "Sales"'}]
    )
    rv = review(same, same, directory, replace=["own-scim-group-rule-own-emea"])
    assert rv.verdict == "blocked", rv.reasons
    failed = rv.report.update_failed
    assert failed is not None and failed.name == "own-scim-group-rule-own-emea" and failed.error_code == "E0000001"
    assert "Policy rule name already in use" in failed.error
    # nobody was re-created in Own on the way: the run stopped at the create
    assert not [u for u in rv.people() if u.changes]


# --------------------------------------------------------------------------- item 4: a rule's timing


def test_a_rule_narrowed_while_a_parallel_step_adds_the_same_person_elsewhere_is_order_dependent(tmp_path):
    # breaker case c22: b leaves Own Sales by the rule and joins Own Ops by its members, in no defined order
    directory = write(
        tmp_path,
        "dir.yaml",
        {
            "users": [
                {"login": "a@example.com", "department": "Sales", "groups": ["Own Sales"]},
                {"login": "b@example.com", "department": "Ops", "groups": ["Own Sales"]},
                {"login": "c@example.com", "groups": ["Own Ops"]},
            ]
        },
    )
    wide = {"name": "Own Sales", "regions": ["emea2"], "rule": 'user.department == "Sales" or user.department == "Ops"'}
    base = config(
        tmp_path, "base.yaml", [wide, {"name": "Own Ops", "regions": ["emea2"], "members": ["c@example.com"]}]
    )
    base_ops = {"name": "Own Ops", "regions": ["emea2"], "members": ["c@example.com"]}
    narrow = {"name": "Own Sales", "regions": ["emea2"], "rule": 'user.department == "Sales"'}
    ops = {"name": "Own Ops", "regions": ["emea2"], "members": ["c@example.com", "b@example.com"]}
    rv = review(base, config(tmp_path, "new.yaml", [narrow, ops]), directory)
    assert rv.verdict != SAFE, rv.reasons
    (timing,) = [w for w in rv.warnings if w.code == "rule-timing"]
    assert set(timing.resources) == {"own-scim-group-rule-own-sales", "own-scim-group-members-own-ops"}
    assert timing.message.startswith("order-dependent: rule timing")
    # the same narrowing alone touches nobody another step touches: no timing warning
    alone = review(base, config(tmp_path, "alone.yaml", [narrow, base_ops]), directory)
    assert "rule-timing" not in codes(alone)


# --------------------------------------------------------------------------- item 1: nested too deep


def test_a_rule_nested_too_deep_is_reviewed_as_one_it_cannot_compute_not_a_crash(tmp_path):
    # breaker case c23: 200 parentheses raised RecursionError (exit 70) in plan, simulate and review
    directory = write(tmp_path, "dir.yaml", {"users": [{"login": "a@example.com", "department": "Sales"}]})
    deep = "(" * 200 + 'user.department == "Sales"' + ")" * 200
    new = config(tmp_path, "new.yaml", [{"name": "Own EMEA", "regions": ["emea2"], "rule": deep}])
    rv = review(config(tmp_path, "base.yaml", []), new, directory)
    assert rv.verdict != SAFE, rv.reasons
    (finding,) = [w for w in rv.warnings if w.code == "rule-not-computed"]
    assert "nested deeper than" in finding.message


def test_a_members_group_turned_into_a_rule_group_races_the_rule_with_the_memberships_delete(tmp_path):
    """Own DACH's ``members`` replaced by a ``rule`` matching the same person: Pulumi creates and
    activates the rule, and deletes the memberships resource (removing Mia through the API) at
    the end of the run (``ScheduleDeletes``, after every create). Okta applies the activated rule
    right away and asynchronously (help.okta.com, Group rules), so it most likely puts Mia under
    the rule before that delete, and a rule-managed member removed through the API is excluded
    from the rule (Okta's knowledge base, "User getting added in group exclusion list by Okta
    System"): she may stay out, deactivated in Own, where the emulation (rules applied after the
    run) re-creates her. The review says the timing decides (``rule-timing``), not only its one
    outcome; a step that runs after the rule's step races with it as a parallel one does."""

    def to_rule(data):
        dach = example_group(data, "Own DACH")
        del dach["members"]
        dach["rule"] = 'user.countryCode == "DE"'

    rv = review(EXAMPLE, example_variant(tmp_path, to_rule), REPO / "config" / "example-directory.yaml")
    (timing,) = [w for w in rv.warnings if w.code == "rule-timing"]
    assert set(timing.resources) == {"own-scim-group-rule-own-dach", "own-scim-group-members-own-dach"}
    assert "excluded" in timing.message


def test_a_rule_that_starts_matching_a_person_whose_direct_assignment_goes_says_pulumi_up_may_fail(tmp_path):
    """sam.rivera leaves ``people`` (his direct assignment is deleted at the end of the run) while
    Own France's rule starts to match him: Okta applies the activated rule right away, so he is
    most likely in the assigned group when the delete comes, and Okta refuses to delete a direct
    assignment while a group grants the app (E0000046, articulate/terraform-provider-okta #120):
    pulumi up fails. The emulation applies the rule after the run (the delete passes); the review
    says the timing decides, E0000046 included."""

    def edit(data):
        data["people"] = [p for p in data["people"] if p["login"] != "sam.rivera@example.com"]
        example_group(data, "Own France")["rule"] = 'user.countryCode == "FR" or user.lastName == "Rivera"'

    rv = review(EXAMPLE, example_variant(tmp_path, edit), REPO / "config" / "example-directory.yaml")
    (timing,) = [w for w in rv.warnings if w.code == "rule-timing"]
    assert "own-scim-user-sam.rivera@example.com" in timing.resources
    assert "E0000046" in timing.message
