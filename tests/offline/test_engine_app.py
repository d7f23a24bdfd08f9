"""The app's Read and its full-PUT Update (``okta_app_auto_login``, issue 17.7;
``docs/provider-semantics.md`` row 29): what ``pulumi refresh`` reads back, what a plain
``pulumi up`` and ``pulumi up --refresh`` do about a label, a status or a setting changed in the
Admin Console, and what the update's ``PUT`` sends."""

from __future__ import annotations

from ownscim_infra.offline import provider
from ownscim_infra.offline.engine import Engine, ResourceState
from ownscim_infra.offline.plan import build_plan
from ownscim_infra.offline.steps import Op
from tests.conftest import example_variant
from tests.offline.example_applied import example_applied

#: Sign On > Application username format, set by hand: an argument the program does not declare
BY_HAND = {"credentials": {"userNameTemplate": {"template": "${source.email}"}}}


def app_of(engine: Engine) -> ResourceState:
    return next(s for s in engine.state.values() if s.type == provider.APP)


def changed(result) -> dict[str, list[str]]:
    return {s.name: s.paths for s in result.steps if s.op != Op.SAME}


def test_the_read_records_oktas_label_status_and_settings():
    engine, _ = example_applied()
    app = app_of(engine)
    engine.org.edit_app(app.id, label="Own (old)", status="INACTIVE", body=BY_HAND)
    read = provider.read(app.type, engine.org, app.id, app.outputs)
    assert read is not None
    assert (read["label"], read["status"], read["userNameTemplate"]) == ("Own (old)", "INACTIVE", "${source.email}")
    assert (read["hideIos"], read["hideWeb"], read["credentialsScheme"]) == (True, True, "EDIT_USERNAME_AND_PASSWORD")
    assert read["preconfiguredApp"] == "scim2headerauth", "not read back: the state's value stays"
    engine.org.delete_app(app.id)
    assert provider.read(app.type, engine.org, app.id, app.outputs) is None, "a 404 clears the id"


def test_a_label_changed_in_the_console_comes_back_only_with_refresh():
    engine, resources = example_applied()
    app = app_of(engine)
    engine.org.edit_app(app.id, label="Own (old)")
    plain = engine.up(resources)
    assert changed(plain) == {}, "a plain pulumi up diffs against the state, which still says 'Own'"
    assert engine.org.apps[app.id].label == "Own (old)"
    refreshed = engine.up(resources, refresh=True)
    assert changed(refreshed) == {app.name: ["label"]}
    assert engine.org.apps[app.id].label == "Own"
    assert changed(engine.up(resources)) == {}, "converged"


def test_a_deactivated_app_is_activated_again_by_refresh_with_no_put(monkeypatch):
    """``AppUpdateStatus``: a changed status is the lifecycle call; with nothing else changed the
    Update returns before ``buildAppAutoLogin``: no PUT."""
    engine, resources = example_applied()
    app = app_of(engine)
    engine.org.edit_app(app.id, status="INACTIVE")
    assert changed(engine.up(resources)) == {}
    assert engine.org.apps[app.id].status == "INACTIVE", "a plain pulumi up leaves it inactive"
    puts: list[str] = []
    monkeypatch.setattr(engine.org, "put_app", lambda app_id, body: puts.append(app_id))
    refreshed = engine.up(resources, refresh=True)
    assert changed(refreshed) == {app.name: ["status"]}
    assert engine.org.apps[app.id].status == "ACTIVE"
    assert puts == []
    assert changed(engine.up(resources)) == {}, "converged"


def test_refresh_and_the_full_put_reset_a_setting_the_config_does_not_declare():
    engine, resources = example_applied()
    app = app_of(engine)
    engine.org.edit_app(app.id, body=BY_HAND)
    assert changed(engine.up(resources)) == {}, "without a refresh the state holds the default"
    assert engine.org.get_app(app.id)["credentials"]["userNameTemplate"]["template"] == "${source.email}"
    refreshed = engine.up(resources, refresh=True)
    assert changed(refreshed) == {app.name: ["userNameTemplate"]}, "Okta's value against the provider's default"
    assert engine.org.get_app(app.id)["credentials"]["userNameTemplate"]["template"] == "${source.login}"
    assert changed(engine.up(resources)) == {}


def test_a_declared_change_puts_every_argument_and_resets_a_setting_made_by_hand(tmp_path):
    """The update is a full PUT (``buildAppAutoLogin`` -> ``updateAppByID``): a label change in the
    config, with no refresh, also sends the undeclared username format as its default."""
    engine, _ = example_applied()
    app = app_of(engine)
    engine.org.edit_app(app.id, body=BY_HAND)
    renamed = build_plan(example_variant(tmp_path, lambda d: d["app"].update(label="Own SCIM"))).resources
    assert changed(engine.up(renamed)) == {app.name: ["label"]}
    held = engine.org.get_app(app.id)
    assert held["label"] == "Own SCIM"
    assert held["credentials"]["userNameTemplate"]["template"] == "${source.login}", "reset by the PUT"
    assert held["visibility"]["hide"] == {"iOS": True, "web": True}, "the declared arguments sent again"
    assert held["status"] == "ACTIVE"


def test_the_create_sends_every_argument_and_activates():
    engine, _ = example_applied()
    held = engine.org.get_app(app_of(engine).id)
    assert held["status"] == "ACTIVE" and held["name"] == "scim2headerauth"
    assert held["visibility"]["hide"] == {"iOS": True, "web": True}
    assert held["credentials"]["scheme"] == "EDIT_USERNAME_AND_PASSWORD"
    assert held["credentials"]["userNameTemplate"] == {
        "template": "${source.login}",
        "type": "BUILT_IN",
        "suffix": "",
        "pushStatus": "",
    }
