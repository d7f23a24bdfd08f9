"""``verify`` against the fake Okta API over real HTTP: every finding, every kind of drift,
the UNKNOWN connection, pagination, 429 retries, credentials, and no secret in any output."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml

from ownscim_infra.cli import main
from ownscim_infra.domain.own_setup import CATALOG_APP, REGIONS_NAMESPACE
from ownscim_infra.live import okta_api
from ownscim_infra.live.verify import CHECKS, verify
from tests.live.applied import pulumi_up
from tests.live.okta_fake import EXAMPLE, TOKEN

pytestmark = pytest.mark.usefixtures("fake_org")


def write_config(tmp_path: Path, change=None) -> str:
    data = yaml.safe_load(EXAMPLE.read_text())
    if change:
        change(data)
    path = tmp_path / "own.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def finding(report, check, subject=None):
    found = [f for f in report.findings if f.check == check and (subject is None or f.subject == subject)]
    assert len(found) == 1, found
    return found[0]


def statuses(report):
    return {(f.check, f.subject): f.status for f in report.findings}


def drifted(report):
    return {(f.check, f.subject) for f in report.findings if f.status == "drift"}


def group_id(org, name):
    found = org.find_group(name)
    assert found is not None, name
    return found


def user_id(org, login):
    found = org.find_user_id(login)
    assert found is not None, login
    return found


# --------------------------------------------------------------------------- in sync


def test_in_sync_org_passes_every_check(app_id, capsys):
    """The org is what the program's emulated ``pulumi up`` made of the example, not what
    ``verify``'s own functions say it should be."""
    assert main(["verify", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    for check in CHECKS:
        assert f"\n{check} " in out
    assert "DRIFT" not in out
    assert "16 ok: no drift" in out  # the six groups, Own DACH's members and Own France's rule among them
    assert f"App id:   {app_id}" in out


def test_json_format_lists_named_findings(app_id, capsys):
    assert main(["verify", str(EXAMPLE), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["drift"] is False and doc["appId"] == app_id
    subjects = {(f["check"], f["subject"]) for f in doc["findings"]}
    assert ("group", "Own EMEA") in subjects and ("person", "sam.rivera@example.com") in subjects
    assert {f["status"] for f in doc["findings"]} == {"ok"}


def test_verify_only_reads(okta_server):
    verify(str(EXAMPLE))
    assert {method for method, _, _ in okta_server.fake.requests} == {"GET"}


# --------------------------------------------------------------------------- the app


def test_app_found_by_id(fake_org, app_id, capsys):
    fake_org.edit_app(app_id, label="Own SCIM (by hand)")
    assert main(["verify", str(EXAMPLE), "--app-id", app_id]) == 1  # the label differs from the config
    report = verify(str(EXAMPLE), app_id)
    assert "the app is labelled 'Own SCIM (by hand)' in Okta" in finding(report, "app").message
    assert drifted(report) == {("app", f"Own SCIM (by hand) ({app_id})")}


def test_app_deactivated(fake_org, app_id):
    fake_org.edit_app(app_id, status="INACTIVE")
    report = verify(str(EXAMPLE), app_id)
    assert finding(report, "app").status == "drift"
    assert "the app is INACTIVE in Okta (deactivated)" in finding(report, "app").message


def test_app_of_another_catalog_app(fake_org):
    other = fake_org.create_app("Own", "scim2testapp")
    report = verify(str(EXAMPLE), other)
    assert finding(report, "app").status == "drift"
    assert "catalog app is 'scim2testapp', expected 'scim2headerauth'" in finding(report, "app").message


def test_app_not_found(fake_org, app_id, capsys):
    fake_org.edit_app(app_id, label="Something else")
    assert main(["verify", str(EXAMPLE)]) == 1
    assert "no scim2headerauth app labelled 'Own'" in capsys.readouterr().out
    assert main(["verify", str(EXAMPLE), "--app-id", "0oaNOPE"]) == 1
    assert "no app with id 0oaNOPE" in capsys.readouterr().out


def test_two_apps_with_the_label_ask_for_app_id(fake_org, app_id):
    second = fake_org.create_app("Own", CATALOG_APP)
    report = verify(str(EXAMPLE))
    message = finding(report, "app").message
    assert "2 scim2headerauth apps are labelled 'Own': pass --app-id" in message
    assert app_id in message and second in message


# --------------------------------------------------------------------------- provisioning


def test_unknown_connection_prints_console_steps_and_recommends_manual(okta_server, api_example, capsys):
    """``provisioning: api`` on an org that does not serve this app's connection (UNKNOWN)."""
    org, _ = pulumi_up(api_example, connection_api=False)
    okta_server.fake.serve(org)
    assert main(["verify", str(api_example)]) == 1
    out = " ".join(capsys.readouterr().out.split())  # the table wraps at 100 columns
    assert "Okta does not manage this app's provisioning connection through the API" in out
    assert "Provisioning > Integration" in out and "Base URL: https://scim.us1.ownbackup.example/scim/v2" in out
    assert "API Token: the SCIM token from Own" in out
    assert "Create Users: enabled" in out and "Deactivate Users: enabled" in out
    assert "Update User Attributes: disabled" in out
    assert "app.provisioning: manual" in out


def test_unknown_connection_in_manual_mode_is_not_drift(okta_server, tmp_path):
    """The console steps done on an org that serves neither the connection nor the features
    through its API: both are ``unknown`` (check by hand), not drift."""
    config = write_config(tmp_path, lambda d: d["app"].update(provisioning="manual", manual_steps_done=True))
    org, run = pulumi_up(config, connection_api=False)
    assert run.ok
    okta_server.fake.serve(org)
    report = verify(config)
    assert finding(report, "connection").status == "unknown"
    assert "check it by hand" in finding(report, "connection").message
    assert finding(report, "features").status == "unknown"
    assert not report.drift
    assert "provisioning: manual" in finding(report, "features").message


def test_manual_mode_still_checks_what_the_steps_set(fake_org, app_id):
    fake_org.set_capability(app_id, "profile", "ENABLED")
    report = verify(str(EXAMPLE))
    assert drifted(report) == {("features", "USER_PROVISIONING")}
    assert "manual" in finding(report, "features").message


def test_manual_mode_before_the_steps_skips_attribute_and_assignments(okta_server, tmp_path):
    config = write_config(tmp_path, lambda d: d["app"].pop("manual_steps_done"))
    org, run = pulumi_up(config)  # the console steps are not done yet
    app = next(iter(org.apps.values()))
    okta_server.fake.serve(org)
    assert run.ok and not app.group_assignments and not app.users
    report = verify(config)
    assert not report.drift
    assert finding(report, "regions-attribute").status == "skipped"
    assert {f.status for f in report.findings if f.check in ("group", "person")} == {"skipped"}


@pytest.mark.parametrize(
    "base_url,activate,expect",
    [
        ("https://scim.us1.ownbackup.example/scim/v2", False, "status is DISABLED, expected ENABLED"),
        (
            "https://old.example/scim/v2",
            True,
            "base URL is 'https://old.example/scim/v2', the config says 'https://scim.us1.ownbackup.example/scim/v2'",
        ),
    ],
)
def test_connection_drift(fake_org, app_id, base_url, activate, expect):
    fake_org.set_connection(app_id, base_url, activate)
    report = verify(str(EXAMPLE))
    # a disabled connection is provisioning off: USER_PROVISIONING cannot be read either
    also = set() if activate else {("features", "USER_PROVISIONING")}
    assert drifted(report) == {("connection", "provisioning connection")} | also
    assert expect in finding(report, "connection").message


@pytest.mark.parametrize(
    "capability,value,expect",
    [
        ("lifecycleCreate", "DISABLED", "create (Create Users) is DISABLED, expected ENABLED"),
        ("lifecycleDeactivate", "DISABLED", "deactivate (Deactivate Users) is DISABLED, expected ENABLED"),
        ("profile", "ENABLED", "profile (Update User Attributes) is ENABLED, expected DISABLED"),
        ("password", "ENABLED", "password (Sync Password) is ENABLED, expected DISABLED"),
    ],
)
def test_feature_drift(fake_org, app_id, capability, value, expect):
    fake_org.set_capability(app_id, capability, value)
    report = verify(str(EXAMPLE))
    assert drifted(report) == {("features", "USER_PROVISIONING")}
    assert expect in finding(report, "features").message


def test_feature_switched_off_is_drift(fake_org, app_id):
    _, capabilities = fake_org.get_features(app_id)
    fake_org.put_features(app_id, "DISABLED", capabilities)
    report = verify(str(EXAMPLE))
    assert drifted(report) == {("features", "USER_PROVISIONING")}
    assert "status is DISABLED, expected ENABLED" in finding(report, "features").message


def test_provisioning_turned_off_is_drift(fake_org, app_id):
    fake_org.disable_provisioning(app_id)
    report = verify(str(EXAMPLE))
    assert "provisioning is not enabled" in finding(report, "features").message
    assert finding(report, "features").status == "drift"
    assert "status is DISABLED, expected ENABLED" in finding(report, "connection").message


def test_group_push_mappings_and_push_groups_are_drift(okta_server, fake_org, app_id):
    fake_org.push_group(app_id, group_id(fake_org, "Own US"))
    f = finding(verify(str(EXAMPLE)), "group-push")
    assert f.status == "drift" and "1 group push mapping(s)" in f.message
    assert "Push Groups is enabled on the app" in f.message
    assert any("push Own US (ACTIVE)" in d for d in f.details)

    org, _ = pulumi_up(EXAMPLE)
    org.enable_push_groups(next(iter(org.apps)))
    okta_server.fake.serve(org)
    f = finding(verify(str(EXAMPLE)), "group-push")
    assert f.status == "drift" and f.message == "Push Groups is enabled on the app (Own does not support it)"


@pytest.mark.parametrize(
    "change,expect",
    [
        (
            {"externalNamespace": REGIONS_NAMESPACE + ":User"},
            f"external namespace is '{REGIONS_NAMESPACE}:User', expected '{REGIONS_NAMESPACE}'",
        ),
        ({"externalName": "region"}, "external name is 'region', expected 'regions'"),
        ({"scope": "SELF"}, "scope is 'SELF', expected 'NONE'"),
        ({"type": "array"}, "type is 'array', expected 'string'"),
    ],
)
def test_regions_attribute_drift(fake_org, app_id, change, expect):
    """An admin edits the attribute in the Profile Editor."""
    fake_org.put_schema_property(app_id, {**fake_org.apps[app_id].schema["regions"], **change})
    report = verify(str(EXAMPLE))
    assert drifted(report) == {("regions-attribute", "regions")}
    assert expect in finding(report, "regions-attribute").message


def test_regions_attribute_missing(fake_org, app_id):
    fake_org.delete_schema_property(app_id, "regions")
    report = verify(str(EXAMPLE))
    assert finding(report, "regions-attribute").message == "the app has no regions attribute"


# --------------------------------------------------------------------------- assignments


def test_group_priorities_dragged_in_the_console(fake_org, app_id, capsys):
    fake_org.put_group_assignment(app_id, group_id(fake_org, "Own EMEA"), 3, None)
    fake_org.put_group_assignment(app_id, group_id(fake_org, "Own US"), 2, None)
    assert main(["verify", str(EXAMPLE)]) == 1
    report = verify(str(EXAMPLE))
    assert drifted(report) == {("group", "Own EMEA"), ("group", "Own US")}
    assert finding(report, "group", "Own EMEA").message == "priority is 3, expected 2"
    assert finding(report, "group", "Own US").message == "priority is 2, expected 3"


def test_group_regions_changed(fake_org, app_id):
    emea = group_id(fake_org, "Own EMEA")
    fake_org.put_group_assignment(app_id, emea, None, {"regions": "uk1"})
    assert finding(verify(str(EXAMPLE)), "group", "Own EMEA").message == "regions is 'uk1', expected 'emea2,uk1'"
    fake_org.put_group_assignment(app_id, emea, None, {})
    assert "regions is no regions value (all regions)" in finding(verify(str(EXAMPLE)), "group", "Own EMEA").message


def test_the_same_regions_in_another_order_are_no_drift(fake_org, app_id):
    """Own reads a set, and the program keeps the order a stack recorded (issue 21.5): a value in
    another order is what a stack of before holds, not a drift to repair with --replace."""
    emea = group_id(fake_org, "Own EMEA")
    fake_org.put_group_assignment(app_id, emea, None, {"regions": "uk1,emea2"})
    report = verify(str(EXAMPLE))
    assert finding(report, "group", "Own EMEA").status == "ok", finding(report, "group", "Own EMEA").message


def test_group_not_assigned_or_missing(fake_org, app_id):
    us = group_id(fake_org, "Own US")
    fake_org.delete_group_assignment(app_id, us)
    report = verify(str(EXAMPLE))
    assert (
        finding(report, "group", "Own US").message == "not assigned to the app (the group exists but is not assigned)"
    )
    fake_org.delete_group(us)
    report = verify(str(EXAMPLE))
    assert finding(report, "group", "Own US").message == "not assigned to the app (the group does not exist in Okta)"


def test_other_group_assigned(fake_org, app_id):
    gid = fake_org.add_group_by_hand("Contractors")
    fake_org.put_group_assignment(app_id, gid, 5, {"regions": "us1"})
    report = verify(str(EXAMPLE))
    f = finding(report, "other-groups")
    assert f.status == "drift" and f.details == [f"Contractors ({gid}), priority 5, regions 'us1'"]


def test_person_drift(fake_org, app_id):
    fake_org.assign_user(app_id, user_id(fake_org, "dana.lee@example.com"), {"regions": "us1"})
    fake_org.assign_user(app_id, user_id(fake_org, "sam.rivera@example.com"), {"regions": "emea2"})
    report = verify(str(EXAMPLE))
    assert finding(report, "person", "dana.lee@example.com").message == "regions is 'us1', expected 'emea2'"
    assert (
        finding(report, "person", "sam.rivera@example.com").message
        == "regions is 'emea2', expected no regions value (all regions)"
    )


def test_person_only_through_a_group_or_not_assigned(fake_org, app_id):
    sam, dana = user_id(fake_org, "sam.rivera@example.com"), user_id(fake_org, "dana.lee@example.com")
    fake_org.unassign_user(app_id, sam)
    fake_org.set_user_groups(sam, ["Own US"])  # sam has the app through Own US now
    fake_org.set_user_groups(dana, [])  # Okta refuses to unassign dana while Own US grants her the app
    fake_org.unassign_user(app_id, dana)
    report = verify(str(EXAMPLE))
    assert "only through a group (scope GROUP)" in finding(report, "person", "sam.rivera@example.com").message
    assert finding(report, "person", "dana.lee@example.com").message == "not assigned to the app"


def test_person_without_okta_user(fake_org):
    fake_org.delete_user(user_id(fake_org, "sam.rivera@example.com"))
    report = verify(str(EXAMPLE))
    assert finding(report, "person", "sam.rivera@example.com").message == "no Okta user has this login"


# --------------------------------------------------------------------------- HTTP behaviour


def test_pagination_follows_link_next(okta_server, fake_org, app_id):
    okta_server.fake.page_size = 1
    report = verify(str(EXAMPLE))
    assert not report.drift
    requests = okta_server.fake.requests
    group_pages = [q for m, p, q in requests if p == f"/api/v1/apps/{app_id}/groups"]
    assigned = len(fake_org.apps[app_id].group_assignments)
    assert len(group_pages) == assigned and sum("after" in q for q in group_pages) == assigned - 1
    user_pages = [q for m, p, q in requests if p == f"/api/v1/apps/{app_id}/users"]
    assert len(user_pages) == len(fake_org.app_users(app_id))


def test_429_is_retried_by_the_sdk(okta_server, fake_org, app_id):
    okta_server.fake.rate_limit(f"/api/v1/apps/{app_id}/users", times=1)
    report = verify(str(EXAMPLE))
    assert not report.drift
    user_calls = [p for m, p, q in okta_server.fake.requests if p == f"/api/v1/apps/{app_id}/users"]
    pages = -(-len(fake_org.app_users(app_id)) // okta_server.fake.page_size)
    assert len(user_calls) == pages + 1  # one of them retried


def test_429_beyond_the_retries_is_an_error(okta_server):
    okta_server.fake.rate_limit("/api/v1/meta/schemas", times=5)
    with pytest.raises(okta_api.OktaApiError) as exc:
        verify(str(EXAMPLE), max_retries=0)
    assert exc.value.status == 429 and exc.value.code == "E0000047"


def test_bad_token_exits_2_with_one_line(fake_org, monkeypatch, capsys):
    monkeypatch.setenv("OKTA_API_TOKEN", "wrong-token-DO-NOT-PRINT")
    assert main(["verify", str(EXAMPLE)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "Okta rejected the API token" in captured.err and "E0000011" in captured.err
    assert "wrong-token-DO-NOT-PRINT" not in captured.err


@pytest.mark.parametrize(
    "unset,expect",
    [
        (["OKTA_API_TOKEN"], "Okta credentials missing: a service app or an API token; set OKTA_ORG_URL"),
        (
            ["OKTA_ORG_URL"],
            "Okta credentials missing: the org URL; set OKTA_ORG_URL (or OKTA_ORG_NAME + OKTA_BASE_URL)",
        ),
    ],
)
def test_missing_credentials_exit_2_with_one_line(monkeypatch, capsys, unset, expect):
    for var in unset:
        monkeypatch.delenv(var)
    assert main(["verify", str(EXAMPLE)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expect in err and "Traceback" not in err


def test_credentials_from_provider_variables():
    creds = okta_api.credentials_from_env(
        {"OKTA_ORG_NAME": "dev-123", "OKTA_BASE_URL": "oktapreview.com", "OKTA_API_TOKEN": "t"}
    )
    assert creds.org_url == "https://dev-123.oktapreview.com"
    assert (
        okta_api.credentials_from_env({"OKTA_ORG_NAME": "dev-1", "OKTA_API_TOKEN": "t"}).org_url
        == "https://dev-1.okta.com"
    )
    assert "tok-SECRET" not in repr(
        okta_api.credentials_from_env({"OKTA_ORG_URL": "https://x.okta.com/", "OKTA_API_TOKEN": "tok-SECRET"})
    )
    with pytest.raises(okta_api.CredentialsError, match="must be https://"):
        okta_api.credentials_from_env({"OKTA_ORG_URL": "http://dev-1.okta.com", "OKTA_API_TOKEN": "t"})


def test_http_url_needs_the_sdk_test_switch(monkeypatch, capsys):
    monkeypatch.delenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK")
    assert main(["verify", str(EXAMPLE)]) == 2
    assert "OKTA_TESTING_TESTINGDISABLEHTTPSCHECK=true" in capsys.readouterr().err


def test_no_secret_in_any_output(okta_server, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    okta_server.fake.serve(pulumi_up(EXAMPLE, connection_api=False)[0])
    for fmt in ("text", "json"):
        main(["verify", str(EXAMPLE), "--format", fmt])
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err + caplog.text
    assert "SSWS" not in captured.out + captured.err + caplog.text


def test_group_names_match_case_insensitively(fake_org):
    """Okta group names are case-insensitive: a group renamed only in case is still the config's group."""
    fake_org.update_group(group_id(fake_org, "Own EMEA"), "OWN emea", None)
    report = verify(str(EXAMPLE))
    assert finding(report, "group", "Own EMEA").status == "ok"
    f = finding(report, "other-groups")
    assert f.status == "ok", f.details
    assert not drifted(report)


def test_unassigned_group_found_whatever_its_case(fake_org, app_id):
    us = group_id(fake_org, "Own US")
    fake_org.delete_group_assignment(app_id, us)
    fake_org.update_group(us, "own us", None)
    report = verify(str(EXAMPLE))
    assert (
        finding(report, "group", "Own US").message == "not assigned to the app (the group exists but is not assigned)"
    )


# --------------------------------------------------------------------------- output promises (README)


def words(text: str) -> list[str]:
    return text.split()


def test_text_fits_100_columns_unless_wide(okta_server, api_example, capsys):
    """The README: "Text output fits 100 columns (`--wide` for all of it), but for a command
    naming a URN, printed whole so that it can be copied"."""
    org, _ = pulumi_up(api_example, connection_api=False)
    org.assign_user(next(iter(org.apps)), user_id(org, "sam.rivera@example.com"), {"regions": "emea2"})
    okta_server.fake.serve(org)
    assert main(["verify", str(api_example)]) == 1
    narrow = capsys.readouterr().out
    assert main(["verify", str(api_example), "--wide"]) == 1
    wide = capsys.readouterr().out
    commands = [line for line in narrow.splitlines() if line.strip().startswith("pulumi up --replace 'urn:")]
    assert len(commands) == 1 and commands[0] in wide.splitlines()  # the same line at any width
    assert max(len(line) for line in narrow.splitlines() if line not in commands) <= 100
    assert max(len(line) for line in wide.splitlines()) > 100
    assert sorted(words(narrow)) == sorted(words(wide))  # nothing cut, only wrapped
    assert "regions is 'emea2', expected no regions value (all regions)" in " ".join(words(narrow))


def test_json_keys_are_camel_case(fake_org, app_id, capsys):
    """Every command's JSON keys are camelCase (the README); ``regions_drift`` was not."""
    fake_org.put_group_assignment(app_id, group_id(fake_org, "Own EMEA"), None, {"regions": "emea2"})
    assert main(["verify", str(EXAMPLE), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)

    def keys(value):
        if isinstance(value, dict):
            for k, v in value.items():
                yield k
                yield from keys(v)
        elif isinstance(value, list):
            for v in value:
                yield from keys(v)

    assert all(k.isalnum() and k[0].islower() for k in keys(doc)), sorted(set(keys(doc)))
    emea = next(f for f in doc["findings"] if f["subject"] == "Own EMEA")
    assert emea["regionsDrift"] is True and emea["status"] == "drift"
    assert {f["regionsDrift"] for f in doc["findings"] if f["subject"] != "Own EMEA"} == {False}
