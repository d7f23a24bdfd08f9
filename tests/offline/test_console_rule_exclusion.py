"""A member a group rule put in a group, removed by hand (``remove-member`` in the console
file): Okta adds them to the rule's exclusions (Okta's help, "Manual group user management":
"If a rule-managed user is manually removed from a group, the user is automatically added to
the rule's Except The following users field"), so no evaluation of the rule puts them back.
``simulate``'s drift names it and its repair; ``pulumi up --refresh`` (the rule's Read brings
``users_excluded`` into the state, the program declares none) clears the exclusion and the rule
puts them back."""

from __future__ import annotations

import pytest

from ownscim_infra.config import ConfigError
from ownscim_infra.config.console import load_console
from ownscim_infra.domain import repairs
from ownscim_infra.offline.console import apply_console
from ownscim_infra.offline.okta_org import OktaApiError, OktaOrg
from tests.conftest import EXAMPLE, REPO, console_run
from tests.live.applied import app_id_of, org_after_up

DIRECTORY = REPO / "config" / "example-directory.yaml"
RULE = "own-scim-group-rule-own-france"
LOUIS = "louis.martin@example.com"


run = console_run


def user(report, login: str):
    return next(u for u in report.users if u.login == login)


REMOVE_LOUIS = f"- {{action: remove-member, group: Own France, login: {LOUIS}}}\n"


def test_a_rule_managed_member_removed_by_hand_stays_out_and_is_drift_with_its_repair(tmp_path):
    report = run(tmp_path, REMOVE_LOUIS)
    louis = user(report, LOUIS).own
    assert louis is None or not louis.active, "the rule does not put him back: Okta deactivated him in Own"
    want = (
        RULE,
        repairs.rule_excluded(LOUIS, "Own France", "Own France"),
        repairs.rule_exclusion("Own France", LOUIS),
    )
    assert [(d.resource, d.what, d.repair) for d in report.drift] == [want]
    assert "excluded from group rule 'Own France'" in want[1]
    assert want[2].startswith("pulumi up --refresh") and "Except The following users" in want[2]
    assert not report.ok


def test_pulumi_up_refresh_clears_the_exclusion_and_the_rule_puts_him_back(tmp_path):
    report = run(tmp_path, REMOVE_LOUIS, refresh=True)
    assert [(d["resource"], d["repair"]) for d in report.to_json()["drift"]] == [(RULE, None)]
    louis = user(report, LOUIS).own
    assert louis is not None and louis.active and louis.regions == ("emea2",)
    (step,) = [c for c in report.changes if c.name == RULE]
    assert step.op.value == "update" and "usersExcluded" in step.paths


def test_okta_excludes_a_rule_managed_member_removed_through_the_api_too():
    """Okta's knowledge base ("User getting added in group exclusion list by Okta System"):
    removed "by manual or automated group API" alike; the rule's evaluation passes over them."""
    org: OktaOrg = org_after_up(EXAMPLE)
    (rule,) = org.rules.values()
    (gid,) = rule.group_ids
    louis = org.find_user_id(LOUIS)
    assert louis is not None and louis in rule.managed[gid]
    org.remove_group_members(gid, [louis])
    org.apply_rules()
    assert rule.excluded == {louis} and LOUIS not in {u.login for u in org.members(gid)}


def _org_whose_rule_excludes_a_hundred() -> tuple[OktaOrg, str, str]:
    """The example org after ``pulumi up``, Own France's rule already excluding 100 users (the
    most Okta allows: knowledge base, "Group Rule Restrictions")."""
    org: OktaOrg = org_after_up(EXAMPLE)
    (rule,) = org.rules.values()
    for n in range(100):
        rule.excluded.add(org.add_user(f"gone{n}@example.com", "Gone", str(n)))
    (gid,) = rule.group_ids
    return org, gid, rule.id


def test_okta_refuses_a_101st_exclusion_and_the_member_stays_in_the_group():
    """Okta documents the limit, not its error: ``E0000001`` is chosen (to check on a real
    org); nothing changes when it is refused."""
    org, gid, rule_id = _org_whose_rule_excludes_a_hundred()
    louis = org.find_user_id(LOUIS)
    assert louis is not None
    with pytest.raises(OktaApiError) as refused:
        org.remove_group_members(gid, [louis])
    assert refused.value.code == "E0000001" and "at most 100" in str(refused.value)
    assert louis not in org.rules[rule_id].excluded and LOUIS in {u.login for u in org.members(gid)}
    org.set_group_rule_status(rule_id, "INACTIVE")
    with pytest.raises(OktaApiError):  # PUT /api/v1/groups/rules/{id} with 101 exclusions
        org.update_group_rule(rule_id, "Own France", 'user.countryCode == "FR"', [*org.rules[rule_id].excluded, louis])


def test_the_console_removal_past_the_limit_is_reported_as_oktas_refusal(tmp_path):
    org, _, _ = _org_whose_rule_excludes_a_hundred()
    path = tmp_path / "console.yaml"
    path.write_text(REMOVE_LOUIS)
    with pytest.raises(ConfigError) as caught:
        apply_console(org, app_id_of(org), load_console(path), path)
    text = str(caught.value)
    assert "[0]" in text and "Okta refuses it: HTTP 400 E0000001" in text and "at most 100" in text
