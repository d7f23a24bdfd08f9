"""The component under Pulumi's mock runtime: every resource, input, option and output."""

from __future__ import annotations

import json
import re

import pulumi
import pytest

from ownscim_infra.domain import naming
from ownscim_infra.offline.mocks import Registration
from ownscim_infra.program.component import (
    ALLOW_APP_DELETE_ENV,
    ALLOW_ATTRIBUTE_DELETE_ENV,
    APP_GUARD_HOOK,
    ATTRIBUTE_GUARD_HOOK,
    MANUAL_CONFIRM,
    AppDeleteRefused,
    RegionsAttributeDeleteRefused,
    guard_app,
    guard_regions_attribute,
    manual_steps,
)
from ownscim_infra.program.lookups import searched_logins as lookups_of
from tests.conftest import EXAMPLE, KNOWN_TOKEN, example_data, run_config

APP = "okta:app/autoLogin:AutoLogin"
CONN = "okta:app/connection:Connection"
FEAT = "okta:app/features:Features"
ATTR = "okta:index/appUserSchemaProperty:AppUserSchemaProperty"
GROUP = "okta:group/group:Group"
GASSIGN = "okta:app/groupAssignment:GroupAssignment"
UASSIGN = "okta:app/user:User"


@pytest.fixture(scope="module")
def example_run(api_example):
    return run_config(api_example)


def by_name(run) -> dict[str, Registration]:
    return {r.name: r for r in run.registrations}


def of_type(run, typ) -> list[Registration]:
    return sorted((r for r in run.registrations if r.type == typ), key=lambda r: r.name)


def test_every_resource_is_a_child_of_one_component(example_run):
    regs = by_name(example_run)
    comp = regs[naming.COMPONENT]
    assert comp.type == "ownscim:okta:OwnScimProvisioning" and comp.parent is None and not comp.custom
    children = [r for r in example_run.registrations if r.name != naming.COMPONENT]
    assert children and all(r.parent == naming.COMPONENT for r in children)
    # 1 component + app + connection + features + attribute + 5 created groups + 1 group's
    # members + 1 group rule + 6 group assignments + 2 person assignments
    assert len(example_run.registrations) == 20


def test_app_is_the_header_auth_catalog_app(example_run):
    [app] = of_type(example_run, APP)
    assert app.name == naming.APP
    # deleting the app deactivates everyone in Own: guarded like the regions attribute
    assert app.options["beforeDeleteHooks"] == [APP_GUARD_HOOK]
    assert app.inputs == {
        "label": "Own",
        "preconfiguredApp": "scim2headerauth",
        "status": "ACTIVE",
        "hideWeb": True,
        "hideIos": True,
    }


def test_connection_has_url_activate_and_secret_token(example_run):
    [conn] = of_type(example_run, CONN)
    assert conn.name == naming.CONNECTION
    assert conn.inputs == {
        "idProperty": f"<id of {naming.APP}>",
        "baseUrl": "https://scim.us1.ownbackup.example/scim/v2",
        "action": "activate",
        "profile": {"authScheme": "TOKEN", "token": "[secret]"},
    }
    assert conn.options["dependsOn"] == [naming.APP]
    # the provider's Read sets action to "" when Okta reports the connection UNKNOWN
    assert conn.options["ignoreChanges"] == ["action"]


def test_features_create_and_deactivate_only(example_run):
    [feat] = of_type(example_run, FEAT)
    assert feat.inputs == {
        "appId": f"<id of {naming.APP}>",
        "name": "USER_PROVISIONING",
        "status": "ENABLED",
        "capabilities": {
            "create": {"lifecycleCreate": {"status": "ENABLED"}},
            "update": {
                "lifecycleDeactivate": {"status": "ENABLED"},
                "profile": {"status": "DISABLED"},
                "password": {"status": "DISABLED"},
            },
        },
    }
    assert naming.CONNECTION in feat.options["dependsOn"]


def test_regions_attribute_after_provisioning_and_protected(example_run):
    [attr] = of_type(example_run, ATTR)
    assert attr.name == naming.REGIONS_ATTRIBUTE
    i = attr.inputs
    assert (i["index"], i["title"], i["type"], i["externalName"], i["externalNamespace"], i["scope"]) == (
        "regions",
        "regions",
        "string",
        "regions",
        "urn:ietf:params:scim:schemas:core:2.0",
        "NONE",
    )
    assert i["appId"] == f"<id of {naming.APP}>"
    assert attr.options["protect"] is True
    # a replacement deletes first, so the guard hook stops it before anything changes in Okta
    assert attr.options["deleteBeforeReplace"] is True
    assert attr.options["beforeDeleteHooks"] == [ATTRIBUTE_GUARD_HOOK]
    assert {naming.CONNECTION, naming.FEATURES} <= set(attr.options["dependsOn"])


