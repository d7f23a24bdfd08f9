"""The offline plan shows each group's declared membership: its members, its rule, or neither (issue 18)."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from ownscim_infra.offline.plan import build_plan, render_json, render_markdown, render_text
from tests.conftest import example_data

MEMBERS = ["ann@example.com", "bob@example.com", "cy@example.com", "dee@example.com"]


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    data = example_data()
    data["groups"] = [
        {"name": "Own DE", "regions": ["emea2"], "members": MEMBERS},
        {"name": "Own FR", "regions": ["emea2"], "rule": 'user.countryCode == "FR"'},
        *data["groups"],
    ]
    path = tmp_path_factory.mktemp("plan") / "c.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return build_plan(path)


def test_the_text_plan_shows_the_members_the_rule_and_the_resources(plan):
    text = render_text(plan, width=None)
    assert "4 members: ann@example.com, bob@example.com, cy@example.com, ..." in text
    assert 'rule: user.countryCode == "FR"' in text
    assert "managed in Okta" in text  # the groups that declare neither
    assert re.search(r"okta:index/groupMemberships:GroupMemberships +own-scim-group-members-own-de ", text)
    assert "okta:group/rule:Rule" in text and "own-scim-group-rule-own-fr" in text


def test_the_markdown_plan_shows_them_in_the_groups_table(plan):
    markdown = render_markdown(plan)
    de = next(line for line in markdown.splitlines() if line.startswith("| 1 | Own DE |"))
    assert de.endswith("| 4 members: ann@example.com, bob@example.com, cy@example.com, ... |")
    fr = next(line for line in markdown.splitlines() if line.startswith("| 2 | Own FR |"))
    assert fr.endswith('| rule: user.countryCode == "FR" |')
    assert "| okta:index/groupMemberships:GroupMemberships | own-scim-group-members-own-de |" in markdown


def test_the_json_plan_has_every_member_and_the_rule(plan):
    resources = {r["name"]: r for r in json.loads(render_json(plan))["resources"]}
    members = resources["own-scim-group-members-own-de"]
    assert members["type"] == "okta:index/groupMemberships:GroupMemberships"
    assert members["inputs"]["users"] == [f"<id of Okta user {m}>" for m in MEMBERS]
    assert members["inputs"]["trackAllUsers"] is True
    rule = resources["own-scim-group-rule-own-fr"]
    assert rule["type"] == "okta:group/rule:Rule" and rule["inputs"]["status"] == "ACTIVE"


def test_the_memberships_and_rules_are_listed_after_their_groups(plan):
    types = [r.type for r in plan.resources]
    assert types.index("okta:group/group:Group") < types.index("okta:index/groupMemberships:GroupMemberships")
    assert types.index("okta:index/groupMemberships:GroupMemberships") < types.index("okta:group/rule:Rule")
    assert types.index("okta:group/rule:Rule") < types.index("okta:app/groupAssignment:GroupAssignment")
