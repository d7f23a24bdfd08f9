"""The engine runs the program's ``before_delete`` hooks as pulumi/pulumi does
(``pkg/resource/deploy/step.go``, ``(*DeleteStep).Apply``: ``RunHooks`` first, then the
``protect`` check; ``deployment.go``, ``(*Deployment).RunHooks``: skipped in a dry run):
the app's guard (``ownscim-app-guard``) as well as the attribute's (issue 17)."""

from __future__ import annotations

import pytest
import yaml

from ownscim_infra.offline import provider
from ownscim_infra.offline.simulate import simulate
from ownscim_infra.offline.steps import Op, Status
from ownscim_infra.program.component import ALLOW_APP_DELETE_ENV, ALLOW_ATTRIBUTE_DELETE_ENV
from tests.conftest import REPO, example_data
from tests.offline.example_applied import example_applied as applied

DIRECTORY = REPO / "config" / "example-directory.yaml"
APP = "own-scim-app"
ATTRIBUTE = "own-scim-regions-attribute"


@pytest.fixture(autouse=True)
def no_release(monkeypatch):
    monkeypatch.delenv(ALLOW_APP_DELETE_ENV, raising=False)
    monkeypatch.delenv(ALLOW_ATTRIBUTE_DELETE_ENV, raising=False)


def test_replacing_the_app_is_refused_by_its_guard_and_the_old_app_stays():
    engine, resources = applied()
    old_app = engine.state[APP].id
    result = engine.up(resources, replace=[APP])
    assert result.failed is not None and result.failed.name == APP
    assert "refusing to delete the Okta app of Own" in (result.failed.error or "")
    assert ALLOW_APP_DELETE_ENV in (result.failed.error or "")
    assert old_app in engine.org.apps, "the hook stopped the delete: the app of before is still in Okta"


def test_with_its_variable_the_app_guard_lets_the_delete_through(monkeypatch):
    monkeypatch.setenv(ALLOW_APP_DELETE_ENV, "1")
    engine, resources = applied()
    old_app = engine.state[APP].id
    result = engine.up(resources, replace=[APP])
    assert result.ok
    assert old_app not in engine.org.apps


def test_a_plain_delete_runs_the_hook_before_the_protect_check(monkeypatch):
    engine, resources = applied()
    without = [r for r in resources if r.name != ATTRIBUTE]
    refused = engine.up(without)
    assert refused.failed is not None and refused.failed.name == ATTRIBUTE
    # the guard's procedure, not the engine's "protected": the hook ran first
    assert "protected" not in (refused.failed.error or "")
    assert ALLOW_ATTRIBUTE_DELETE_ENV in (refused.failed.error or "")
    monkeypatch.setenv(ALLOW_ATTRIBUTE_DELETE_ENV, "1")
    protected = engine.up(without)
    assert protected.failed is not None and "unable to delete protected resource" in (protected.failed.error or "")


def test_preview_runs_no_hook():
    engine, resources = applied()
    steps = engine.preview([r for r in resources if r.type != provider.APP])
    app = next(s for s in steps if s.name == APP)
    assert (app.op, app.status, app.error) == (Op.DELETE, Status.NOT_RUN, None)


def test_simulate_replace_of_the_app_shows_the_guards_refusal(tmp_path):
    data = example_data()  # without dana.lee, whose direct assignment Okta will not delete first (E0000046)
    data["people"] = [p for p in data["people"] if p["login"] != "dana.lee@example.com"]
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    report = simulate(config, DIRECTORY, previous=(config, DIRECTORY), replace=[APP])
    assert report.update_failed is not None and report.update_failed.name == APP
    assert "refusing to delete the Okta app of Own" in (report.update_failed.error or "")
    assert not report.ok