def hook_args():
    return pulumi.ResourceHookArgs(
        urn="urn:pulumi:s::ownscim::t::own-scim-regions-attribute",
        id="0oa1/regions",
        name=naming.REGIONS_ATTRIBUTE,
        type="okta:index/appUserSchemaProperty:AppUserSchemaProperty",
    )


def test_guard_hook_refuses_with_the_manual_procedure(monkeypatch):
    monkeypatch.delenv(ALLOW_ATTRIBUTE_DELETE_ENV, raising=False)
    with pytest.raises(RegionsAttributeDeleteRefused) as info:
        guard_regions_attribute(hook_args())
    message = str(info.value)
    assert message.startswith(f"refusing to delete the Okta app attribute 'regions' ({naming.REGIONS_ATTRIBUTE})")
    assert "pulumi stack output regionsByGroup" in message and "Profile Editor" in message
    assert f"{ALLOW_ATTRIBUTE_DELETE_ENV}=1 pulumi up" in message


def test_guard_hook_lets_a_deliberate_delete_through(monkeypatch):
    monkeypatch.setenv(ALLOW_ATTRIBUTE_DELETE_ENV, "1")
    assert guard_regions_attribute(hook_args()) is None


def app_hook_args():
    return pulumi.ResourceHookArgs(
        urn="urn:pulumi:s::ownscim::t::own-scim-app", id="0oa1", name=naming.APP, type="okta:app/autoLogin:AutoLogin"
    )


def test_app_guard_refuses_with_the_procedure_and_its_own_variable(monkeypatch):
    monkeypatch.delenv(ALLOW_APP_DELETE_ENV, raising=False)
    # the attribute's variable does not let the app go: each guard has its own
    monkeypatch.setenv(ALLOW_ATTRIBUTE_DELETE_ENV, "1")
    with pytest.raises(AppDeleteRefused) as info:
        guard_app(app_hook_args())
    message = str(info.value)
    assert message.startswith(f"refusing to delete the Okta app of Own ({naming.APP}, id 0oa1)")
    assert "deactivates every user in Own" in message and "Nothing was deleted" in message
    assert f"{ALLOW_APP_DELETE_ENV}=1 pulumi up" in message and "pulumi stack output regionsByGroup" in message
    assert ALLOW_APP_DELETE_ENV != ALLOW_ATTRIBUTE_DELETE_ENV


def test_app_guard_lets_a_deliberate_delete_through(monkeypatch):
    monkeypatch.setenv(ALLOW_APP_DELETE_ENV, "1")
    assert guard_app(app_hook_args()) is None


def test_groups_created_or_looked_up(example_run):
    groups = of_type(example_run, GROUP)
    assert [(g.name, g.inputs) for g in groups] == [
        (
            "own-scim-group-own-admins-global",
            {"name": "Own Admins Global", "description": "Backup administrators who work in every region"},
        ),
        ("own-scim-group-own-dach", {"name": "Own DACH", "description": "Listed here, reviewed like any change"}),
        ("own-scim-group-own-emea", {"name": "Own EMEA", "description": "EMEA Salesforce team"}),
        ("own-scim-group-own-france", {"name": "Own France", "description": "Everyone whose Okta country is France"}),
        ("own-scim-group-own-us", {"name": "Own US", "description": "US Salesforce team"}),
    ]
    lookups = [i for i in example_run.invocations if "getGroup" in i.token]
    assert [(i.token, i.args) for i in lookups] == [
        ("okta:index/getGroups:getGroups", {"search": 'type eq "OKTA_GROUP" and (profile.name eq "Salesforce Admins")'})
    ]


