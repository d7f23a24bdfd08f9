"""``verify`` against the fake Okta API over real HTTP: every finding, every kind of drift,
the UNKNOWN connection, pagination, 429 retries, credentials, and no secret in any output."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml

from ownscim_infra.cli import main
from ownscim_infra.domain.own_setup import REGIONS_NAMESPACE
from ownscim_infra.live import okta_api
from ownscim_infra.live.verify import CHECKS, verify
from tests.live.okta_fake import APP_ID, EXAMPLE, TOKEN, app_object, regions_property

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


# --------------------------------------------------------------------------- in sync


def test_in_sync_org_passes_every_check(capsys):
    assert main(["verify", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    for check in CHECKS:
        assert f"\n{check} " in out
    assert "DRIFT" not in out
    assert "12 ok: no drift" in out
    assert f"App id:   {APP_ID}" in out


def test_json_format_lists_named_findings(capsys):
    assert main(["verify", str(EXAMPLE), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["drift"] is False and doc["appId"] == APP_ID
    subjects = {(f["check"], f["subject"]) for f in doc["findings"]}
    assert ("group", "Own EMEA") in subjects and ("person", "sam.rivera@example.com") in subjects
    assert {f["status"] for f in doc["findings"]} == {"ok"}


def test_verify_only_reads(fake_org):
    verify(str(EXAMPLE))
    assert {method for method, _, _ in fake_org.requests} == {"GET"}


# --------------------------------------------------------------------------- the app


def test_app_found_by_id(fake_org, capsys):
    fake_org.apps[APP_ID]["label"] = "Own SCIM (by hand)"
    assert main(["verify", str(EXAMPLE), "--app-id", APP_ID]) == 1  # the label differs from the config
    report = verify(str(EXAMPLE), APP_ID)
    assert "label is 'Own SCIM (by hand)'" in finding(report, "app").message
    assert drifted(report) == {("app", f"Own SCIM (by hand) ({APP_ID})")}


@pytest.mark.parametrize(
    "field,value,expect",
    [
        ("status", "INACTIVE", "status is INACTIVE, expected ACTIVE"),
        ("name", "scim2testapp", "catalog app is 'scim2testapp', expected 'scim2headerauth'"),
    ],
)
def test_app_drift(fake_org, field, value, expect):
    fake_org.apps[APP_ID][field] = value
    report = verify(str(EXAMPLE), APP_ID)
    assert finding(report, "app").status == "drift"
    assert expect in finding(report, "app").message


def test_app_not_found(fake_org, capsys):
    fake_org.apps[APP_ID]["label"] = "Something else"
    assert main(["verify", str(EXAMPLE)]) == 1
    assert "no scim2headerauth app labelled 'Own'" in capsys.readouterr().out
    assert main(["verify", str(EXAMPLE), "--app-id", "0oaNOPE"]) == 1
    assert "no app with id 0oaNOPE" in capsys.readouterr().out


def test_two_apps_with_the_label_ask_for_app_id(fake_org):
    fake_org.apps["0oa2second"] = app_object("0oa2second", "Own")
    report = verify(str(EXAMPLE))
    message = finding(report, "app").message
    assert "2 scim2headerauth apps are labelled 'Own': pass --app-id" in message
    assert APP_ID in message and "0oa2second" in message


# --------------------------------------------------------------------------- provisioning


def test_unknown_connection_prints_console_steps_and_recommends_manual(fake_org, api_example, capsys):
    fake_org.connections[APP_ID] = {"authScheme": "UNKNOWN", "profile": {"authScheme": "UNKNOWN"}, "status": "UNKNOWN"}
    assert main(["verify", str(api_example)]) == 1
    out = " ".join(capsys.readouterr().out.split())  # the table wraps at 100 columns
    assert "Okta does not manage this app's provisioning connection through the API" in out
    assert "Provisioning > Integration" in out and "Base URL: https://scim.us1.ownbackup.example/scim/v2" in out
    assert "API Token: the SCIM token from Own" in out
    assert "Create Users: enabled" in out and "Deactivate Users: enabled" in out
    assert "Update User Attributes: disabled" in out
    assert "app.provisioning: manual" in out


def test_unknown_connection_in_manual_mode_is_not_drift(fake_org, tmp_path):
    config = write_config(tmp_path, lambda d: d["app"].update(provisioning="manual", manual_steps_done=True))
    fake_org.connections[APP_ID] = {"authScheme": "UNKNOWN", "profile": {"authScheme": "UNKNOWN"}, "status": "UNKNOWN"}
    report = verify(config)
    assert finding(report, "connection").status == "unknown"
    assert "check it by hand" in finding(report, "connection").message
    assert not report.drift
    assert "provisioning: manual" in finding(report, "features").message


def test_manual_mode_still_checks_what_the_steps_set(fake_org, tmp_path):
    config = write_config(tmp_path, lambda d: d["app"].update(provisioning="manual", manual_steps_done=True))
    fake_org.features[APP_ID]["capabilities"]["update"]["profile"]["status"] = "ENABLED"
    report = verify(config)
    assert drifted(report) == {("features", "USER_PROVISIONING")}
    assert "manual" in finding(report, "features").message


def test_manual_mode_before_the_steps_skips_attribute_and_assignments(fake_org, tmp_path):
    config = write_config(tmp_path, lambda d: d["app"].pop("manual_steps_done"))
    fake_org.app_groups[APP_ID] = []
    fake_org.app_users[APP_ID] = []
    report = verify(config)
    assert not report.drift
    assert finding(report, "regions-attribute").status == "skipped"
    assert {f.status for f in report.findings if f.check in ("group", "person")} == {"skipped"}


@pytest.mark.parametrize(
    "connection,expect",
    [
        (
            {"status": "DISABLED", "baseUrl": "https://scim.us1.ownbackup.example/scim/v2"},
            "status is DISABLED, expected ENABLED",
        ),
        (
            {"status": "ENABLED", "baseUrl": "https://old.example/scim/v2"},
            "base URL is 'https://old.example/scim/v2', the config says 'https://scim.us1.ownbackup.example/scim/v2'",
        ),
    ],
)
def test_connection_drift(fake_org, connection, expect):
    fake_org.connections[APP_ID] = {"authScheme": "TOKEN", "profile": {"authScheme": "TOKEN"}, **connection}
    report = verify(str(EXAMPLE))
    assert drifted(report) == {("connection", "provisioning connection")}
    assert expect in finding(report, "connection").message


@pytest.mark.parametrize(
    "path,value,expect",
    [
        (("create", "lifecycleCreate"), "DISABLED", "create (Create Users) is DISABLED, expected ENABLED"),
        (("update", "lifecycleDeactivate"), "DISABLED", "deactivate (Deactivate Users) is DISABLED, expected ENABLED"),
        (("update", "profile"), "ENABLED", "profile (Update User Attributes) is ENABLED, expected DISABLED"),
        (("update", "password"), "ENABLED", "password (Sync Password) is ENABLED, expected DISABLED"),
    ],
)
def test_feature_drift(fake_org, path, value, expect):
    fake_org.features[APP_ID]["capabilities"][path[0]][path[1]]["status"] = value
    report = verify(str(EXAMPLE))
    assert drifted(report) == {("features", "USER_PROVISIONING")}
    assert expect in finding(report, "features").message


def test_feature_switched_off_is_drift(fake_org):
    fake_org.features[APP_ID]["status"] = "DISABLED"
    report = verify(str(EXAMPLE))
    assert drifted(report) == {("features", "USER_PROVISIONING")}
    assert "status is DISABLED, expected ENABLED" in finding(report, "features").message


def test_feature_missing_means_provisioning_is_off(fake_org):
    del fake_org.features[APP_ID]
    report = verify(str(EXAMPLE))
    assert "provisioning is not enabled" in finding(report, "features").message
    assert finding(report, "features").status == "drift"


def test_group_push_mappings_and_push_groups_are_drift(fake_org):
    gid = fake_org.group_id("Own US")
    fake_org.push_mappings[APP_ID] = [
        {
            "id": "gPm1",
            "sourceGroupId": gid,
            "targetGroupId": "tg1",
            "status": "ACTIVE",
            "created": "2024-05-01T10:00:00.000Z",
            "_links": {},
        }
    ]
    report = verify(str(EXAMPLE))
    f = finding(report, "group-push")
    assert f.status == "drift" and "1 group push mapping(s)" in f.message
    assert any("push Own US (ACTIVE)" in d for d in f.details)

    fake_org.push_mappings[APP_ID] = []
    fake_org.apps[APP_ID]["features"].append("GROUP_PUSH")
    f = finding(verify(str(EXAMPLE)), "group-push")
    assert f.status == "drift" and "Push Groups is enabled on the app" in f.message


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
def test_regions_attribute_drift(fake_org, change, expect):
    fake_org.schemas[APP_ID]["definitions"]["custom"]["properties"]["regions"] = regions_property(**change)
    report = verify(str(EXAMPLE))
    assert drifted(report) == {("regions-attribute", "regions")}
    assert expect in finding(report, "regions-attribute").message


def test_regions_attribute_missing(fake_org):
    fake_org.schemas[APP_ID]["definitions"]["custom"]["properties"] = {}
    report = verify(str(EXAMPLE))
    assert finding(report, "regions-attribute").message == "the app has no regions attribute"


# --------------------------------------------------------------------------- assignments


def test_group_priorities_dragged_in_the_console(fake_org, capsys):
    fake_org.app_group(APP_ID, "Own EMEA")["priority"] = 3
    fake_org.app_group(APP_ID, "Own US")["priority"] = 2
    assert main(["verify", str(EXAMPLE)]) == 1
    report = verify(str(EXAMPLE))
    assert drifted(report) == {("group", "Own EMEA"), ("group", "Own US")}
    assert finding(report, "group", "Own EMEA").message == "priority is 3, expected 2"
    assert finding(report, "group", "Own US").message == "priority is 2, expected 3"


def test_group_regions_changed(fake_org):
    fake_org.app_group(APP_ID, "Own EMEA")["profile"] = {"regions": "uk1,emea2"}
    assert finding(verify(str(EXAMPLE)), "group", "Own EMEA").message == "regions is 'uk1,emea2', expected 'emea2,uk1'"
    fake_org.app_group(APP_ID, "Own EMEA")["profile"] = {}
    assert "regions is no regions value (all regions)" in finding(verify(str(EXAMPLE)), "group", "Own EMEA").message


def test_group_not_assigned_or_missing(fake_org):
    us = fake_org.group_id("Own US")
    fake_org.app_groups[APP_ID] = [a for a in fake_org.app_groups[APP_ID] if a["id"] != us]
    report = verify(str(EXAMPLE))
    assert (
        finding(report, "group", "Own US").message == "not assigned to the app (the group exists but is not assigned)"
    )
    del fake_org.groups[us]
    report = verify(str(EXAMPLE))
    assert finding(report, "group", "Own US").message == "not assigned to the app (the group does not exist in Okta)"


def test_other_group_assigned(fake_org):
    gid = fake_org.add_group("Contractors")
    fake_org.assign_group(APP_ID, gid, 4, {"regions": "us1"})
    report = verify(str(EXAMPLE))
    f = finding(report, "other-groups")
    assert f.status == "drift" and f.details == [f"Contractors ({gid}), priority 4, regions 'us1'"]


def test_person_drift(fake_org):
    fake_org.app_user(APP_ID, "dana.lee@example.com")["profile"] = {"regions": "us1"}
    fake_org.app_user(APP_ID, "sam.rivera@example.com")["profile"] = {"regions": "emea2"}
    report = verify(str(EXAMPLE))
    assert finding(report, "person", "dana.lee@example.com").message == "regions is 'us1', expected 'emea2'"
    assert (
        finding(report, "person", "sam.rivera@example.com").message
        == "regions is 'emea2', expected no regions value (all regions)"
    )


def test_person_only_through_a_group_or_not_assigned(fake_org):
    fake_org.app_user(APP_ID, "dana.lee@example.com")["scope"] = "GROUP"
    sam = fake_org.user_id("sam.rivera@example.com")
    fake_org.app_users[APP_ID] = [u for u in fake_org.app_users[APP_ID] if u["id"] != sam]
    report = verify(str(EXAMPLE))
    assert "only through a group (scope GROUP)" in finding(report, "person", "dana.lee@example.com").message
    assert finding(report, "person", "sam.rivera@example.com").message == "not assigned to the app"


def test_person_without_okta_user(fake_org):
    del fake_org.users[fake_org.user_id("sam.rivera@example.com")]
    report = verify(str(EXAMPLE))
    assert finding(report, "person", "sam.rivera@example.com").message == "no Okta user has this login"


# --------------------------------------------------------------------------- HTTP behaviour


def test_pagination_follows_link_next(fake_org):
    fake_org.page_size = 1
    report = verify(str(EXAMPLE))
    assert not report.drift
    group_pages = [q for m, p, q in fake_org.requests if p == f"/api/v1/apps/{APP_ID}/groups"]
    assert len(group_pages) == 4 and sum("after" in q for q in group_pages) == 3
    user_pages = [q for m, p, q in fake_org.requests if p == f"/api/v1/apps/{APP_ID}/users"]
    assert len(user_pages) == 3


def test_429_is_retried_by_the_sdk(fake_org):
    fake_org.rate_limit(f"/api/v1/apps/{APP_ID}/users", times=1)
    report = verify(str(EXAMPLE))
    assert not report.drift
    user_calls = [p for m, p, q in fake_org.requests if p == f"/api/v1/apps/{APP_ID}/users"]
    assert len(user_calls) == 2 + 1  # two pages, one of them retried


def test_429_beyond_the_retries_is_an_error(fake_org, capsys):
    fake_org.rate_limit("/api/v1/meta/schemas", times=5)
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
        (["OKTA_API_TOKEN"], "set OKTA_API_TOKEN"),
        (["OKTA_ORG_URL"], "set OKTA_ORG_URL (or OKTA_ORG_NAME and OKTA_BASE_URL)"),
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


def test_no_secret_in_any_output(fake_org, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    fake_org.connections[APP_ID] = {"authScheme": "UNKNOWN", "profile": {"authScheme": "UNKNOWN"}, "status": "UNKNOWN"}
    for fmt in ("text", "json"):
        main(["verify", str(EXAMPLE), "--format", fmt])
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err + caplog.text
    assert "SSWS" not in captured.out + captured.err + caplog.text


def test_group_names_match_case_insensitively(fake_org):
    """Okta group names are case-insensitive: a group renamed only in case is still the config's group."""
    fake_org.groups[fake_org.group_id("Own EMEA")]["profile"]["name"] = "OWN emea"
    report = verify(str(EXAMPLE))
    assert finding(report, "group", "Own EMEA").status == "ok"
    f = finding(report, "other-groups")
    assert f.status == "ok", f.details
    assert not drifted(report)


