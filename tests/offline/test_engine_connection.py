"""``okta_app_connection`` as terraform-provider-okta v6.12.0 runs it
(``resource_okta_app_connection.go``): Create sets ``status = "ENABLED"`` itself after
activating, only a Read (``pulumi refresh``) asks Okta; Create and Update store Okta's
``baseUrl`` and ``authScheme`` from the response (issue 17, item 2)."""

from __future__ import annotations

import re

from ownscim_infra.config.directory import load_directory
from ownscim_infra.offline.engine import Engine
from ownscim_infra.offline.okta_org import OktaOrg
from ownscim_infra.offline.plan import build_plan
from ownscim_infra.offline.steps import Op
from tests.conftest import REPO

DIRECTORY = REPO / "config" / "example-directory.yaml"
CONNECTION = "own-scim-connection"


def engine_on(*, connection_api: bool) -> Engine:
    org = OktaOrg(load_directory(DIRECTORY), connection_api=connection_api)
    org.seed_groups(["Salesforce Admins", "Everyone"])
    return Engine(org)


def test_connection_status_says_enabled_after_up_on_an_unknown_org_and_unknown_after_refresh(api_example):
    engine = engine_on(connection_api=False)
    engine.up(build_plan(api_example).resources)  # fails at the features, after the connection
    # the connectionStatus stack output is the connection's status: what the provider set
    assert engine.state[CONNECTION].outputs["status"] == "ENABLED"
    assert engine.org.connection_status(engine.state[CONNECTION].id) == "UNKNOWN"
    refreshed = engine.refresh()
    assert CONNECTION in refreshed.changed
    assert engine.state[CONNECTION].outputs["status"] == "UNKNOWN"


def test_on_an_unknown_org_the_connection_is_updated_on_every_run(api_example):
    engine = engine_on(connection_api=False)
    resources = build_plan(api_example).resources
    engine.up(resources)
    for _ in range(2):
        step = next(s for s in engine.up(resources).steps if s.name == CONNECTION)
        assert (step.op, sorted(step.paths)) == (Op.UPDATE, ["baseUrl", "profile"])
    # the state holds Okta's answer, not the declared values
    assert engine.state[CONNECTION].outputs["baseUrl"] == ""
    assert engine.state[CONNECTION].outputs["profile"]["authScheme"] == "UNKNOWN"


def test_where_okta_serves_the_connection_a_second_run_is_same(api_example):
    engine = engine_on(connection_api=True)
    resources = build_plan(api_example).resources
    assert engine.up(resources).ok
    assert engine.state[CONNECTION].outputs["status"] == "ENABLED"
    step = next(s for s in engine.up(resources).steps if s.name == CONNECTION)
    assert step.op == Op.SAME


def test_the_docs_check_connection_status_with_refresh_or_verify():
    """Each place that tells the user to check ``connectionStatus`` names a check that asks
    Okta: ``pulumi refresh`` first, or ``verify``."""
    for doc in (REPO / "README.md", REPO / "config" / "README.md", REPO / "docs" / "live-org.md"):
        for block in re.split(r"\n\s*\n|\n- ", doc.read_text()):
            paragraph = " ".join(block.split())
            if "connectionStatus" in paragraph and "after `pulumi up`" in paragraph:
                assert "pulumi refresh" in paragraph and "verify" in paragraph, (doc.name, paragraph)