def test_group_assignments_priority_profile_and_replace(example_run):
    rows = sorted(
        (
            (a.inputs["priority"], a.inputs["groupId"], json.loads(a.inputs["profile"]), a.options, a.name)
            for a in of_type(example_run, GASSIGN)
        ),
        key=lambda r: r[0],
    )
    # never 0 (the provider would not send it): 1 for the first group
    assert [(p, g, prof) for p, g, prof, _, _ in rows] == [
        (1, "<id of own-scim-group-own-admins-global>", {"regions": "emea2,uk1,us1"}),
        (2, "<id of own-scim-group-own-emea>", {"regions": "emea2,uk1"}),
        (3, "<id of own-scim-group-own-us>", {"regions": "us1"}),
        (4, "<id of Okta group Salesforce Admins>", {"regions": "us1"}),
        (5, "<id of own-scim-group-own-dach>", {"regions": "emea2"}),
        (6, "<id of own-scim-group-own-france>", {"regions": "emea2"}),
    ]
    previous = None
    for _, _, profile, opts, name in rows:
        # replaced when the declared profile changes, never because of Okta's read-back
        assert opts["ignoreChanges"] == ["profile"] and opts["replaceOnChanges"] == []
        assert opts["replacementTrigger"] == json.dumps(profile) and opts["deleteBeforeReplace"] is True
        assert naming.REGIONS_ATTRIBUTE in opts["dependsOn"]
        # one after the other, in the config's order
        assert previous is None or previous in opts["dependsOn"]
        previous = name


def test_people_looked_up_by_login_and_assigned(example_run):
    users = of_type(example_run, UASSIGN)
    assert [(u.name, u.inputs["username"], u.inputs["userId"], json.loads(u.inputs["profile"])) for u in users] == [
        (
            "own-scim-user-dana.lee@example.com",
            "dana.lee@example.com",
            "<id of Okta user dana.lee@example.com>",
            {"regions": "emea2"},
        ),
        (
            "own-scim-user-sam.rivera@example.com",
            "sam.rivera@example.com",
            "<id of Okta user sam.rivera@example.com>",
            {},
        ),
    ]
    for u in users:
        # username: Okta's credentials.userName reads back (the app's username template), never a diff
        assert u.options["ignoreChanges"] == ["profile", "username"]
        assert u.options["replacementTrigger"] == u.inputs["profile"]
        # neither appId nor userId is ForceNew in resource_okta_app_user.go: both replace
        assert u.options["deleteBeforeReplace"] is True and u.options["replaceOnChanges"] == ["appId", "userId"]
        assert naming.REGIONS_ATTRIBUTE in u.options["dependsOn"]
    # one lookup for both people (no groups, no roles: no extra API call a user); the groups'
    # members are looked up in a call of their own
    lookups = [
        i
        for i in example_run.invocations
        if "getUser" in i.token and "mia.schmidt@example.com" not in lookups_of(i.args["searches"])
    ]
    assert [(i.token, i.args) for i in lookups] == [
        (
            "okta:user/getUsers:getUsers",
            {
                "searches": [
                    {"name": "profile.login", "value": "dana.lee@example.com", "comparison": "eq"},
                    {"name": "profile.login", "value": "sam.rivera@example.com", "comparison": "eq"},
                ],
                "compoundSearchOperator": "or",
            },
        )
    ]


def test_nothing_pushes_groups(example_run):
    assert not [r for r in example_run.registrations if "push" in r.type.lower()]


def test_outputs(example_run):
    assert example_run.outputs == {
        "appId": f"<id of {naming.APP}>",
        "appLabel": "Own",
        "scimBaseUrl": "https://scim.us1.ownbackup.example/scim/v2",
        "regionsByGroup": {
            "Own Admins Global": "us1,emea2,uk1",
            "Own EMEA": "emea2,uk1",
            "Own US": "us1",
            "Salesforce Admins": "us1",
            "Own DACH": "emea2",
            "Own France": "emea2",
        },
        "peopleCount": 2,
        # the text each assignment declared (a new stack: sorted), read back by the next run
        "regionsByAssignment": {
            "own-scim-group-assignment-own-admins-global": "emea2,uk1,us1",
            "own-scim-group-assignment-own-emea": "emea2,uk1",
            "own-scim-group-assignment-own-us": "us1",
            "own-scim-group-assignment-salesforce-admins": "us1",
            "own-scim-group-assignment-own-dach": "emea2",
            "own-scim-group-assignment-own-france": "emea2",
            "own-scim-user-dana.lee@example.com": "emea2",
        },
        "connectionStatus": "(known after pulumi up)",
    }


def test_token_never_in_clear(example_run):
    dump = json.dumps([r.__dict__ for r in example_run.registrations]) + json.dumps(example_run.outputs)
    assert KNOWN_TOKEN not in dump
    assert "[secret]" in dump


