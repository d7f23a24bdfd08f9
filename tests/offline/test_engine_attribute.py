"""The ``regions`` attribute as terraform-provider-okta v6.12.0 reads it back
(``resource_okta_app_user_custom_schema_property.go``, ``resourceAppUserSchemaPropertyRead`` ->
``syncCustomUserSchema``, ``user_schema_property.go``): ``unique`` and ``array_type`` are
``ForceNew`` beside ``index``, ``type``, ``external_name``, ``external_namespace`` and
``scope``, and Read sets them from Okta's property (issue 17)."""

from __future__ import annotations

import copy

import pytest

from ownscim_infra.offline.engine import Engine
from ownscim_infra.offline.steps import Op, Status
from ownscim_infra.program.component import ALLOW_ATTRIBUTE_DELETE_ENV
from tests.offline.example_applied import example_applied as applied

ATTRIBUTE = "own-scim-regions-attribute"


@pytest.fixture(autouse=True)
def no_release(monkeypatch):
    monkeypatch.delenv(ALLOW_ATTRIBUTE_DELETE_ENV, raising=False)


def held(engine: Engine) -> dict:
    state = engine.state[ATTRIBUTE]
    return engine.org.apps[state.inputs["appId"]].schema[state.inputs["index"]]


@pytest.mark.parametrize(("key", "value"), [("unique", "UNIQUE_VALIDATED"), ("arrayType", "string")])
def test_unique_and_array_type_replace_the_attribute(key, value):
    engine, resources = applied()
    changed = copy.deepcopy(resources)
    next(r for r in changed if r.name == ATTRIBUTE).inputs[key] = value
    step = next(s for s in engine.preview(changed) if s.name == ATTRIBUTE)
    assert (step.op, step.paths) == (Op.REPLACE, [key])


def test_a_refresh_with_nothing_changed_reads_unique_empty_and_changes_nothing():
    engine, resources = applied()
    engine.refresh()
    assert engine.state[ATTRIBUTE].outputs["unique"] == ""
    assert all(s.op == Op.SAME for s in engine.up(resources).steps)


def test_unique_ticked_in_the_profile_editor_is_read_back_and_the_next_up_is_refused():
    engine, resources = applied()
    held(engine)["unique"] = "UNIQUE_VALIDATED"  # Profile Editor > regions > Unique
    assert all(s.op == Op.SAME for s in engine.up(resources).steps), "a plain pulumi up reads nothing"
    engine.refresh()
    assert engine.state[ATTRIBUTE].outputs["unique"] == "UNIQUE_VALIDATED"
    result = engine.up(resources)
    step = next(s for s in result.steps if s.name == ATTRIBUTE)
    assert (step.op, step.paths, step.status) == (Op.REPLACE, ["unique"], Status.FAILED)
    assert "protected" in (step.error or ""), "protect stops the replacement: every pulumi up fails the same way"
    assert held(engine)["unique"] == "UNIQUE_VALIDATED", "nothing was deleted in Okta"
