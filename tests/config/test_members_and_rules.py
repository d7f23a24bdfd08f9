"""A created group's `members` or `rule` (issue 18), and the directory users' profile attributes."""

from __future__ import annotations

import pytest

from ownscim_infra.config import ConfigError, parse_config
from ownscim_infra.config.directory import parse_directory

URL = "https://own.example/scim/v2"


def config(*groups: dict) -> dict:
    return {"app": {"scim_base_url": URL}, "regions": ["us1", "emea2"], "groups": list(groups)}


def errors_of(data, file="c.yaml") -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data, file)
    return [i.render(file) for i in info.value.issues]


def test_a_created_group_declares_its_members_or_its_rule_or_neither():
    cfg = parse_config(
        config(
            {"name": "Own DE", "regions": ["emea2"], "members": ["ann@example.com", "bob@example.com"]},
            {"name": "Own FR", "regions": ["emea2"], "rule": 'user.countryCode == "FR"'},
            {"name": "Own US", "regions": ["us1"]},
        )
    )
    assert cfg.groups[0].members == ["ann@example.com", "bob@example.com"] and cfg.groups[0].rule is None
    assert cfg.groups[1].rule == 'user.countryCode == "FR"' and cfg.groups[1].members is None
    assert cfg.groups[1].rule_name == "Own FR"
    assert cfg.groups[2].members is None and cfg.groups[2].rule is None  # managed outside, as before


def test_members_and_rule_together_are_refused_on_the_rule():
    errs = errors_of(config({"name": "G", "regions": ["us1"], "members": ["a@example.com"], "rule": 'user.a == "b"'}))
    assert errs == [
        "c.yaml: groups[0] (G).rule: a group takes `members` or `rule`, not both: `members` lists who is in it, "
        "`rule` lets Okta compute it; remove one (neither: the membership is managed outside this config) "
        "(got 'user.a == \"b\"')"
    ]


@pytest.mark.parametrize("key", ["members", "rule"])
def test_members_or_rule_on_an_existing_group_are_refused(key):
    value = ["a@example.com"] if key == "members" else 'user.a == "b"'
    errs = errors_of(config({"name": "G", "regions": ["us1"], "create": False, key: value}))
    assert len(errs) == 1
    assert errs[0].startswith(f"c.yaml: groups[0] (G).{key}: only a group the program creates may declare `{key}`")
    assert "remove `" + key + "` or set `create: true`" in errs[0]


def test_a_login_listed_twice_in_one_group_is_refused_naming_both_places():
    errs = errors_of(
        config({"name": "G", "regions": ["us1"], "members": ["a@example.com", "b@x.com", "A@Example.com"]})
    )
    assert errs == [
        "c.yaml: groups[0] (G).members[2]: login listed twice: members[0] already names it (compared "
        "case-insensitively, as Okta does); list each member once (got 'A@Example.com')"
    ]


def test_a_person_in_two_groups_members_is_allowed_and_the_first_group_is_first():
    cfg = parse_config(
        config(
            {"name": "First", "regions": ["emea2"], "members": ["ann@example.com"]},
            {"name": "Second", "regions": ["us1"], "members": ["ann@example.com"]},
        )
    )
    assert [g.name for g in cfg.groups if "ann@example.com" in (g.members or [])] == ["First", "Second"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "must list at least one login; omit `members` to leave the group's membership to Okta (got no value)"),
        ([], "must list at least one login; omit `members` to leave the group's membership to Okta (got [])"),
    ],
)
def test_members_written_empty_is_refused(value, message):
    assert errors_of(config({"name": "G", "regions": ["us1"], "members": value})) == [
        f"c.yaml: groups[0] (G).members: {message}"
    ]


def test_a_member_login_is_checked_as_a_login():
    errs = errors_of(config({"name": "G", "regions": ["us1"], "members": ["ann smith@example.com"]}))
    assert errs == [
        "c.yaml: groups[0] (G).members[0]: must be an Okta login without spaces, e.g. ann@example.com "
        "(got 'ann smith@example.com')"
    ]


def test_a_rule_on_a_group_whose_name_is_too_long_for_a_rule_name_is_refused():
    name = "Own " + "x" * 47  # 51 characters
    errs = errors_of(config({"name": name, "regions": ["us1"], "rule": 'user.a == "b"'}))
    assert len(errs) == 1
    assert ".rule: the group rule is named after its group, and Okta allows rule names of at most 50" in errs[0]
    assert "this group's name has 51: shorten it" in errs[0]


def test_an_empty_or_multiline_rule_is_refused():
    errs = errors_of(
        config({"name": "G", "regions": ["us1"], "rule": ""}, {"name": "H", "regions": ["us1"], "rule": "a\nb"})
    )
    assert errs[0] == "c.yaml: groups[0] (G).rule: must not be empty (got '')"
    assert errs[1].startswith("c.yaml: groups[1] (H).rule: must be one line of printable text")


def test_a_rule_outside_the_evaluated_subset_is_still_a_valid_config():
    # the evaluator's subset limits what review can compute, not what Okta accepts
    cfg = parse_config(config({"name": "G", "regions": ["us1"], "rule": "user.age > 30"}))
    assert cfg.groups[0].rule == "user.age > 30"


def test_a_misspelt_members_key_is_told_the_allowed_ones():
    errs = errors_of(config({"name": "G", "regions": ["us1"], "member": ["a@example.com"]}))
    assert errs == [
        "c.yaml: groups[0] (G).member: unknown key; did you mean `members`? allowed here: name, regions, "
        "description, create, key, members, rule (see config/README.md)"
    ]


# --------------------------------------------------------------------------- the directory


def user(**extra) -> dict:
    return {"login": "bob@example.com", "first_name": "Bob", "last_name": "Lee", **extra}


def test_a_directory_user_carries_the_profile_attributes_a_rule_reads():
    directory = parse_directory(
        {"users": [user(department="Sales", countryCode="DE", profile={"skills": ["apex"], "level": 3})]}
    )
    assert directory.users[0].attributes == {
        "login": "bob@example.com",
        "email": "bob@example.com",
        "firstName": "Bob",
        "lastName": "Lee",
        "department": "Sales",
        "countryCode": "DE",
        "skills": ["apex"],
        "level": 3,
    }


def test_an_attribute_not_given_is_absent_not_empty():
    assert "department" not in parse_directory({"users": [user()]}).users[0].attributes


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"1x": "a"}, "attribute name '1x' is not an Okta variable name (a letter, then letters, digits, _)"),
        ({"department": "a"}, "'department' has its own key here: write `department:` on the user"),
        ({"firstName": "a"}, "'firstName' has its own key here: write `first_name:` on the user"),
        ({"x": {"a": 1}}, "attribute 'x': must be a string, a number, true/false or a list of strings"),
    ],
)
def test_a_bad_profile_attribute_is_one_problem_naming_it(profile, message):
    with pytest.raises(ConfigError) as info:
        parse_directory({"users": [user(profile=profile)]}, "d.yaml")
    rendered = [i.render("d.yaml") for i in info.value.issues]
    assert len(rendered) == 1 and rendered[0].startswith(f"d.yaml: users[0] (bob@example.com).profile: {message}")


def test_a_misspelt_base_attribute_is_an_unknown_key_with_a_suggestion():
    with pytest.raises(ConfigError) as info:
        parse_directory({"users": [user(countrycode="DE")]}, "d.yaml")
    assert "did you mean `countryCode`?" in info.value.issues[0].render("d.yaml")
