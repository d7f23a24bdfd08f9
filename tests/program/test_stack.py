"""The stack program against its own last run (issue 17.6): what a config may not do
silently to a stack, judged on the outputs the stack's last ``pulumi up`` left."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from ownscim_infra.config import load_config
from ownscim_infra.domain import naming
from ownscim_infra.domain.regions import RecordedRegions
from ownscim_infra.offline.mocks import OfflineMocks, RecordingMonitor
from ownscim_infra.program.component import ATTRIBUTE_GUARD_HOOK, REGIONS_OUTPUT
from ownscim_infra.program.stack import ADOPTED_APP_ENV, PREVIOUS_RUN, previous_run_problems, recorded_regions
from tests.conftest import EXAMPLE, example_data, run_config

ATTR = "okta:index/appUserSchemaProperty:AppUserSchemaProperty"
GASSIGN = "okta:app/groupAssignment:GroupAssignment"
UASSIGN = "okta:app/user:User"


class StackWithOutputs(OfflineMocks):
    """The engine's answer to the stack's read of itself: ``outputs`` as its last run left
    them (the builtin provider's ``readStackReference``: ``name``, ``outputs``,
    ``secretOutputNames``). Records the stack name asked for."""

    def __init__(self, outputs: dict[str, Any]) -> None:
        super().__init__()
        self.outputs = outputs
        self.asked: list[tuple[str, str]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        if args.typ == "pulumi:pulumi:StackReference":
            self.asked.append((args.name, args.inputs["name"]))
            return args.inputs["name"], {"name": args.inputs["name"], "outputs": self.outputs, "secretOutputNames": []}
        return super().new_resource(args)


@pytest.fixture(scope="module")
def api_outputs(api_example) -> dict[str, Any]:
    """What an `api` stack outputs after its `pulumi up` (the example: 6 groups, 2 people)."""
    outputs = run_config(api_example).outputs
    return {**outputs, "appId": "0oa1abcd2EFGH3ijk4x7", "connectionStatus": "ENABLED"}


def test_the_copied_example_is_refused_on_a_new_stack(monkeypatch):
    """The example ships manual_steps_done: true (a stack that has done the steps); copied
    for a first run it would declare the attribute before provisioning is on."""
    monkeypatch.delenv(ADOPTED_APP_ENV, raising=False)
    assert load_config(EXAMPLE).app.manual_steps_done is True
    mocks = StackWithOutputs({})  # a new stack: no outputs yet
    with pytest.raises(pulumi.RunError) as info:
        run_config(EXAMPLE, token=None, mocks=mocks)
    message = str(info.value)
    assert message.startswith(f"{EXAMPLE}: app.manual_steps_done: true on a stack that has not created the app yet")
    assert "Nothing was changed" in message and "pulumi stack output manualSteps" in message
    assert f"{ADOPTED_APP_ENV}=1 pulumi up" in message
    # the stack reads itself, by its full name, under one logical name
    assert mocks.asked == [(PREVIOUS_RUN, "ownscim/offline")]


def test_the_first_run_without_the_flag_then_the_second_with_it(monkeypatch, write_config):
    monkeypatch.delenv(ADOPTED_APP_ENV, raising=False)
    first = example_data()
    first["app"].pop("manual_steps_done")
    run = run_config(write_config(first), token=None, mocks=StackWithOutputs({}))
    assert "appId" in run.outputs and not [r for r in run.registrations if r.type in (ATTR, GASSIGN, UASSIGN)]
    after_first = {**run.outputs, "appId": "0oa1abcd2EFGH3ijk4x7"}
    second = run_config(EXAMPLE, token=None, mocks=StackWithOutputs(after_first))
    assert [r.type for r in second.registrations].count(UASSIGN) == 2


def test_an_adopted_app_may_have_its_steps_done_before_the_first_run(monkeypatch):
    monkeypatch.setenv(ADOPTED_APP_ENV, "1")
    run = run_config(EXAMPLE, token=None, mocks=StackWithOutputs({}))
    assert [r.type for r in run.registrations].count(GASSIGN) == 6  # the example's six groups


def test_switching_api_to_manual_without_the_steps_is_refused(api_outputs, write_config):
    """The README's advice when Okta answers UNKNOWN: without manual_steps_done every
    assignment would be deleted (everyone deactivated in Own), then the attribute's hook fails."""
    data = example_data()
    data["app"].pop("manual_steps_done")  # provisioning: manual, the steps not confirmed
    path = write_config(data)
    with pytest.raises(pulumi.RunError) as info:
        run_config(path, token=None, mocks=StackWithOutputs(api_outputs))
    message = str(info.value)
    assert message.startswith(
        f"{path}: app.provisioning: manual without app.manual_steps_done: true would unassign the 6 group(s) "
        "and 2 person(s) this stack assigned"
    )
    assert "set app.manual_steps_done: true" in message and "remove the groups and people" in message


def test_switching_api_to_manual_with_the_steps_keeps_every_assignment(api_outputs):
    run = run_config(EXAMPLE, token=None, mocks=StackWithOutputs(api_outputs))  # manual, steps done
    types = [r.type for r in run.registrations]
    assert types.count(GASSIGN) == 6 and types.count(UASSIGN) == 2 and types.count(ATTR) == 1


