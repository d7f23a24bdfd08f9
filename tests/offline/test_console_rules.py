"""A group rule deactivated or edited by hand (``--console`` ``deactivate-rule``,
``edit-rule``): what Okta does (a deactivated rule keeps the members it added and adds no one:
Okta's knowledge base, "What happens if group rules are deactivated and deleted"; an edit is
deactivate, edit, activate, and Okta evaluates it at once), what the provider does (its Read
stores ``status`` and the expression, so a plain ``pulumi up`` leaves both and ``pulumi up
--refresh`` puts the config's back: ``resourceGroupRuleUpdate``), the drift and its repair
worded as ``verify`` words them, and a review with such an action never safe."""

from __future__ import annotations

import pytest
import yaml

from ownscim_infra.config import ConfigError
from ownscim_infra.config.console import load_console
from ownscim_infra.domain import repairs
from ownscim_infra.domain.findings import Code
from ownscim_infra.offline.review import SAFE, review
from ownscim_infra.offline.steps import Op
from tests.conftest import EXAMPLE, REPO, console_run

DIRECTORY = REPO / "config" / "example-directory.yaml"
RULE = "own-scim-group-rule-own-france"
FRANCE = "Own France"
FR = 'user.countryCode == "FR"'
BE = 'user.countryCode == "BE"'
LOUIS = "louis.martin@example.com"
DEACTIVATE = "- {action: deactivate-rule, group: Own France}\n"
EDIT = "- {action: edit-rule, group: Own France, expression: 'user.countryCode == \"BE\"'}\n"


run = console_run


def own(report, login: str):
    return next(u for u in report.users if u.login == login).own


def rule_steps(report) -> list[tuple[Op, list[str]]]:
    return [(s.op, list(s.paths)) for s in report.changes if s.name == RULE]


def converged(report) -> bool:
    return report.next_run is not None and all(s.op == Op.SAME for s in report.next_run)


def test_a_rule_deactivated_by_hand_keeps_its_members_and_a_plain_up_leaves_it(tmp_path):
    report = run(tmp_path, DEACTIVATE)
    louis = own(report, LOUIS)
    assert louis is not None and louis.active and louis.regions == ("emea2",), "the members it added stay"
    assert report.console_changes == []
    assert rule_steps(report) == [(Op.SAME, [])], "the state still says ACTIVE: a plain pulumi up sees nothing"
    want = repairs.rule_not_as_declared("INACTIVE", FR, FR)
    assert [(d.resource, d.what, d.repair) for d in report.drift] == [(RULE, want, repairs.rule_changed(FRANCE))]
    assert want == "status is INACTIVE, the config's rule is ACTIVE (a rule not active adds no one)"
    (finding,) = [f for f in report.findings if f.code == Code.RULE_CHANGED_BY_HAND]
    assert "deactivated by hand" in finding.message and "adds no one" in finding.message


def test_refresh_activates_the_deactivated_rule_without_a_put_and_converges(tmp_path):
    """``d.HasChange("status")``: ``handleGroupRuleLifecycle`` activates it; nothing else
    changed, so no deactivate-PUT-activate."""
    report = run(tmp_path, DEACTIVATE, refresh=True)
    assert rule_steps(report) == [(Op.UPDATE, ["status"])]
    assert [(d.resource, d.repair) for d in report.drift] == [(RULE, None)]
    assert converged(report)


def test_a_rule_edited_by_hand_moves_people_at_once_and_refresh_puts_it_back(tmp_path):
    report = run(tmp_path, EDIT)
    assert own(report, LOUIS) is None, "no longer matched: Okta removed him from the group, deactivated in Own"
    assert any(LOUIS in line for line in report.console_changes)
    assert rule_steps(report) == [(Op.SAME, [])]
    want = repairs.rule_not_as_declared("ACTIVE", BE, FR)
    assert [(d.resource, d.what, d.repair) for d in report.drift] == [(RULE, want, repairs.rule_changed(FRANCE))]
    (finding,) = [f for f in report.findings if f.code == Code.RULE_CHANGED_BY_HAND]
    assert finding.logins == (LOUIS,) and f"{LOUIS} left the group" in finding.message and BE in finding.message

    repaired = run(tmp_path, EDIT, refresh=True)
    assert rule_steps(repaired) == [(Op.UPDATE, ["expressionValue"])]
    louis = own(repaired, LOUIS)
    assert louis is not None and louis.active and louis.regions == ("emea2",)
    assert [(d.resource, d.repair) for d in repaired.drift] == [(RULE, None)]
    assert converged(repaired)


