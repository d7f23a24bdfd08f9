"""``pulumi refresh`` in the emulated engine: the provider's Read, the bridge's
``ExtractInputsFromOutputs`` on refresh, and ``pulumi up --replace`` (issue 17, items 2 and 4)."""

from __future__ import annotations

import json

from ownscim_infra.config.directory import load_directory
from ownscim_infra.offline import provider
from ownscim_infra.offline.engine import Engine
from ownscim_infra.offline.okta_org import OktaOrg
from ownscim_infra.offline.plan import build_plan
from tests.conftest import EXAMPLE, REPO

DIRECTORY = REPO / "config" / "example-directory.yaml"
ASSIGNMENT = "own-scim-group-assignment-own-us"


def applied() -> tuple[Engine, list, str, str]:
    """The example applied once; the engine, the resources, the app's and Own US's ids."""
    org = OktaOrg(load_directory(DIRECTORY))
    org.seed_groups(["Salesforce Admins", "Everyone"])
    engine = Engine(org)
    resources = build_plan(EXAMPLE).resources
    assert engine.up(resources).ok
    org.settle()  # the admins add the created groups' members after the run
    app = next(s.id for s in engine.state.values() if s.type == provider.APP)
    return engine, resources, app, engine.state[ASSIGNMENT].inputs["groupId"]


def test_refresh_records_oktas_value_as_the_input_and_keeps_the_trigger():
    engine, resources, app, group = applied()
    trigger = engine.state[ASSIGNMENT].options["replacementTrigger"]
    engine.org.put_group_assignment(app, group, None, {"regions": "emea2"})  # the Admin Console
    refreshed = engine.refresh()
    assert ASSIGNMENT in refreshed.changed and refreshed.failed is None
    state = engine.state[ASSIGNMENT]
    assert json.loads(state.inputs["profile"])["regions"] == "emea2", "ExtractInputsFromOutputs on refresh"
    assert state.options["replacementTrigger"] == trigger, "options are the engine's, not the provider's"
    result = engine.up(resources)
    assert {s.op for s in result.steps} == {"same"}, "so pulumi up --refresh leaves the console's value"
    assert engine.org.get_group_assignment(app, group)["profile"]["regions"] == "emea2"


def test_replace_forces_the_replacement_delete_first():
    engine, resources, app, group = applied()
    engine.org.put_group_assignment(app, group, None, {"regions": "emea2"})
    result = engine.up(resources, replace=[ASSIGNMENT])
    (step,) = [s for s in result.steps if s.op != "same"]
    assert (step.name, step.op, step.paths, step.delete_before_replace) == (ASSIGNMENT, "replace", ["--replace"], True)
    assert engine.org.get_group_assignment(app, group)["profile"]["regions"] == "us1"
    assert {s.op for s in engine.preview(resources)} == {"same"}


def test_a_group_members_app_user_reads_200_with_scope_group():
    engine, _, app, _ = applied()
    dana = engine.org.find_user("dana.lee@example.com")
    engine.org.remove_direct_assignment(app, dana)
    got = engine.org.get_app_user(app, dana)
    assert got["scope"] == "GROUP" and got["profile"]["regions"] == "us1"
    assert engine.refresh().gone == [], "the provider's Read keeps the resource: never created again"


def test_refresh_drops_what_okta_answers_404_for_and_fails_on_the_connection_of_a_deleted_app(api_example):
    org = OktaOrg(load_directory(DIRECTORY))
    org.seed_groups(["Salesforce Admins", "Everyone"])
    engine = Engine(org)
    resources = build_plan(api_example).resources
    assert engine.up(resources).ok
    app = next(s.id for s in engine.state.values() if s.type == provider.APP)
    org.delete_app(app)
    refreshed = engine.refresh()
    assert "own-scim-app" in refreshed.gone
    assert refreshed.failed == "own-scim-connection" and "404" in refreshed.error
    result = engine.up(resources, refresh=True)
    assert result.failed is not None and result.failed.name == "own-scim-connection"
    assert all(s.status != "done" for s in result.steps)
