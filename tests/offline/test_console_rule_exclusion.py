"""A member a group rule put in a group, removed by hand (``remove-member`` in the console
file): Okta adds them to the rule's exclusions (Okta's help, "Manual group user management":
"If a rule-managed user is manually removed from a group, the user is automatically added to
the rule's Except The following users field"), so no evaluation of the rule puts them back.
``simulate``'s drift names it and its repair; ``pulumi up --refresh`` (the rule's Read brings
``users_excluded`` into the state, the program declares none) clears the exclusion and the rule
puts them back."""

from __future__ import annotations

from pathlib import Path

from ownscim_infra.domain import repairs
from ownscim_infra.offline.okta_org import OktaOrg
from ownscim_infra.offline.simulate import simulate
from tests.conftest import EXAMPLE, REPO
from tests.live.applied import org_after_up

DIRECTORY = REPO / "config" / "example-directory.yaml"
RULE = "own-scim-group-rule-own-france"
LOUIS = "louis.martin@example.com"


def run(tmp_path: Path, console: str, **options):
    path = tmp_path / "console.yaml"
    path.write_text(console)
    return simulate(EXAMPLE, DIRECTORY, previous=(EXAMPLE, DIRECTORY), console=path, **options)


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
