"""``verify``'s ``repair``: for each drift on a live org, the command or Admin Console step that
repairs it (issue 17.4), in the JSON (``repair``) and the text (``Repair:``); ``null`` when
nothing is needed. Why each works: docs/live-org.md, "Repairs"."""

from __future__ import annotations

import json

import pytest
import yaml

from ownscim_infra.cli import main
from ownscim_infra.domain import naming
from ownscim_infra.domain import repairs as repair_text
from ownscim_infra.live.verify import verify
from tests.live.applied import pulumi_up
from tests.live.okta_fake import EXAMPLE

pytestmark = pytest.mark.usefixtures("fake_org")

#: the stack of config/example.yaml by the program's convention, config/<stack>.yaml
STACK = "example"
GROUP_ASSIGNMENT = "okta:app/groupAssignment:GroupAssignment"
APP_USER = "okta:app/user:User"


def json_report(*args: str) -> tuple[int, dict]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["verify", str(EXAMPLE), "--format", "json", *args])
    return code, json.loads(out.getvalue())


def repair_of(doc: dict, check: str, subject: str) -> str | None:
    (found,) = [f for f in doc["findings"] if f["check"] == check and f["subject"] == subject]
    return found["repair"]


def flat(text: str) -> str:
    return " ".join(text.split())


def test_in_sync_org_needs_no_repair():
    code, doc = json_report()
    assert code == 0
    assert {f["repair"] for f in doc["findings"]} == {None}


def test_console_edited_group_regions_is_repaired_by_replace_with_its_urn(fake_org, app_id, capsys):
    """A plain `pulumi up` (or `--refresh`) leaves it: ignore_changes=["profile"] hides the
    diff and the replacement trigger is unchanged; only `pulumi up --replace URN` changes it."""
    fake_org.put_group_assignment(app_id, fake_org.find_group("Own EMEA"), None, {"regions": "us1"})
    code, doc = json_report()
    assert code == 1
    urn = (
        f"urn:pulumi:{STACK}::ownscim::ownscim:okta:OwnScimProvisioning${GROUP_ASSIGNMENT}"
        f"::{naming.group_assignment('own-emea')}"
    )
    repair = repair_of(doc, "group", "Own EMEA")
    assert repair is not None and repair.startswith(f"pulumi up --replace '{urn}'")
    assert "Okta deactivates its users in Own" in repair
    assert {f["repair"] for f in doc["findings"] if f["status"] != "drift"} == {None}
    # the stack named on the command line
    _, doc = json_report("--stack", "acme/ownscim/acme-prod")
    assert f"'{urn.replace(':example::', ':acme-prod::')}'" in repair_of(doc, "group", "Own EMEA")
    # the text lists it after the table, the command whole on its own line (copyable) at any width
    assert main(["verify", str(EXAMPLE)]) == 1
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("Repairs:")
    assert lines[at + 1] == "- group Own EMEA:" and lines[at + 2] == f"    pulumi up --replace '{urn}'"
    assert max(len(line) for line in lines if line != lines[at + 2]) <= 100


def test_person_regions_repair_names_the_direct_assignment(fake_org, app_id):
    fake_org.assign_user(app_id, fake_org.find_user_id("sam.rivera@example.com"), {"regions": "emea2"})
    _, doc = json_report()
    urn = (
        f"urn:pulumi:{STACK}::ownscim::ownscim:okta:OwnScimProvisioning${APP_USER}"
        f"::{naming.user_assignment('sam.rivera@example.com')}"
    )
    repair = repair_of(doc, "person", "sam.rivera@example.com")
    assert repair is not None and repair.startswith(f"pulumi up --replace '{urn}'")
    assert "E0000046" in repair  # a group granting the app makes Okta refuse the unassignment


def test_removed_assignments_and_priorities_are_repaired_by_up_refresh(fake_org, app_id):
    """Removed by hand: the Read answers 404, the refresh drops it from the state, the run
    creates it again; a dragged priority: the Read stores it, the update sets it back."""
    fake_org.delete_group_assignment(app_id, fake_org.find_group("Own US"))
    fake_org.put_group_assignment(app_id, fake_org.find_group("Own EMEA"), 9, None)
    fake_org.unassign_user(app_id, fake_org.find_user_id("sam.rivera@example.com"))
    _, doc = json_report()
    assert repair_of(doc, "group", "Own US") == "pulumi up --refresh"
    assert repair_of(doc, "person", "sam.rivera@example.com") == "pulumi up --refresh"
    emea = next(f for f in doc["findings"] if f["subject"] == "Own EMEA")
    assert emea["message"] == "priority is 9, expected 2" and emea["repair"] == "pulumi up --refresh"


