"""The CrossGuard policy pack (policy/): fed the resources the program declares (the offline
plan's, as Pulumi's analyzer receives them), it finds nothing; fed a plan that breaks one of
Own's rules, the policy of that rule, and only it, refuses."""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
)

from ownscim_infra.domain import own_setup
from ownscim_infra.offline.plan import build_plan, render_json
from tests.conftest import EXAMPLE, REPO, example_data

spec = importlib.util.spec_from_file_location("ownscim_policy", REPO / "policy" / "ownscim_policy.py")
assert spec and spec.loader
policy = importlib.util.module_from_spec(spec)
spec.loader.exec_module(policy)

Resource = dict[str, Any]


def declared(path) -> list[Resource]:
    """The offline plan's declared resources (``plan --format json``)."""
    return json.loads(render_json(build_plan(path)))["resources"]


@pytest.fixture(scope="module")
def api_plan(tmp_path_factory) -> list[Resource]:
    path = tmp_path_factory.mktemp("policy") / "api.yaml"
    path.write_text(yaml.safe_dump(example_data("api"), sort_keys=False))
    return declared(path)


def stack(resources: list[Resource]) -> StackValidationArgs:
    """The resources as the analyzer hands them to a stack policy."""
    converted = []
    for r in resources:
        urn = f"urn:pulumi:test::ownscim::{r['type']}::{r['name']}"
        options = PolicyResourceOptions(
            protect=bool(r["options"].get("protect")),
            ignore_changes=list(r["options"].get("ignoreChanges", [])),
            delete_before_replace=r["options"].get("deleteBeforeReplace"),
            aliases=[],
            custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
            additional_secret_outputs=[],
        )
        converted.append(PolicyResource(r["type"], r["inputs"], urn, r["name"], options, None, None, [], {}))
    return StackValidationArgs(converted)


def violations(resources: list[Resource]) -> dict[str, list[str]]:
    """policy name -> the violations it reports."""
    found: dict[str, list[str]] = {}
    for p in policy.POLICIES:
        messages: list[str] = []
        p.validate(stack(resources), lambda message, urn=None, messages=messages: messages.append(message))
        if messages:
            found[p.name] = messages
    return found


def test_the_constants_are_own_setups():
    assert policy.CATALOG_APP == own_setup.CATALOG_APP
    assert policy.FEATURE == own_setup.FEATURE
    assert policy.REGIONS_ATTRIBUTE == own_setup.REGIONS_ATTRIBUTE
    assert policy.REGIONS_NAMESPACE == own_setup.REGIONS_NAMESPACE


def test_every_policy_is_mandatory_and_the_pack_runs_them_all():
    assert {p.name for p in policy.POLICIES} == {
        "own-catalog-app",
        "own-create-and-deactivate",
        "own-no-update-user-attributes",
        "own-no-push-groups",
        "own-regions-attribute",
        "own-group-priorities",
    }
    assert all(p.enforcement_level == EnforcementLevel.MANDATORY for p in policy.POLICIES)
    main = (REPO / "policy" / "__main__.py").read_text()
    assert "policies=POLICIES" in main and "EnforcementLevel.MANDATORY" in main


def test_the_programs_plans_pass(api_plan):
    assert violations(api_plan) == {}
    assert violations(declared(EXAMPLE)) == {}  # provisioning: manual (no features resource)


def edit(
    resources: list[Resource], type_token: str, change: Callable[[Resource], None], nth: int = 0
) -> list[Resource]:
    broken = copy.deepcopy(resources)
    change([r for r in broken if r["type"] == type_token][nth])
    return broken


FEATURES = "okta:app/features:Features"
ATTRIBUTE = "okta:index/appUserSchemaProperty:AppUserSchemaProperty"
ASSIGNMENT = "okta:app/groupAssignment:GroupAssignment"


def capability(path: tuple[str, str], status: str) -> Callable[[Resource], None]:
    def change(r: Resource) -> None:
        r["inputs"]["capabilities"][path[0]][path[1]]["status"] = status

    return change


BROKEN = {
    "another catalog app": (
        "okta:app/autoLogin:AutoLogin",
        lambda r: r["inputs"].update(preconfiguredApp="scim2bearertoken"),
        "own-catalog-app",
        "preconfiguredApp",
    ),
    "Create Users off": (
        FEATURES,
        capability(("create", "lifecycleCreate"), "DISABLED"),
        "own-create-and-deactivate",
        "Create Users",
    ),
    "Deactivate Users off": (
        FEATURES,
        capability(("update", "lifecycleDeactivate"), "DISABLED"),
        "own-create-and-deactivate",
        "Deactivate Users",
    ),
    "Update User Attributes on": (
        FEATURES,
        capability(("update", "profile"), "ENABLED"),
        "own-no-update-user-attributes",
        "Update User Attributes",
    ),
    "regions in another namespace": (
        ATTRIBUTE,
        lambda r: r["inputs"].update(externalNamespace="urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
        "own-regions-attribute",
        "externalNamespace",
    ),
    "regions under another external name": (
        ATTRIBUTE,
        lambda r: r["inputs"].update(externalName="region"),
        "own-regions-attribute",
        "externalName",
    ),
    "regions attribute unprotected": (
        ATTRIBUTE,
        lambda r: r["options"].update(protect=False),
        "own-regions-attribute",
        "not protected",
    ),
    "priority 0": (ASSIGNMENT, lambda r: r["inputs"].update(priority=0), "own-group-priorities", "priority is 0"),
    "no priority": (ASSIGNMENT, lambda r: r["inputs"].pop("priority"), "own-group-priorities", "priority is None"),
    "two groups with one priority": (
        ASSIGNMENT,
        lambda r: r["inputs"].update(priority=2),
        "own-group-priorities",
        "priority 2 is also",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_plan_that_breaks_a_rule_is_refused_by_that_policy_only(api_plan, case):
    type_token, change, name, words = BROKEN[case]
    found = violations(edit(api_plan, type_token, change))
    assert list(found) == [name], found
    assert any(words in message for message in found[name]), found


def test_push_groups_are_refused(api_plan):
    push_feature = {
        "type": FEATURES,
        "name": "own-scim-group-push",
        "inputs": {"appId": "app", "name": "GROUP_PUSH", "status": "ENABLED"},
        "options": {},
    }
    push_group = {
        "type": "okta:index/pushGroup:PushGroup",
        "name": "push-own-us",
        "inputs": {"appId": "app", "sourceGroupId": "g"},
        "options": {},
    }
    found = violations([*api_plan, push_feature, push_group])
    assert list(found) == ["own-no-push-groups"] and len(found["own-no-push-groups"]) == 2
