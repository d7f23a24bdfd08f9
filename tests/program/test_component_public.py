"""The component under Pulumi's public testing API only: ``pulumi.runtime.set_mocks`` and
``@pulumi.runtime.test`` (Pulumi's "Unit testing" guide, examples/testing-unit-py).

The rest of the suite runs the program through :mod:`ownscim_infra.offline.mocks`, which also
records what the engine receives through Pulumi's mock monitor (a private part of the SDK).
This test needs nothing private: if a Pulumi release changes the runtime's internals, it
still says whether the component declares Own's setup correctly. To run it alone::

    .venv/bin/python -m pytest tests/program/test_component_public.py
"""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi

from ownscim_infra.config import load_config, parse_config
from ownscim_infra.program.component import OwnScimProvisioning
from tests.conftest import EXAMPLE, KNOWN_TOKEN, example_data


class Mocks(pulumi.runtime.Mocks):
    """Every resource's state is its inputs; the Okta lookups answer an id derived from the
    login or name."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "okta:user/getUsers:getUsers":
            logins = [search["value"] for search in args.args["searches"]]
            return {"users": [{"id": f"user-{login}", "login": login} for login in logins]}, []
        assert args.token == "okta:index/getGroups:getGroups"
        names = re.findall(r'profile\.name eq "([^"]*)"', args.args["search"])
        return {"groups": [{"id": f"group-{name}", "name": name, "type": "OKTA_GROUP"} for name in names]}, []


def _component() -> OwnScimProvisioning:
    """config/example.yaml, set up through Okta's API (``provisioning: api``)."""
    pulumi.runtime.set_mocks(Mocks(), preview=False)
    config = parse_config(example_data("api"))
    return OwnScimProvisioning("own-scim", config=config, scim_token=pulumi.Output.secret(KNOWN_TOKEN))


@pulumi.runtime.test
def test_provisioning_is_create_and_deactivate_only() -> pulumi.Output:
    component = _component()
    assert component.features is not None

    def check(capabilities: dict[str, Any]) -> None:
        assert capabilities["create"]["lifecycle_create"]["status"] == "ENABLED"
        assert capabilities["update"]["lifecycle_deactivate"]["status"] == "ENABLED"
        assert capabilities["update"]["profile"]["status"] == "DISABLED"  # Update User Attributes: never
        assert capabilities["update"]["password"]["status"] == "DISABLED"

    return component.features.capabilities.apply(check)


@pulumi.runtime.test
def test_regions_attribute_has_own_namespace() -> pulumi.Output:
    attribute = _component().regions_attribute
    assert attribute is not None

    def check(values: list[Any]) -> None:
        assert values == ["regions", "regions", "urn:ietf:params:scim:schemas:core:2.0", "NONE", "string"]

    return pulumi.Output.all(
        attribute.index, attribute.external_name, attribute.external_namespace, attribute.scope, attribute.type
    ).apply(check)


@pulumi.runtime.test
def test_group_priorities_follow_the_config_order() -> pulumi.Output:
    assignments = _component().group_assignments
    names = [g.name for g in load_config(EXAMPLE).groups]
    assert list(assignments) == names

    def check(values: list[Any]) -> None:
        priorities, profiles = values[: len(names)], values[len(names) :]
        assert priorities == [1, 2, 3, 4, 5, 6]  # the config's order; never 0, which the provider would not send
        assert json.loads(profiles[1]) == {"regions": "emea2,uk1"}  # Own EMEA, Own's comma-separated form

    return pulumi.Output.all(
        *(a.priority for a in assignments.values()), *(a.profile for a in assignments.values())
    ).apply(check)


@pulumi.runtime.test
def test_the_scim_token_is_a_secret() -> Any:
    connection = _component().connection
    assert connection is not None

    async def check() -> None:
        assert await connection.profile.is_secret()

    return check()
