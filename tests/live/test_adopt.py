"""``adopt`` against the fake Okta API: the ``pulumi import`` file maps the live app onto
the program's own resource names, and the report lists what the config does not describe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ownscim_infra.cli import main
from ownscim_infra.domain import naming
from ownscim_infra.offline.plan import build_plan
from tests.live.applied import app_id_of, pulumi_up
from tests.live.okta_fake import EXAMPLE, TOKEN

pytestmark = pytest.mark.usefixtures("fake_org")


def run_adopt(tmp_path: Path, config: str = str(EXAMPLE), *extra: str, app_id: str) -> tuple[int, dict, str]:
    out = tmp_path / "import.json"
    code = main(["adopt", config, "--app-id", app_id, "--output", str(out), *extra])
    return code, (json.loads(out.read_text()) if out.exists() else {}), str(out)


def flat(text: str) -> str:
    """The text with its line breaks and runs of spaces as one space (the summary wraps at 100 columns)."""
    return " ".join(text.split())


def by_name(doc: dict) -> dict[str, dict]:
    return {r["name"]: r for r in doc["resources"]}


def test_import_file_covers_every_resource_the_program_declares(okta_server, api_example, tmp_path, capsys):
    org, run = pulumi_up(api_example)
    assert run.ok
    okta_server.fake.serve(org)
    app_id = app_id_of(org)
    code, doc, _ = run_adopt(tmp_path, str(api_example), app_id=app_id)
    assert code == 0
    declared = {(r.type, r.name) for r in build_plan(api_example).resources}
    assert {(r["type"], r["name"]) for r in doc["resources"]} == declared
    res = by_name(doc)
    assert res[naming.COMPONENT] == {
        "type": "ownscim:okta:OwnScimProvisioning",
        "name": naming.COMPONENT,
        "component": True,
    }
    assert res[naming.APP]["id"] == app_id
    assert res[naming.CONNECTION]["id"] == app_id
    assert res[naming.FEATURES]["id"] == f"{app_id}/USER_PROVISIONING"
    assert res[naming.REGIONS_ATTRIBUTE]["id"] == f"{app_id}/regions"
    emea = org.find_group("Own EMEA")
    assert res[naming.group(naming.slug("Own EMEA"))]["id"] == emea
    assert res[naming.group_assignment(naming.slug("Own EMEA"))]["id"] == f"{app_id}/{emea}"
    sf = org.find_group("Salesforce Admins")
    assert naming.group(naming.slug("Salesforce Admins")) not in res  # create: false -> looked up, not managed
    assert res[naming.group_assignment(naming.slug("Salesforce Admins"))]["id"] == f"{app_id}/{sf}"
    dana = org.find_user_id("dana.lee@example.com")
    assert res[naming.user_assignment("dana.lee@example.com")]["id"] == f"{app_id}/{dana}"
    assert all(r.get("parent") == naming.COMPONENT for r in doc["resources"] if not r.get("component"))
    out = flat(capsys.readouterr().out)
    assert "In the org but not described by the config" in out and "pulumi import --file" in out


def test_lists_what_the_config_does_not_describe(fake_org, app_id, tmp_path, capsys):
    gid = fake_org.add_group_by_hand("Contractors")
    fake_org.put_group_assignment(app_id, gid, 5, {"regions": "us1"})
    uid = fake_org.add_user("extra.person@example.com", "Extra", "Person")
    fake_org.assign_user(app_id, uid, {"regions": "uk1"})
    fake_org.put_schema_property(
        app_id, {"index": "costCenter", "title": "cc", "type": "string", "externalName": "costCenter"}
    )
    code, doc, _ = run_adopt(tmp_path, app_id=app_id)
    assert code == 0
    out = flat(capsys.readouterr().out)
    assert f"group assignment Contractors ({gid}), priority 5" in out
    assert f"direct assignment of extra.person@example.com ({uid})" in out
    assert "app user schema attribute 'costCenter'" in out
    assert all("Contractors" not in r.get("id", "") and r.get("id") != f"{app_id}/{uid}" for r in doc["resources"])


def test_what_is_missing_is_left_for_pulumi_up(fake_org, app_id, tmp_path, capsys):
    us = fake_org.find_group("Own US")
    fake_org.delete_group_assignment(app_id, us)
    fake_org.delete_group(us)
    code, doc, _ = run_adopt(tmp_path, app_id=app_id)
    assert code == 0
    names = by_name(doc)
    assert (
        naming.group(naming.slug("Own US")) not in names and naming.group_assignment(naming.slug("Own US")) not in names
    )
    out = flat(capsys.readouterr().out)
    assert "no Okta group named 'Own US'" in out and "group 'Own US' is not assigned to the app" in out


def test_drift_is_reported_as_changes_preview_will_show(fake_org, app_id, tmp_path, capsys):
    fake_org.put_group_assignment(app_id, fake_org.find_group("Own EMEA"), 7, None)
    code, _, _ = run_adopt(tmp_path, app_id=app_id)
    out = flat(capsys.readouterr().out)
    assert code == 0
    assert "group Own EMEA: priority is 7, expected 2" in out and "Next: pulumi import" in out


def test_regions_drift_stops_adoption_and_names_the_replace(fake_org, app_id, tmp_path, capsys):
    """`pulumi import` records no replacement trigger (pulumi/pulumi
    pkg/resource/deploy/import.go), so no `pulumi up` after it changes the value: the summary
    gives the exact `pulumi up --replace URN` for each, the stack by --stack or the config's name."""
    fake_org.put_group_assignment(app_id, fake_org.find_group("Own EMEA"), None, {"regions": "emea2"})
    fake_org.assign_user(app_id, fake_org.find_user_id("dana.lee@example.com"), {"regions": "us1"})
    code, doc, _ = run_adopt(tmp_path, app_id=app_id)
    out = flat(capsys.readouterr().out)
    assert code == 1 and doc["resources"]  # the file is written, but the exit code says stop
    assert "group Own EMEA: regions is 'emea2', expected 'emea2,uk1'" in out
    assert "STOP: the `regions` value of Own EMEA, dana.lee@example.com differs from the config" in out
    assert "no `pulumi up` will change it" in out and "Next: " not in out
    emea = naming.urn("example", "okta:app/groupAssignment:GroupAssignment", naming.group_assignment("own-emea"))
    dana = naming.urn("example", "okta:app/user:User", naming.user_assignment("dana.lee@example.com"))
    assert f"- Own EMEA: pulumi up --replace '{emea}'" in out  # whole, on its own line: copyable
    assert f"- dana.lee@example.com: pulumi up --replace '{dana}'" in out
    assert "(stack example: --stack to name another)" in out
    assert {r["name"] for r in doc["resources"]} >= {
        naming.group_assignment("own-emea"),
        naming.user_assignment("dana.lee@example.com"),
    }
    run_adopt(tmp_path, str(EXAMPLE), "--stack", "acme-prod", app_id=app_id)
    assert f"pulumi up --replace '{emea.replace(':example::', ':acme-prod::')}'" in flat(capsys.readouterr().out)