def test_group_scoped_person_is_repaired_in_the_console(fake_org, app_id):
    """The app user's Read answers 200 for a user who has the app through a group: no run
    re-creates the direct assignment."""
    sam = fake_org.find_user_id("sam.rivera@example.com")
    fake_org.unassign_user(app_id, sam)
    fake_org.set_user_groups(sam, ["Own US"])
    _, doc = json_report()
    repair = repair_of(doc, "person", "sam.rivera@example.com")
    assert repair is not None and "pulumi up" not in repair
    assert "Assign to People: sam.rivera@example.com" in repair and "pulumi refresh" in repair


def test_features_and_attribute_drift_repairs(fake_org, app_id):
    """provisioning: manual (the example): the features are the console's; the attribute's
    settings are ForceNew on a protected attribute: the Profile Editor, then refresh."""
    fake_org.set_capability(app_id, "profile", "ENABLED")
    fake_org.put_schema_property(app_id, {**fake_org.apps[app_id].schema["regions"], "scope": "SELF"})
    _, doc = json_report()
    features = repair_of(doc, "features", "USER_PROVISIONING")
    assert features is not None and features.startswith("Admin Console > Applications > Own > Provisioning")
    attribute = repair_of(doc, "regions-attribute", "regions")
    assert attribute is not None and "Profile Editor" in attribute and "`pulumi refresh`" in attribute


def test_features_drift_under_api_is_repaired_by_up_refresh(okta_server, api_example):
    org, run = pulumi_up(api_example)
    assert run.ok
    okta_server.fake.serve(org)
    org.set_capability(next(iter(org.apps)), "profile", "ENABLED")
    features = next(f for f in verify(str(api_example)).findings if f.check == "features")
    assert features.status == "drift" and features.repair == "pulumi up --refresh"


def test_other_groups_and_push_groups_are_repaired_in_the_console(fake_org, app_id):
    gid = fake_org.add_group_by_hand("Contractors")
    fake_org.put_group_assignment(app_id, gid, 5, {"regions": "us1"})
    fake_org.enable_push_groups(app_id)
    _, doc = json_report()
    assert "Assignments: unassign them" in repair_of(doc, "other-groups", "groups not in the config")
    assert "untick Push Groups" in repair_of(doc, "group-push", "Push Groups")


