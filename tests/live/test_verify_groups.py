"""``verify`` on who is in the groups the config fills: a ``members`` group holds exactly the
logins the config lists, and a ``rule`` group's rule is ACTIVE with the config's expression and
excludes no one (issue 17: an admin adding or removing a member in the Admin Console). Each
difference is one drift, worded as ``simulate``'s drift words it, with its repair
(:mod:`ownscim_infra.domain.repairs`). The org is the emulated one after the example's ``pulumi
up`` (tests/live/applied.py), edited as the console edits it (:mod:`ownscim_infra.offline.console`),
served over HTTP on 127.0.0.1 (tests/live/okta_fake.py) and read through ``ownscim verify``."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import JSONResponse

from ownscim_infra.cli import main
from ownscim_infra.config.console import ConsoleAction
from ownscim_infra.domain import repairs
from ownscim_infra.offline.console import apply_console
from ownscim_infra.offline.drift import drift_of
from ownscim_infra.offline.okta_org import OktaOrg
from tests.conftest import example_group, example_variant
from tests.live.applied import app_id_of, plan_of, pulumi_up
from tests.live.okta_fake import EXAMPLE, rule_object

pytestmark = pytest.mark.usefixtures("fake_org")

DACH, FRANCE = "Own DACH", "Own France"
MIA, CHRIS, LOUIS = "mia.schmidt@example.com", "chris.doe@example.com", "louis.martin@example.com"


def verify_json(config: Path = EXAMPLE) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["verify", str(config), "--format", "json"])
    return code, json.loads(out.getvalue())


def findings(doc: dict[str, Any], check: str) -> list[tuple[str, str, str, str | None]]:
    return [(f["subject"], f["status"], f["message"], f["repair"]) for f in doc["findings"] if f["check"] == check]


def console(org: OktaOrg, *actions: dict[str, str]) -> None:
    """What an admin did in the Admin Console, as ``--console`` applies it offline."""
    apply_console(org, app_id_of(org), [ConsoleAction(**a) for a in actions], "console.yaml")


def rule_of(org: OktaOrg) -> str:
    (rule_id,) = org.rules
    return rule_id


def test_an_org_in_sync_has_its_members_and_its_rule_checked_ok():
    code, doc = verify_json()
    assert code == 0
    assert findings(doc, "members") == [(DACH, "ok", "1 member(s), as the config lists", None)]
    assert findings(doc, "group-rule") == [(FRANCE, "ok", 'ACTIVE, user.countryCode == "FR", no exclusions', None)]


def test_members_added_by_hand_are_each_a_drift_repaired_by_up_refresh(fake_org, okta_server, capsys):
    """Two people added in the console: three members, read over two pages (the fake serves
    two a page, as Okta pages with ``Link`` headers). Each is worded as ``simulate``'s drift
    words it, and claims nothing of their regions in Own: jordan.kim is also in Own US, which
    comes first (priority 3 against 5), so Okta gives him Own US's regions, not Own DACH's (and
    Own keeps the regions it created a user with: Update User Attributes is off)."""
    console(
        fake_org,
        {"action": "add-member", "group": DACH, "login": CHRIS},
        {"action": "add-member", "group": DACH, "login": "jordan.kim@example.com"},
    )
    code, doc = verify_json()
    assert code == 1 and doc["drift"] is True
    assert findings(doc, "members") == [
        (
            f"{DACH}: {CHRIS}",
            "drift",
            repairs.member_not_listed(CHRIS, DACH),
            repairs.member_not_listed_repair(CHRIS),
        ),
        (
            f"{DACH}: jordan.kim@example.com",
            "drift",
            repairs.member_not_listed("jordan.kim@example.com", DACH),
            repairs.member_not_listed_repair("jordan.kim@example.com"),
        ),
    ]
    # the repair says what it does in Own, and how to keep them instead
    repair = repairs.member_not_listed_repair(CHRIS)
    assert repair.startswith("pulumi up --refresh") and "deactivates them in Own" in repair and "`pulumi up`" in repair
    pages = [q for _, path, q in okta_server.fake.requests if path.endswith("/users") and "/groups/" in path]
    assert len(pages) == 2 and "after" in pages[1]
    # the text: one row each, and each repair listed after the table
    assert main(["verify", str(EXAMPLE)]) == 1
    out = capsys.readouterr().out
    assert f"- members {DACH}: {CHRIS}:" in out and "pulumi up --refresh" in out


def test_a_member_removed_by_hand_is_a_drift_repaired_by_up_refresh(fake_org):
    console(fake_org, {"action": "remove-member", "group": DACH, "login": MIA})
    code, doc = verify_json()
    assert code == 1
    assert findings(doc, "members") == [
        (f"{DACH}: {MIA}", "drift", repairs.member_not_in_group(MIA, DACH), repairs.member_not_in_group_repair(MIA))
    ]


def test_a_listed_login_okta_has_no_user_for_is_named(tmp_path):
    config = example_variant(
        tmp_path, lambda d: example_group(d, DACH).update(members=[MIA, "nobody@example.com"]), "example.yaml"
    )
    code, doc = verify_json(config)
    assert code == 1
    ((subject, status, message, repair),) = findings(doc, "members")
    assert (subject, status) == (f"{DACH}: nobody@example.com", "drift")
    assert message.endswith("no Okta user has this login") and repair is not None and repair.startswith("create")


def test_a_rule_deactivated_or_edited_by_hand_is_a_drift_repaired_by_up_refresh(fake_org):
    rule = rule_of(fake_org)
    fake_org.set_group_rule_status(rule, "INACTIVE")
    fake_org.update_group_rule(rule, FRANCE, 'user.countryCode == "BE"')
    code, doc = verify_json()
    assert code == 1
    message = (
        "status is INACTIVE, the config's rule is ACTIVE (a rule not active adds no one); "
        "expression is 'user.countryCode == \"BE\"', the config says 'user.countryCode == \"FR\"'"
    )
    assert findings(doc, "group-rule") == [(FRANCE, "drift", message, repairs.rule_changed(FRANCE))]


def test_an_invalid_rule_is_deleted_in_the_console_before_the_refresh(fake_org):
    """The provider replaces an INVALID rule (create first), which Okta refuses while the old
    rule holds the name."""
    fake_org.set_group_rule_status(rule_of(fake_org), "INVALID")
    _, doc = verify_json()
    ((_, status, message, repair),) = findings(doc, "group-rule")
    assert status == "drift" and message.startswith("status is INVALID")
    assert repair == repairs.rule_invalid(FRANCE) and "Delete" in repair


def test_a_rule_managed_member_removed_by_hand_is_excluded_and_named_with_its_repair(fake_org):
    """Okta adds a rule-managed member removed by hand to the rule's exclusions (Okta's help,
    "Manual group user management"); ``verify`` reads ``conditions.people.users.exclude``."""
    console(fake_org, {"action": "remove-member", "group": FRANCE, "login": LOUIS})
    fake_org.settle()  # Okta evaluates the rule again: it passes over him
    code, doc = verify_json()
    assert code == 1
    assert findings(doc, "group-rule") == [
        (
            f"{FRANCE}: {LOUIS}",
            "drift",
            repairs.rule_excluded(LOUIS, FRANCE, FRANCE),
            repairs.rule_exclusion(FRANCE, LOUIS),
        )
    ]


def test_verify_and_simulate_word_each_drift_of_members_and_rules_alike(okta_server):
    """The same console actions on an org ``pulumi up`` made: ``verify`` (reading it over HTTP)
    and ``simulate``'s drift (``drift_of``, reading the model) give each difference the same
    text and the same repair."""
    org, result = pulumi_up(EXAMPLE)
    assert result.ok
    okta_server.fake.serve(org)
    console(
        org,
        {"action": "add-member", "group": DACH, "login": CHRIS},
        {"action": "remove-member", "group": DACH, "login": MIA},
        {"action": "remove-member", "group": FRANCE, "login": LOUIS},
    )
    org.settle()
    offline = {(d.what, d.repair) for d in drift_of(plan_of(EXAMPLE).config, org, result.state, "example")}
    _, doc = verify_json()
    live = {(f["message"], f["repair"]) for f in doc["findings"]}
    assert len(offline) == 3 and offline <= live


@pytest.mark.parametrize(
    "actions",
    [
        [{"action": "deactivate-rule", "group": FRANCE}],
        [{"action": "edit-rule", "group": FRANCE, "expression": 'user.countryCode == "BE"'}],
        [
            {"action": "edit-rule", "group": FRANCE, "expression": 'user.countryCode == "DE"'},
            {"action": "deactivate-rule", "group": FRANCE},
        ],
    ],
)
def test_verify_and_simulate_word_a_rule_deactivated_or_edited_by_hand_alike(okta_server, actions):
    """``--console`` ``deactivate-rule`` / ``edit-rule`` on an org ``pulumi up`` made: ``verify``
    over HTTP and ``simulate``'s drift give the rule's status and expression the same text and
    the same repair (:func:`repairs.rule_not_as_declared`, :func:`repairs.rule_changed`)."""
    org, result = pulumi_up(EXAMPLE)
    okta_server.fake.serve(org)
    console(org, *actions)
    offline = [(d.what, d.repair) for d in drift_of(plan_of(EXAMPLE).config, org, result.state, "example")]
    _, doc = verify_json()
    live = [(message, repair) for _, status, message, repair in findings(doc, "group-rule") if status == "drift"]
    assert len(offline) == 1 and offline == live
    assert offline[0][1] == repairs.rule_changed(FRANCE)


@pytest.mark.parametrize("exclude", ["00u1", [1], {"id": "00u1"}])
def test_a_rule_whose_exclusions_are_not_a_list_of_ids_stops_with_one_line(fake_org, okta_server, exclude, capsys):
    """An answer that is not Okta's (a string where the ids belong would read as one id a
    character): exit 2 with one line naming the path, never a finding built on it."""
    (rule,) = fake_org.rules.values()
    answer = rule_object(rule.id, rule.name, rule.group_ids, rule.expression, rule.status)
    answer["conditions"]["people"]["users"]["exclude"] = exclude
    okta_server.fake.answer("/api/v1/groups/rules", lambda request: JSONResponse([answer]))
    assert main(["verify", str(EXAMPLE)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "GET /api/v1/groups/rules" in err and "not an answer of Okta's API" in err


def test_a_rule_exclusion_in_a_group_renamed_by_hand_is_worded_as_simulate_words_it(okta_server):
    """Own France renamed by hand, then Louis removed from it: the exclusion names the group as
    Okta has it now, in ``verify`` as in ``simulate``'s drift (``drift._rules``: the group's name
    in the org); verify knows it from the app's group assignments (``GET
    /api/v1/apps/{appId}/groups``: the group of the rule's ``groupIds``), not from the config."""
    org, result = pulumi_up(EXAMPLE)
    okta_server.fake.serve(org)
    console(
        org,
        {"action": "rename-group", "group": FRANCE, "to": "France Team"},
        {"action": "remove-member", "group": "France Team", "login": LOUIS},
    )
    org.settle()
    offline = [(d.what, d.repair) for d in drift_of(plan_of(EXAMPLE).config, org, result.state, "example")]
    want = (repairs.rule_excluded(LOUIS, FRANCE, "France Team"), repairs.rule_exclusion(FRANCE, LOUIS))
    assert want in offline
    _, doc = verify_json()
    assert want in [(f["message"], f["repair"]) for f in doc["findings"] if f["check"] == "group-rule"]