def test_group_members_and_rule_are_imported(okta_server, fake_org, app_id, tmp_path, capsys):
    """Every resource the program declares, `okta.GroupMemberships` (import id
    `<group_id>/true`: track_all_users as declared) and `okta.group.Rule` (`<rule_id>`, the
    rule found by its name, the group's, among those assigning that group) included."""
    data = yaml.safe_load(EXAMPLE.read_text())
    data["groups"][1]["members"] = ["dana.lee@example.com"]
    data["groups"][2]["rule"] = 'user.department == "Sales"'
    config = tmp_path / "example.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    emea, us = fake_org.find_group("Own EMEA"), fake_org.find_group("Own US")
    okta_server.fake.add_group_rule("Own US", [emea], 'user.department == "Sales"')  # another group's
    rule = okta_server.fake.add_group_rule("Own US", [us], 'user.department == "Sales"')
    okta_server.fake.add_group_rule("Own US (old)", [us], 'user.department == "Ops"')
    code, doc, _ = run_adopt(tmp_path, str(config), app_id=app_id)
    assert code == 0
    declared = {(r.type, r.name) for r in build_plan(config).resources}
    assert {(r["type"], r["name"]) for r in doc["resources"]} == declared
    res = by_name(doc)
    assert res[naming.group_memberships("own-emea")] == {
        "type": "okta:index/groupMemberships:GroupMemberships",
        "name": naming.group_memberships("own-emea"),
        "id": f"{emea}/true",
        "parent": naming.COMPONENT,
    }
    assert res[naming.group_rule("own-us")]["type"] == "okta:group/rule:Rule"
    assert res[naming.group_rule("own-us")]["id"] == rule
    assert ("GET", "/api/v1/groups/rules", {"limit": "200", "search": "Own US"}) in okta_server.fake.requests


def test_group_rule_missing_is_left_for_pulumi_up(fake_org, app_id, tmp_path, capsys):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["groups"][2]["rule"] = 'user.department == "Sales"'
    config = tmp_path / "example.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    code, doc, _ = run_adopt(tmp_path, str(config), app_id=app_id)
    assert code == 0 and naming.group_rule("own-us") not in by_name(doc)
    assert "no group rule named 'Own US' assigns the group" in flat(capsys.readouterr().out)


