"""The app renamed or deactivated in the Admin Console (``--console`` ``rename-app``,
``deactivate-app``; issue 17.7): a plain ``pulumi up`` does not see it (it diffs against the
state), the drift names ``pulumi up --refresh``, and that run repairs it (the app's Read, then
the update: a full PUT, or the lifecycle call) and converges. A deactivated app is never safe."""

from __future__ import annotations

import pytest

from ownscim_infra.config import ConfigError
from ownscim_infra.domain import repairs
from ownscim_infra.domain.findings import Code
from ownscim_infra.offline.review import SAFE, review
from ownscim_infra.offline.steps import Op
from tests.conftest import EXAMPLE, REPO, console_run

DIRECTORY = REPO / "config" / "example-directory.yaml"
RENAME = "- {action: rename-app, to: Own (old)}\n"
DEACTIVATE = "- {action: deactivate-app}\n"


run = console_run


def ops(report) -> dict[str, Op]:
    return {s.name: s.op for s in report.changes if s.op != Op.SAME}


def drift(report) -> list[tuple[str, str, str | None]]:
    return [(d.resource, d.what, d.repair) for d in report.drift]


def converged(report) -> bool:
    return report.next_run is not None and all(s.op == Op.SAME for s in report.next_run)


def test_a_renamed_app_is_not_repaired_by_pulumi_up_and_refresh_renames_it_back(tmp_path):
    plain = run(tmp_path, RENAME)
    assert ops(plain) == {}, "a plain pulumi up reads nothing: the state still says 'Own'"
    what = "the app is labelled 'Own (old)' in Okta, the config says 'Own'"
    assert drift(plain) == [("own-scim-app", what, repairs.app_label("Own"))]
    assert plain.drift[0].repair is not None and plain.drift[0].repair.startswith("pulumi up --refresh (")
    assert converged(plain), "and the next plain run does not either: the drift stays"
    assert not plain.ok

    refreshed = run(tmp_path, RENAME, refresh=True)
    assert ops(refreshed) == {"own-scim-app": Op.UPDATE}
    assert drift(refreshed) == [("own-scim-app", what, None)], "repaired by this run"
    assert converged(refreshed)
    assert refreshed.ok, "a label reaches no one in Own: nobody moved"


def test_a_deactivated_app_is_reactivated_only_by_refresh_and_is_never_safe(tmp_path):
    plain = run(tmp_path, DEACTIVATE)
    assert ops(plain) == {}
    what = "the app is INACTIVE in Okta (deactivated): Okta provisions nothing to Own while it is"
    assert drift(plain) == [("own-scim-app", what, repairs.app_inactive("Own"))]
    assert converged(plain)
    (finding,) = [f for f in plain.findings if f.code == Code.APP_DEACTIVATED]
    assert "either deactivated" in finding.message and "left active" in finding.message
    assert "priya.nair@example.com" in finding.logins and "sam.rivera@example.com" in finding.logins

    refreshed = run(tmp_path, DEACTIVATE, refresh=True)
    assert ops(refreshed) == {"own-scim-app": Op.UPDATE}
    assert drift(refreshed) == [("own-scim-app", what, None)]
    assert converged(refreshed)
    assert not refreshed.ok, "deactivated by hand: never safe, even once activated again"


def test_okta_provisions_nothing_while_the_app_is_inactive_nor_after_it(tmp_path):
    """Chosen (to check on a real org): a member added while the app is inactive is not created
    in Own, and activating the app again does not push them afterwards (as for a capability
    switched on later: not retroactive); the repair says to check such people in Own."""
    console = DEACTIVATE + "- {action: add-member, group: Own US, login: chris.doe@example.com}\n"
    for refresh in (False, True):
        report = run(tmp_path, console, refresh=refresh)
        chris = next(u for u in report.users if u.login == "chris.doe@example.com")
        assert chris.assignment == "group Own US (priority 3)"
        assert chris.own is None and not chris.ok, "assigned in Okta, never created in Own"
        assert report.console_changes == []
    assert "check in Own's UI the people assigned or unassigned while it was inactive" in repairs.app_inactive("Own")


def test_a_review_with_the_app_deactivated_by_hand_is_not_safe(tmp_path):
    console = tmp_path / "console.yaml"
    console.write_text(DEACTIVATE)
    for refresh in (False, True):
        rv = review(EXAMPLE, EXAMPLE, DIRECTORY, console=console, refresh=refresh)
        assert rv.verdict != SAFE
        assert "app-deactivated" in "; ".join(rv.reasons)


def test_deactivating_an_inactive_app_is_refused_naming_the_action(tmp_path):
    with pytest.raises(ConfigError) as caught:
        run(tmp_path, DEACTIVATE + DEACTIVATE)
    assert "[1].action" in str(caught.value) and "the app is already INACTIVE" in str(caught.value)


def test_a_rule_excluded_member_of_an_inactive_app_is_not_blamed_on_its_provisioning_settings(tmp_path):
    """louis.martin, removed by hand from the rule group Own France, then the app deactivated:
    he differs (the rule means him in Own) because the rule excludes him, and Okta assigns him
    nowhere. Create Users or Deactivate Users being off (the app is inactive) explains nothing
    about him: no such cause is named (it was, twice)."""
    remove = "- {action: remove-member, group: Own France, login: louis.martin@example.com}\n"
    report = run(tmp_path, remove + DEACTIVATE)
    louis = next(u for u in report.users if u.login == "louis.martin@example.com")
    assert not louis.ok
    causes = [r.text for r in louis.reasons if r.text.startswith("cause: ")]
    assert [c for c in causes if "lifecycleCreate" in c or "lifecycleDeactivate" in c] == []
    assert {f.code for f in report.findings} >= {Code.APP_DEACTIVATED, Code.CAPABILITY_CREATE}


def test_the_capabilities_of_an_inactive_app_are_said_off_because_of_it_not_unticked(tmp_path):
    """While the app is ``INACTIVE`` Okta provisions nothing (chosen, row 29), so Create and
    Deactivate Users are off in effect, though the Provisioning tab still has them ticked (a
    deactivation changes no provisioning setting: Okta's help, "Deactivate app integrations",
    speaks of assignments only). The finding says why they are off, in a sentence, and not
    that the setting is DISABLED where it is set."""
    report = run(tmp_path, DEACTIVATE)
    (create,) = [f for f in report.findings if f.code == "capability-lifecycleCreate"]
    assert "in the provisioning is off" not in create.message
    assert "the app is INACTIVE" in create.message and "Activate" in create.message