def test_manual_mode_before_steps_are_done(write_config):
    data = example_data()
    data["app"].pop("manual_steps_done")
    assert "provisioning" in data["app"]
    del data["app"]["provisioning"]  # manual is the default
    run = run_config(write_config(data), token=None)
    types = {r.type for r in run.registrations}
    assert CONN not in types and FEAT not in types
    # no attribute (Okta would drop its namespace) and no assignments yet; groups are fine
    assert ATTR not in types and GASSIGN not in types and UASSIGN not in types
    assert len(of_type(run, GROUP)) == 5
    steps = run.outputs["manualSteps"]
    assert steps == manual_steps("Own", "https://scim.us1.ownbackup.example/scim/v2") + [MANUAL_CONFIRM]
    assert "  Base URL: https://scim.us1.ownbackup.example/scim/v2" in steps
    assert "  Update User Attributes: disabled (Own does not support it)" in steps
    assert "connectionStatus" not in run.outputs
    assert run.outputs["regionsByGroup"] == {} and run.outputs["peopleCount"] == 0


def test_manual_mode_after_steps_are_done(write_config):
    data = example_data()
    data["app"]["provisioning"] = "manual"
    data["app"]["manual_steps_done"] = True
    run = run_config(write_config(data), token=None)
    types = [r.type for r in run.registrations]
    assert CONN not in types and FEAT not in types
    [attr] = of_type(run, ATTR)
    assert attr.options["dependsOn"] == [naming.APP]
    assert types.count(GASSIGN) == 6 and types.count(UASSIGN) == 2
    assert MANUAL_CONFIRM not in run.outputs["manualSteps"]
    assert len(run.outputs["regionsByGroup"]) == 6 and run.outputs["peopleCount"] == 2


def test_api_mode_without_token_stops_with_instructions(api_example):
    with pytest.raises(pulumi.RunError, match="pulumi config set --secret ownscim:scimToken"):
        run_config(api_example, token=None)


def test_manual_mode_needs_no_token():
    assert run_config(EXAMPLE, token=None).outputs["peopleCount"] == 2


def test_invalid_config_stops_with_every_problem(write_config):
    data = example_data()
    data["groups"][0]["regions"] = ["mars1"]
    data["app"]["scim_base_url"] = "http://own.example"
    path = write_config(data)
    with pytest.raises(pulumi.RunError) as info:
        run_config(path)
    text = str(info.value)
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: app\.scim_base_url:", text)
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: groups\[0\] \(Own Admins Global\)\.regions\[0\]:", text)


def test_config_path_defaults_to_stack_name(tmp_path, monkeypatch):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "offline.yaml").write_text(EXAMPLE.read_text())
    monkeypatch.chdir(tmp_path)
    from ownscim_infra.offline.mocks import run_program
    from ownscim_infra.program.stack import declare_stack

    run = run_program(
        declare_stack, config={"ownscim:scimToken": KNOWN_TOKEN}, secret_keys=["ownscim:scimToken"], stack="offline"
    )
    assert run.outputs["appLabel"] == "Own"


def test_region_change_changes_the_replacement_trigger(write_config):
    """Own's region move: the declared profile is the replacement trigger, with
    deleteBeforeReplace, so Pulumi unassigns (Okta deactivates in Own) before it assigns with
    the new value (tests/offline/test_engine.py runs it)."""
    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]
    run = run_config(write_config(data))
    [us] = [a for a in of_type(run, GASSIGN) if a.name == "own-scim-group-assignment-own-us"]
    assert json.loads(us.inputs["profile"]) == {"regions": "emea2"}
    assert us.options["replacementTrigger"] == '{"regions": "emea2"}' and us.options["deleteBeforeReplace"]


def test_a_group_key_keeps_the_resource_names_through_a_rename(write_config):
    data = example_data()
    data["groups"][1].update(name="Own Europe", key="own-emea")
    names = {r.name: r for r in run_config(write_config(data)).registrations}
    assert names["own-scim-group-own-emea"].inputs["name"] == "Own Europe"
    assert "own-scim-group-assignment-own-emea" in names


def test_child_names_derive_from_the_component_name():
    from ownscim_infra.config import load_config
    from ownscim_infra.offline.mocks import run_program
    from ownscim_infra.program.component import OwnScimProvisioning

    config = load_config(EXAMPLE)

    def two_components() -> dict:
        OwnScimProvisioning(naming.COMPONENT, config=config, scim_token=None)
        OwnScimProvisioning("own-scim-eu", config=config, scim_token=None)
        return {}

    run = run_program(two_components, config={}, secret_keys=[])
    names = [r.name for r in run.registrations]
    assert len(names) == len(set(names)) == 36  # 18 each, no two with the same name
    assert "own-scim-app" in names and "own-scim-eu-app" in names
    assert "own-scim-eu-group-assignment-own-emea" in names
    hooks = {r.name: r.options["beforeDeleteHooks"] for r in run.registrations if r.type in (ATTR, APP)}
    assert hooks == {
        "own-scim-regions-attribute": [ATTRIBUTE_GUARD_HOOK],
        "own-scim-eu-regions-attribute": [f"{ATTRIBUTE_GUARD_HOOK}-own-scim-eu"],
        "own-scim-app": [APP_GUARD_HOOK],
        "own-scim-eu-app": [f"{APP_GUARD_HOOK}-own-scim-eu"],
    }


