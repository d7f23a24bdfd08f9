"""A delete-before-replace whose create fails leaves the resource ``PendingReplacement``
(pulumi/pulumi ``pkg/resource/deploy/step.go``, ``(*DeleteStep).Apply``; ``step_generator.go``,
``continueStepsFromDiff`` and ``GenerateDeletes``): the next run creates it without deleting
it again, and a pending resource no longer declared leaves the state without a Delete (issue 17)."""

from __future__ import annotations

from pathlib import Path

import yaml

from ownscim_infra.config.directory import load_directory
from ownscim_infra.offline.engine import PENDING_REPLACEMENT, Engine, ResourceState
from ownscim_infra.offline.okta_org import OktaApiError, OktaOrg
from ownscim_infra.offline.plan import build_plan
from ownscim_infra.offline.steps import Op, Status
from tests.conftest import EXAMPLE, REPO, example_data

DIRECTORY = REPO / "config" / "example-directory.yaml"
OWN_US = "own-scim-group-assignment-own-us"


class FlakyOrg(OktaOrg):
    """The org, whose next ``PUT .../groups/{groupId}`` fails (``fail_puts``) with HTTP 429,
    and which counts the group assignment ``DELETE`` calls."""

    fail_puts = 0
    deletes: list[str]

    def put_group_assignment(self, app_id, group_id, priority, profile):
        if self.fail_puts:
            self.fail_puts -= 1
            raise OktaApiError(429, "E0000047", "API call exceeded rate limit due to too many requests.")
        super().put_group_assignment(app_id, group_id, priority, profile)

    def delete_group_assignment(self, app_id, group_id):
        self.deletes.append(self.groups[group_id].name if group_id in self.groups else group_id)
        super().delete_group_assignment(app_id, group_id)


def config_with(tmp_path: Path, change, name: str) -> Path:
    data = example_data()
    change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def failed_move(tmp_path: Path) -> tuple[FlakyOrg, Engine, list]:
    """The example applied, then Own US moved to emea2, whose replacement's create fails."""
    org = FlakyOrg(load_directory(DIRECTORY))
    org.deletes = []
    org.seed_groups(["Salesforce Admins", "Everyone"])
    engine = Engine(org)
    first = build_plan(EXAMPLE)
    assert engine.up(first.resources).ok
    moved = config_with(tmp_path, lambda d: d["groups"][2].update(regions=["emea2"]), "moved.yaml")
    resources = build_plan(moved, previous_outputs=first.outputs).resources
    org.fail_puts = 1
    result = engine.up(resources)
    assert result.failed is not None and result.failed.name == OWN_US and result.failed.error_code == "E0000047"
    assert org.deletes == ["Own US"], "the delete-first half ran"
    assert engine.state[OWN_US].pending_replacement
    return org, engine, resources


def test_the_next_run_creates_the_replacement_without_deleting_again(tmp_path):
    org, engine, resources = failed_move(tmp_path)
    again = engine.up(resources)
    assert again.ok
    step = next(s for s in again.steps if s.name == OWN_US)
    # the recorded trigger is still the old one (the state of before, pending replacement)
    assert (step.op, step.paths, step.status) == (Op.REPLACE, ["replacementTrigger"], Status.DONE)
    assert org.deletes == ["Own US"], "no second delete: the old assignment was already gone"
    assert not engine.state[OWN_US].pending_replacement
    held = org.apps[engine.state["own-scim-app"].id].group_assignments[engine.state[OWN_US].id]
    assert held["profile"]["regions"] == "emea2"
    assert all(s.op == Op.SAME for s in engine.up(resources).steps), "converged"


def test_a_pending_resource_no_longer_declared_leaves_the_state_without_a_delete(tmp_path):
    org, engine, resources = failed_move(tmp_path)
    without = [r for r in resources if r.name != OWN_US]
    result = engine.up(without)
    assert result.ok
    step = next(s for s in result.steps if s.name == OWN_US)
    assert (step.op, step.status) == (Op.DELETE, Status.DONE)
    assert org.deletes == ["Own US"], "RemovePendingReplaceStep: no provider Delete"
    assert OWN_US not in engine.state


def test_a_pending_resource_is_replaced_even_without_a_diff():
    """``continueStepsFromDiff``: ``diff.Changes == DiffSome || old.PendingReplacement``."""
    org = OktaOrg(load_directory(DIRECTORY))
    org.seed_groups(["Salesforce Admins", "Everyone"])
    engine = Engine(org)
    resources = build_plan(EXAMPLE).resources
    assert engine.up(resources).ok
    state: ResourceState = engine.state[OWN_US]
    engine.state[OWN_US] = type(state)(**{**state.__dict__, "pending_replacement": True})
    org.delete_group_assignment(state.inputs["appId"], state.id)  # the delete-first half had run
    step = next(s for s in engine.preview(resources) if s.name == OWN_US)
    assert (step.op, step.paths) == (Op.REPLACE, [PENDING_REPLACEMENT])
    assert engine.up(resources).ok and org.apps[state.inputs["appId"]].group_assignments.get(state.id) is not None