def test_unknown_connection_under_api_names_the_switch_to_manual(okta_server, api_example, capsys):
    org, _ = pulumi_up(api_example, connection_api=False)
    okta_server.fake.serve(org)
    assert main(["verify", str(api_example), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    repair = repair_of(doc, "connection", "provisioning connection")
    assert repair is not None and "app.provisioning: manual" in repair and "app.manual_steps_done: true" in repair


def test_urn_format():
    assert (
        naming.urn("org/ownscim/dev", "okta:app/user:User", "own-scim-user-a@b.c")
        == "urn:pulumi:dev::ownscim::ownscim:okta:OwnScimProvisioning$okta:app/user:User::own-scim-user-a@b.c"
    )
    assert naming.urn("dev", naming.COMPONENT_TYPE, naming.COMPONENT, None) == (
        "urn:pulumi:dev::ownscim::ownscim:okta:OwnScimProvisioning::own-scim"
    )
    project = yaml.safe_load((EXAMPLE.parents[1] / "Pulumi.yaml").read_text())["name"]
    assert project == naming.PROJECT


# --------------------------------------------------------------------------- issue 17.2: an UNKNOWN connection


def test_unknown_connection_with_features_refused_400_reports_unknown_not_exit_2(okta_server, api_example, capsys):
    """Okta answers `GET .../features/USER_PROVISIONING` with `400 E0000001 Api validation
    failed: feature` on an app whose connection is UNKNOWN: verify reports the case (the
    connection drift with the console steps, the features unknown), it does not stop with exit 2."""
    from starlette.requests import Request

    from tests.live.applied import app_id_of
    from tests.live.okta_fake import okta_error

    org, _ = pulumi_up(api_example, connection_api=False)
    okta_server.fake.serve(org)

    def refused(request: Request):
        return okta_error(400, "E0000001", "Api validation failed: feature")

    okta_server.fake.answer(f"/api/v1/apps/{app_id_of(org)}/features/USER_PROVISIONING", refused)
    assert main(["verify", str(api_example), "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert captured.err == ""
    doc = json.loads(captured.out)
    by_check = {f["check"]: f for f in doc["findings"]}
    assert by_check["features"]["status"] == "unknown" and by_check["features"]["repair"] is None
    assert by_check["connection"]["status"] == "drift"
    assert any("Provisioning > Integration" in d for d in by_check["connection"]["details"])
    assert ("GET", f"/api/v1/apps/{app_id_of(org)}/features/USER_PROVISIONING", {}) in okta_server.fake.requests


def test_readme_checks_the_connection_with_verify_not_the_stack_output():
    """The connection's Create sets `status = "ENABLED"` itself after activating
    (terraform-provider-okta resource_okta_app_connection.go, Create): the `connectionStatus`
    output says ENABLED after `pulumi up` even when Okta answers UNKNOWN. Only a Read (refresh)
    or `verify` asks Okta, so the README must send users there."""
    readme = " ".join((EXAMPLE.parents[1] / "README.md").read_text().split())
    assert "check `pulumi stack output connectionStatus` is `ENABLED`" not in readme
    assert "check `pulumi stack output connectionStatus` after `pulumi up`" not in readme
    assert "ownscim_infra verify" in readme and "`pulumi refresh`" in readme
    assert "connectionStatus` says `ENABLED` after `pulumi up` whatever Okta answers" in readme


# --------------------------------------------------------------------------- issue 17.7: the app's label and status


def console(fake_org, app_id, tmp_path, text: str) -> None:
    """The Admin Console actions ``simulate --console`` applies, made on the served org."""
    from ownscim_infra.config.console import load_console
    from ownscim_infra.offline.console import apply_console

    path = tmp_path / "console.yaml"
    path.write_text(text)
    apply_console(fake_org, app_id, load_console(path), path)


def test_a_renamed_app_has_simulates_repair(fake_org, app_id, tmp_path):
    """The label comes back only through the app's Read: the same ``pulumi up --refresh`` text as
    ``simulate --console``'s drift (``tests/offline/test_console_app.py``)."""
    console(fake_org, app_id, tmp_path, "- {action: rename-app, to: Own (old)}\n")
    code, doc = json_report("--app-id", app_id)
    assert code == 1
    (app,) = [f for f in doc["findings"] if f["check"] == "app"]
    assert app["status"] == "drift"
    assert "the app is labelled 'Own (old)' in Okta, the config says 'Own'" in app["message"]
    assert app["repair"] == repair_text.app_label("Own")
    assert app["repair"].startswith("pulumi up --refresh (")


def test_a_deactivated_app_has_simulates_repair(fake_org, app_id, tmp_path):
    console(fake_org, app_id, tmp_path, "- {action: deactivate-app}\n")
    code, doc = json_report()
    assert code == 1
    (app,) = [f for f in doc["findings"] if f["check"] == "app"]
    assert "the app is INACTIVE in Okta (deactivated)" in app["message"]
    assert app["repair"] == repair_text.app_inactive("Own")


def test_a_renamed_and_deactivated_app_names_both_repairs(fake_org, app_id, tmp_path):
    console(fake_org, app_id, tmp_path, "- {action: rename-app, to: Own (old)}\n- {action: deactivate-app}\n")
    _, doc = json_report("--app-id", app_id)
    (app,) = [f for f in doc["findings"] if f["check"] == "app"]
    assert app["repair"] == f"{repair_text.app_label('Own')}; {repair_text.app_inactive('Own')}"


def test_verify_and_simulate_word_a_renamed_and_deactivated_app_alike(fake_org, app_id, tmp_path):
    """The same console actions, on the served org for ``verify`` and in ``simulate --console``:
    the app check's message is the drift's two ``what``s, in the drift's order, and its repair
    their two repairs (one wording: ``domain/repairs.py``)."""
    from tests.conftest import console_run

    actions = "- {action: rename-app, to: Own (old)}\n- {action: deactivate-app}\n"
    report = console_run(tmp_path, actions)
    drifts = [d for d in report.drift if d.resource == "own-scim-app"]
    console(fake_org, app_id, tmp_path, actions)
    _, doc = json_report("--app-id", app_id)
    (app,) = [f for f in doc["findings"] if f["check"] == "app"]
    assert [d.what for d in drifts] and app["message"] == "; ".join(d.what for d in drifts)
    assert app["repair"] == "; ".join(d.repair for d in drifts if d.repair)