def test_unassigning_everyone_on_purpose_is_explicit(api_outputs, write_config):
    data = example_data()
    data["app"].pop("manual_steps_done")
    data["groups"], data["people"] = [], []
    run = run_config(write_config(data), token=None, mocks=StackWithOutputs(api_outputs))
    assert not [r for r in run.registrations if r.type in (GASSIGN, UASSIGN)]


def test_the_attribute_guard_is_registered_when_the_attribute_is_not_declared(monkeypatch, api_outputs, write_config):
    """A stack that held the attribute and no longer declares it: the engine runs the removed
    attribute's delete hook by name, which must be registered (else "not registered")."""
    registered: list[str] = []
    real = RecordingMonitor.RegisterResourceHook

    def register_hook(self, request):
        registered.append(request.name)
        return real(self, request)

    monkeypatch.setattr(RecordingMonitor, "RegisterResourceHook", register_hook)
    data = example_data()
    data["app"].pop("manual_steps_done")
    data["groups"], data["people"] = [], []
    run = run_config(write_config(data), token=None, mocks=StackWithOutputs(api_outputs))
    assert not [r for r in run.registrations if r.type == ATTR]
    assert ATTRIBUTE_GUARD_HOOK in registered


@pytest.mark.parametrize(
    ("previous", "steps_done", "expected"),
    [
        (None, True, 0),  # unknown (the offline runtime): nothing to judge
        ({}, True, 1),  # a new stack
        ({}, False, 0),
        ({"appId": "0oa1", "regionsByGroup": {}, "peopleCount": 0}, False, 0),  # manual, before the steps
        ({"appId": "0oa1", "regionsByGroup": {"Own US": "us1"}, "peopleCount": 0}, False, 1),
        ({"appId": "0oa1", "regionsByGroup": {}, "peopleCount": 3}, False, 1),
        ({"appId": "0oa1", "regionsByGroup": {"Own US": "us1"}, "peopleCount": 3}, True, 0),
    ],
)
def test_previous_run_problems(monkeypatch, previous, steps_done, expected):
    monkeypatch.delenv(ADOPTED_APP_ENV, raising=False)
    config = load_config(EXAMPLE)
    config = config.model_copy(update={"app": config.app.model_copy(update={"manual_steps_done": steps_done})})
    assert len(previous_run_problems(config, previous, Path("c.yaml"))) == expected


def test_the_offline_runtime_reads_no_previous_run():
    """Under the plain offline mocks the stack's outputs are unknown: nothing is refused, and
    the read is no registered resource (plans and goldens are unchanged)."""
    run = run_config(EXAMPLE, token=None)
    assert PREVIOUS_RUN not in [r.name for r in run.registrations]
    assert naming.COMPONENT in [r.name for r in run.registrations]


# --------------------------------------------------------------------------- the regions texts it recorded (issue 21.5)


def _declared(run) -> dict[str, str]:
    """Each assignment's declared ``regions`` text and replacement trigger (they are one)."""
    found = {}
    for r in run.registrations:
        if r.type in (GASSIGN, UASSIGN):
            assert r.options["replacementTrigger"] == r.inputs["profile"]
            found[r.name] = json.loads(r.inputs["profile"]).get("regions")
    return found


def test_the_program_keeps_the_text_its_last_run_recorded_for_the_same_regions(write_config):
    data = example_data()
    data["groups"][0]["regions"] = ["uk1", "us1", "emea2"]  # Own Admins Global, reordered
    outputs = {**run_config(EXAMPLE).outputs, "appId": "0oa1abcd2EFGH3ijk4x7"}
    recorded = outputs[REGIONS_OUTPUT]["own-scim-group-assignment-own-admins-global"]
    run = run_config(write_config(data), mocks=StackWithOutputs(outputs))
    assert _declared(run)["own-scim-group-assignment-own-admins-global"] == recorded
    assert run.outputs[REGIONS_OUTPUT] == outputs[REGIONS_OUTPUT]  # and outputs it again


def test_on_a_stack_of_before_the_program_declares_what_that_version_recorded(write_config):
    """A stack whose last run had no ``regionsByAssignment`` output (the program of before):
    its values are in the config's written order, and its ``regionsByGroup`` has the groups'."""
    data = example_data()
    data["people"][0]["regions"] = ["uk1", "emea2"]  # dana.lee
    before = {k: v for k, v in run_config(EXAMPLE).outputs.items() if k != REGIONS_OUTPUT}
    before |= {"appId": "0oa1abcd2EFGH3ijk4x7", "regionsByGroup": {"Own Admins Global": "us1,emea2,uk1"}}
    data["groups"][0]["regions"] = ["uk1", "emea2", "us1"]  # reordered in the upgrade's own change
    declared = _declared(run_config(write_config(data), mocks=StackWithOutputs(before)))
    assert declared["own-scim-group-assignment-own-admins-global"] == "us1,emea2,uk1"  # regionsByGroup's
    assert declared["own-scim-user-dana.lee@example.com"] == "uk1,emea2"  # the written order
    assert declared["own-scim-group-assignment-own-emea"] == "emea2,uk1"


def test_recorded_regions_reads_only_texts():
    assert recorded_regions(None) == RecordedRegions() == recorded_regions({})
    got = recorded_regions({REGIONS_OUTPUT: {"a": "us1", "b": 3}, "regionsByGroup": {"G": "us1"}})
    assert got == RecordedRegions(by_assignment={"a": "us1"})
    assert recorded_regions({"appId": "x", "regionsByGroup": {"G": "us1", "H": None}}) == RecordedRegions(
        by_group={"G": "us1"}, from_before=True
    )
