"""A step of the emulated ``pulumi up`` is typed to the edge: its Okta error code is a field and
a trigger keeps its recorded and declared values apart, so no reader parses a message back."""

from __future__ import annotations

from ownscim_infra.offline.okta_org import OktaApiError
from ownscim_infra.offline.report import SimulationReport
from ownscim_infra.offline.report_text import changed_summary
from ownscim_infra.offline.review import BLOCKED, verdict_of
from ownscim_infra.offline.steps import Op, Status, Step, Trigger


def failed_at(step: Step) -> SimulationReport:
    return SimulationReport(
        config="new.yaml",
        directory="directory.yaml",
        previous="base.yaml",
        receiver="http://127.0.0.1:1/scim/v2",
        receiver_started_here=True,
        capabilities={},
        capabilities_source="test",
        attribute=None,
        users=[],
        findings=[],
        changes=[step],
        update_failed=step,
    )


def test_only_okta_s_own_error_code_names_what_blocked_pulumi_up():
    okta = Step("own-scim-user-dana", "okta:app/user:User", Op.REPLACE)
    okta.fail(OktaApiError(400, "E0000046", "Cannot delete the app user: a group grants the app"))
    assert okta.error_code == "E0000046" and okta.status == Status.FAILED
    assert verdict_of(failed_at(okta), []) == (
        BLOCKED,
        ["pulumi up fails at own-scim-user-dana (E0000046: see the warnings)"],
    )
    # a hook's refusal that quotes an Okta code in its words is not Okta refusing
    hook = Step("own-scim-regions-attribute", "okta:index/appUserSchemaProperty:AppUserSchemaProperty", Op.DELETE)
    hook.fail(RuntimeError("refused: deleting it would fail like E0000046 does for users"))
    assert hook.error_code is None
    assert verdict_of(failed_at(hook), [])[1] == [
        "pulumi up fails at own-scim-regions-attribute: refused: deleting it would fail like E0000046 does for users"
    ]


def test_a_trigger_shows_the_declared_values_whatever_they_hold():
    step = Step(
        "own-scim-group-assignment-own-us",
        "okta:app/groupAssignment:GroupAssignment",
        Op.REPLACE,
        ["replacementTrigger"],
        trigger=Trigger('{"regions": "us1 -> old"}', '{"regions": "emea2"}'),
    )
    assert changed_summary(step) == "regions us1 -> old -> emea2"
    assert step.to_json()["detail"] == '{"regions": "us1 -> old"} -> {"regions": "emea2"}'