def test_unassigned_group_found_whatever_its_case(fake_org):
    us = fake_org.group_id("Own US")
    fake_org.app_groups[APP_ID] = [a for a in fake_org.app_groups[APP_ID] if a["id"] != us]
    fake_org.groups[us]["profile"]["name"] = "own us"
    report = verify(str(EXAMPLE))
    assert (
        finding(report, "group", "Own US").message == "not assigned to the app (the group exists but is not assigned)"
    )


# --------------------------------------------------------------------------- output promises (README)


def words(text: str) -> list[str]:
    return text.split()


def test_text_fits_100_columns_unless_wide(fake_org, api_example, capsys):
    """The README: "Text output fits 100 columns (`--wide` for all of it)"."""
    fake_org.connections[APP_ID] = {"authScheme": "UNKNOWN", "profile": {"authScheme": "UNKNOWN"}, "status": "UNKNOWN"}
    fake_org.app_user(APP_ID, "sam.rivera@example.com")["profile"] = {"regions": "emea2"}
    assert main(["verify", str(api_example)]) == 1
    narrow = capsys.readouterr().out
    assert main(["verify", str(api_example), "--wide"]) == 1
    wide = capsys.readouterr().out
    assert max(len(line) for line in narrow.splitlines()) <= 100
    assert max(len(line) for line in wide.splitlines()) > 100
    assert sorted(words(narrow)) == sorted(words(wide))  # nothing cut, only wrapped
    assert "regions is 'emea2', expected no regions value (all regions)" in " ".join(words(narrow))


def test_json_keys_are_camel_case(fake_org, capsys):
    """Every command's JSON keys are camelCase (the README); ``regions_drift`` was not."""
    fake_org.app_group(APP_ID, "Own EMEA")["profile"] = {"regions": "emea2"}
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
