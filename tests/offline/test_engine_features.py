"""``okta_app_features`` as terraform-provider-okta v6.12.0 applies it
(``resource_okta_app_features.go``): Create and Update PUT the capabilities only
(``buildUpdateAppFeature`` never sends ``status``) and store Okta's answer
(``updateAppFeatureState``), with no Read after (issue 17)."""

from __future__ import annotations

import copy

from ownscim_infra.config.directory import load_directory
from ownscim_infra.offline.engine import Engine
from ownscim_infra.offline.okta_org import OktaOrg
from ownscim_infra.offline.plan import build_plan
from ownscim_infra.offline.steps import Status
from tests.conftest import REPO

DIRECTORY = REPO / "config" / "example-directory.yaml"
FEATURES = "own-scim-features"


def engine() -> Engine:
    org = OktaOrg(load_directory(DIRECTORY))
    org.seed_groups(["Salesforce Admins", "Everyone"])
    return Engine(org)


def test_the_declared_status_is_never_sent_and_a_value_okta_does_not_answer_fails_the_step(api_example):
    resources = copy.deepcopy(build_plan(api_example).resources)
    next(r for r in resources if r.name == FEATURES).inputs["status"] = "DISABLED"
    run = engine()
    result = run.up(resources)
    step = next(s for s in result.steps if s.name == FEATURES)
    assert step.status == Status.FAILED
    assert "Provider produced inconsistent result after apply: .status" in (step.error or "")
    app = run.org.apps[next(s.id for s in run.state.values() if s.name == "own-scim-app")]
    assert app.feature_status == "ENABLED", "Okta keeps its own status: the provider did not send DISABLED"
    assert app.capabilities is not None and app.capabilities["lifecycleCreate"] == "ENABLED"


def test_the_state_is_okta_s_answer_to_the_put(api_example):
    run = engine()
    assert run.up(build_plan(api_example).resources).ok
    assert run.state[FEATURES].outputs["status"] == "ENABLED"