# ------------------------------------------------ issue 17.1: the engine must honour replacement_trigger


def engine_without_replacement_trigger(monkeypatch) -> list[str]:
    """Make the mock resource monitor answer as a CLI 3.182-3.207 engine does: hooks yes,
    ``replacementTrigger`` unknown (``SupportsFeature`` false, absent from the features).
    Returns the feature ids the program asked about."""
    from pulumi.runtime.proto import resource_pb2

    from ownscim_infra.offline.mocks import RecordingMonitor

    asked: list[str] = []
    real_info = RecordingMonitor.GetDeploymentInfo

    def supports_feature(self, request):
        asked.append(request.id)
        return type("SupportsFeatureResponse", (), {"hasSupport": request.id != "replacementTrigger"})

    def deployment_info(self, request):
        info = real_info(self, request)
        features = [f for f in info.supportedFeatures if f != resource_pb2.RESOURCE_MONITOR_FEATURE_REPLACEMENT_TRIGGER]
        return resource_pb2.DeploymentInfo(supportedFeatures=features)

    monkeypatch.setattr(RecordingMonitor, "SupportsFeature", supports_feature, raising=False)
    monkeypatch.setattr(RecordingMonitor, "GetDeploymentInfo", deployment_info, raising=False)
    return asked


def test_an_engine_without_replacement_trigger_is_refused_naming_the_cli(monkeypatch, api_example):
    asked = engine_without_replacement_trigger(monkeypatch)
    with pytest.raises(pulumi.RunError) as info:
        run_config(api_example)
    message = str(info.value)
    assert message.startswith("this program needs the Pulumi CLI 3.226.0 or newer")
    assert "replacement_trigger" in message and "pulumi version" in message
    assert "replacementTrigger" in asked
    # the same version as Pulumi.yaml's requiredPulumiVersion
    assert 'requiredPulumiVersion: ">=3.226.0"' in (EXAMPLE.parent.parent / "Pulumi.yaml").read_text()


def test_an_engine_without_replacement_trigger_gets_nothing_declared(monkeypatch):
    from ownscim_infra.config import load_config
    from ownscim_infra.offline.mocks import run_program
    from ownscim_infra.program.component import OwnScimProvisioning

    engine_without_replacement_trigger(monkeypatch)
    config = load_config(EXAMPLE)
    declared: list[str] = []

    def program() -> dict:
        try:
            OwnScimProvisioning(naming.COMPONENT, config=config, scim_token=None)
        except pulumi.RunError as exc:
            declared.append(str(exc))
        return {}

    run = run_program(program, config={}, secret_keys=[])
    assert run.registrations == [] and len(declared) == 1


def test_the_pulumi_floor_admits_only_sdks_with_replacement_trigger():
    """``ResourceOptions(replacement_trigger=...)`` is in the Python SDK from 3.214.0 (pulumi/pulumi
    #20940, tag sdk/v3.214.0); an older SDK fails with a TypeError on every assignment."""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((EXAMPLE.parent.parent / "pyproject.toml").read_text())["project"]
    [pulumi_req] = [Requirement(d) for d in project["dependencies"] if Requirement(d).name == "pulumi"]
    assert not pulumi_req.specifier.contains("3.213.0") and not pulumi_req.specifier.contains("3.208.0")
    assert pulumi_req.specifier.contains("3.214.0") and pulumi_req.specifier.contains("3.272.0")


def test_a_direct_assignment_cannot_send_a_scope():
    """pulumi-okta's okta.app.User takes no ``scope`` (terraform-provider-okta ``getAppUser`` sends
    none): a group member's direct assignment may stay GROUP-scoped (docs/provider-semantics.md,
    row 13). When a release adds it, this fails: declare ``scope="USER"`` then."""
    import inspect

    import pulumi_okta as okta

    assert "scope" not in inspect.signature(okta.app.UserArgs.__init__).parameters
    assert "scope" not in inspect.signature(okta.app.User._internal_init).parameters