def test_an_edit_that_matches_more_people_names_who_joined(tmp_path):
    """Mia (countryCode DE) joins Own France; Own DACH (priority 5) still gives her regions."""
    report = run(tmp_path, "- {action: edit-rule, group: Own France, expression: 'user.countryCode == \"DE\"'}\n")
    (finding,) = [f for f in report.findings if f.code == Code.RULE_CHANGED_BY_HAND]
    assert "mia.schmidt@example.com joined the group" in finding.message
    assert f"{LOUIS} left the group" in finding.message


@pytest.mark.parametrize("console", [DEACTIVATE, EDIT])
def test_a_review_with_a_rule_changed_by_hand_is_never_safe(tmp_path, console):
    path = tmp_path / "console.yaml"
    path.write_text(console)
    for refresh in (False, True):
        rv = review(EXAMPLE, EXAMPLE, DIRECTORY, console=path, refresh=refresh)
        assert rv.verdict != SAFE
        assert "rule-changed-by-hand" in "; ".join(rv.reasons)


def test_a_deactivated_rule_leaves_a_new_person_who_matches_it_out_of_own(tmp_path):
    """The change's directory has a new hire in France: with the rule deactivated by hand,
    Okta does not put her in the group (so not in Own); without, it does."""
    data = yaml.safe_load(DIRECTORY.read_text())
    data["users"].append(
        {"login": "zoe.petit@example.com", "first_name": "Zoe", "last_name": "Petit", "countryCode": "FR"}
    )
    later = tmp_path / "later-directory.yaml"
    later.write_text(yaml.safe_dump(data))
    path = tmp_path / "console.yaml"
    path.write_text(DEACTIVATE)
    rv = review(EXAMPLE, EXAMPLE, later, base_directory=DIRECTORY, console=path)
    zoe = next(u for u in rv.report.users if u.login == "zoe.petit@example.com")
    assert zoe.own is None and not zoe.ok and rv.verdict != SAFE
    rv = review(EXAMPLE, EXAMPLE, later, base_directory=DIRECTORY)
    zoe = next(u for u in rv.report.users if u.login == "zoe.petit@example.com")
    assert zoe.own is not None and zoe.own.regions == ("emea2",)


@pytest.mark.parametrize(
    ("console", "key", "message"),
    [
        ("- {action: deactivate-rule, group: Own Nowhere}\n", "[0].group", "no Okta group has this name"),
        ("- {action: edit-rule, group: Own US, expression: 'user.a == \"b\"'}\n", "[0].group", "no group rule assigns"),
        (DEACTIVATE + DEACTIVATE, "[1].action", "group rule 'Own France' is already INACTIVE"),
    ],
)
def test_a_rule_action_the_org_cannot_take_names_the_file_key_and_why(tmp_path, console, key, message):
    with pytest.raises(ConfigError) as caught:
        run(tmp_path, console)
    text = str(caught.value)
    assert key in text and message in text and "console.yaml" in text


def test_an_expression_the_parser_refuses_is_a_config_error_saying_what_is_allowed(tmp_path):
    path = tmp_path / "console.yaml"
    path.write_text(
        "- {action: edit-rule, group: Own France, expression: 'user.age > 30'}\n"
        "- {action: edit-rule, group: Own France}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_console(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"2 problem(s) in {path}:"
    assert lines[1].startswith(f"  {path}:1:")
    assert (
        "[0].expression: cannot evaluate" in lines[1]
        and "String.startsWith" in lines[1]
        and "user.age > 30" in lines[1]
    )
    assert "[1]: edit-rule needs `expression`" in lines[2]
