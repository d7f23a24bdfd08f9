"""The example config applied by the emulated engine to an org seeded with the example
directory: the starting point of the engine tests that change something afterwards."""

from __future__ import annotations

from ownscim_infra.config.directory import load_directory
from ownscim_infra.offline.engine import Engine
from ownscim_infra.offline.mocks import Registration
from ownscim_infra.offline.okta_org import OktaOrg
from ownscim_infra.offline.plan import build_plan
from tests.conftest import EXAMPLE, REPO

DIRECTORY = REPO / "config" / "example-directory.yaml"


def example_applied() -> tuple[Engine, list[Registration]]:
    """``(engine, resources)``: a first ``pulumi up`` of the example, asserted to succeed, on an
    org holding the example directory and its existing groups (Salesforce Admins, Everyone)."""
    org = OktaOrg(load_directory(DIRECTORY))
    org.seed_groups(["Salesforce Admins", "Everyone"])
    engine = Engine(org)
    resources = build_plan(EXAMPLE).resources
    assert engine.up(resources).ok
    return engine, resources