def test_manual_mode_imports_no_connection_or_features(okta_server, tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["app"].update(provisioning="manual", manual_steps_done=True)
    config = tmp_path / "manual.yaml"
    config.write_text(yaml.safe_dump(data))
    org, _ = pulumi_up(config, connection_api=False)
    okta_server.fake.serve(org)
    code, doc, _ = run_adopt(tmp_path, str(config), app_id=app_id_of(org))
    assert code == 0
    names = by_name(doc)
    assert naming.CONNECTION not in names and naming.FEATURES not in names
    assert naming.REGIONS_ATTRIBUTE in names and naming.group_assignment(naming.slug("Own US")) in names


def test_unknown_connection_is_not_imported_under_api(okta_server, api_example, tmp_path, capsys):
    org, _ = pulumi_up(api_example, connection_api=False)
    okta_server.fake.serve(org)
    _, doc, _ = run_adopt(tmp_path, str(api_example), app_id=app_id_of(org))
    assert naming.CONNECTION not in by_name(doc)
    assert "use provisioning: manual" in flat(capsys.readouterr().out)


def test_adopt_only_reads_and_prints_no_secret(okta_server, app_id, tmp_path, capsys):
    run_adopt(tmp_path, app_id=app_id)
    assert {m for m, _, _ in okta_server.fake.requests} == {"GET"}
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err + (tmp_path / "import.json").read_text()


def test_unknown_app_id_and_bad_credentials_exit_2(monkeypatch, app_id, tmp_path, capsys):
    assert main(["adopt", str(EXAMPLE), "--app-id", "0oaNOPE", "--output", str(tmp_path / "x.json")]) == 2
    assert "no app with id 0oaNOPE" in capsys.readouterr().err
    monkeypatch.setenv("OKTA_API_TOKEN", "bad-token-SECRET")
    assert main(["adopt", str(EXAMPLE), "--app-id", app_id, "--output", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert "Okta rejected the API token" in err and "bad-token-SECRET" not in err
    assert not (tmp_path / "x.json").exists()


def test_stdout_output(app_id, tmp_path, capsys):
    assert main(["adopt", str(EXAMPLE), "--app-id", app_id, "--output", "-"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["resources"][0]["component"] is True
    assert "Wrote <stdout>" in captured.err


def test_group_whose_case_differs_in_okta_is_imported_not_duplicated(fake_org, app_id, tmp_path, capsys):
    """Okta group names are case-insensitive: importing must map the live group, or
    `pulumi up` would create a second one next to it."""
    emea = fake_org.find_group("Own EMEA")
    fake_org.update_group(emea, "own emea", None)
    code, doc, _ = run_adopt(tmp_path, app_id=app_id)
    names = by_name(doc)
    assert code == 0
    assert names[naming.group(naming.slug("Own EMEA"))]["id"] == emea
    assert naming.group_assignment(naming.slug("Own EMEA")) in names
    assert "no Okta group named" not in capsys.readouterr().out


def test_summary_fits_100_columns_unless_wide(fake_org, app_id, tmp_path, capsys):
    """The README: "Text output fits 100 columns (`--wide` for all of it)"."""
    fake_org.put_group_assignment(app_id, fake_org.find_group("Own EMEA"), None, {"regions": "emea2"})
    gid = fake_org.add_group_by_hand("Contractors with a rather long group name for the table")
    fake_org.put_group_assignment(app_id, gid, 5, {"regions": "us1,emea2,uk1"})
    assert run_adopt(tmp_path, app_id=app_id)[0] == 1
    narrow = capsys.readouterr().out
    assert run_adopt(tmp_path, str(EXAMPLE), "--wide", app_id=app_id)[0] == 1
    wide = capsys.readouterr().out
    # a command naming a URN is printed whole (copyable), whatever the width
    commands = [line for line in narrow.splitlines() if line.strip().startswith("pulumi up --replace 'urn:")]
    assert commands and all(" " not in line.strip()[len("pulumi up --replace ") :] for line in commands)
    assert max(len(line) for line in narrow.splitlines() if line not in commands) <= 100
    assert max(len(line) for line in wide.splitlines()) > 100
    prose = "Declared by the program"  # after the table: wrapped, never cut
    assert flat(narrow[narrow.index(prose) :]) == flat(wide[wide.index(prose) :])
    assert sorted("".join(narrow.split())) == sorted("".join(wide.split()))  # the table: nothing cut either
    assert "STOP: the `regions` value of Own EMEA differs from the config" in flat(narrow)
    assert "pulumi up --replace 'urn:pulumi:example::ownscim::" in flat(narrow)
