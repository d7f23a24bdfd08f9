"""Okta's provisioning during a ``pulumi up`` is incremental: after each step only the users the
step can have changed are looked at again. It must send Own exactly what comparing every user
after every step sends, in the same order, whatever the change.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from ownscim_infra.config.directory import load_directory
from ownscim_infra.offline import provider
from ownscim_infra.offline.okta_org import OktaOrg
from ownscim_infra.offline.okta_provisioning import Provisioner, ResolvedAssignment
from ownscim_infra.offline.plan import build_plan
from ownscim_infra.offline.rollout import Rollout, deactivation_cause
from ownscim_infra.offline.steps import Op, Step
from tests.conftest import EXAMPLE, REPO, example_data

DIRECTORY = REPO / "config" / "example-directory.yaml"


class RecordingClient:
    """Own as Okta's SCIM client sees it, without HTTP: every request in ``sent``."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.sent: list[tuple[str, ...]] = []
        self.exchanges: list[Any] = []  # no HTTP: no exchange

    def find(self, login: str) -> dict[str, Any] | None:
        self.sent.append(("find", login))
        return self.users.get(login.lower())

    def create(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        self.sent.append(("create", login, str(body.get("regions"))))
        self.users[login.lower()] = {"id": login.lower(), "active": True}
        return self.users[login.lower()]

    def set_active(self, login: str, user_id: str, active: bool) -> bool:
        self.sent.append(("active", login, str(active)))
        self.users[user_id]["active"] = active
        return True

    def push_profile(self, login: str, user_id: str, body: dict[str, Any]) -> bool:
        self.sent.append(("push", login, str(body.get("regions"))))
        return True


class EveryUser(Rollout):
    """The provisioning of before: every user resolved and compared after every step."""

    def __init__(self, org: OktaOrg, provisioner: Provisioner) -> None:
        super().__init__(org, provisioner)
        self._before: Any = None

    def _sync(self) -> None:
        self.org.take_changes()
        after = (self.app(), self.org.directory)
        self.provisioner.sync(self._before, after)
        self._before = after


def what_okta_sends(rollout_type: type[Rollout], runs: list[tuple[Any, Any]]) -> dict[str, Any]:
    org = OktaOrg(runs[0][1])
    org.seed_groups(["Salesforce Admins", "Everyone"])
    client = RecordingClient()
    provisioner = Provisioner(client)  # type: ignore[arg-type]
    rollout = rollout_type(org, provisioner)
    steps = []
    for plan, directory in runs:
        after = directory if directory is not org.directory else None
        run = rollout.up(plan.resources, plan.config, directory_after=after)
        steps.append([(s.name, s.op, s.status) for s in run.result.steps])
    return {
        "requests": client.sent,
        "steps": steps,
        "events": [(e.kind, e.login, e.why, e.regions, e.ok, e.run) for e in provisioner.events],
        "now": rollout.users(),
    }


def changed(data: dict[str, Any], how: str) -> dict[str, Any]:
    data = copy.deepcopy(data)
    if how == "region move":
        data["groups"][1]["regions"] = ["uk1"]
        data["people"][1]["regions"] = ["us1"]
    elif how == "new group first":
        data["groups"].insert(0, {"name": "Own APAC", "regions": ["uk1"]})
    elif how == "group removed":
        del data["groups"][2]
    elif how == "priorities swapped":
        data["groups"][0], data["groups"][1] = data["groups"][1], data["groups"][0]
    elif how == "renamed without key":
        data["groups"][1]["name"] = "Own Europe"
    elif how == "renamed with key":
        data["groups"][1].update(name="Own Europe", key="own-emea")
    elif how == "person removed":
        data["people"] = data["people"][1:]
    elif how == "attribute on later":
        data["app"].pop("manual_steps_done")
    return data


CHANGES = [
    "region move",
    "new group first",
    "group removed",
    "priorities swapped",
    "renamed without key",
    "renamed with key",
    "person removed",
    "attribute on later",
]


@pytest.mark.parametrize("how", CHANGES)
def test_incremental_provisioning_sends_what_comparing_everyone_sends(tmp_path, how):
    directory = load_directory(DIRECTORY)
    moved = yaml.safe_load(DIRECTORY.read_text())
    moved["users"] = moved["users"][1:] + [
        {"login": "new.person@example.com", "first_name": "New", "last_name": "Person", "groups": ["Own APAC"]}
    ]
    moved["users"][0]["groups"] = ["Own US", "Own Europe"]
    later = tmp_path / "directory.yaml"
    later.write_text(yaml.safe_dump(moved))
    new_config = tmp_path / "config.yaml"
    new_config.write_text(yaml.safe_dump(changed(example_data(), how)))
    first, second = build_plan(EXAMPLE), build_plan(new_config)
    if how == "attribute on later":
        first, second = second, first
    runs = [(first, directory), (second, directory), (second, load_directory(later)), (first, directory)]
    incremental = what_okta_sends(Rollout, runs)
    assert incremental == what_okta_sends(EveryUser, runs)
    assert incremental["requests"]  # something was provisioned


@pytest.mark.parametrize(
    ("step", "group", "cause"),
    [
        (
            Step("own-scim-group-assignment-own-us", provider.GROUP_ASSIGNMENT, Op.DELETE),
            "Own US",
            "group assignment 'Own US' was removed",
        ),
        (
            Step("own-scim-group-assignment-own-us", provider.GROUP_ASSIGNMENT, Op.REPLACE),
            "Own US",
            "group assignment 'Own US' was deleted to be replaced",
        ),
        (Step("own-scim-group-own-us", provider.GROUP, Op.DELETE), "Own US", "group 'Own US' was deleted"),
        (
            Step("own-scim-group-members-own-us", provider.GROUP_MEMBERSHIPS, Op.UPDATE),
            "Own US",
            "removed from group 'Own US' (by own-scim-group-members-own-us)",
        ),
        (None, "Own US", "removed from group 'Own US' (a membership change in Okta)"),
        (
            Step("own-scim-user-ann@example.com", provider.APP_USER, Op.DELETE),
            None,
            "the direct assignment was removed",
        ),
        (Step("own-scim-app", provider.APP, Op.DELETE), "Own US", "the app was removed"),
    ],
)
def test_a_deactivation_names_the_step_and_the_assignment_that_went(step, group, cause):
    """Issue 22.7: what unassigned a user, from the step that ran and the assignment they had."""
    via = "direct" if group is None else f"group {group} (priority 1)"
    was = ResolvedAssignment("ann@example.com", via, {}, "r", group=group)
    assert deactivation_cause(step, was) == cause
