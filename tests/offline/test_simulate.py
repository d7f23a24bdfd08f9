"""End to end, offline: declared resources -> emulated Okta -> real receiver on 127.0.0.1.

Each scenario of Own's setup page, and each silent mistake, with the message that names it.
"""

from __future__ import annotations

import http.server
import json
import os
import secrets
import threading
from pathlib import Path

import pytest
import yaml

from ownscim_infra.config import ConfigError
from ownscim_infra.config.directory import load_directory, parse_directory
from ownscim_infra.offline.plan import build_plan
from ownscim_infra.offline.report_text import render_text
from ownscim_infra.offline.simulate import State, run_simulation, simulate
from ownscim_infra.receiver import ReceiverSettings, serve_in_background
from tests.cli.runner import ownscim
from tests.conftest import EXAMPLE, REPO, example_data

DIRECTORY = REPO / "config" / "example-directory.yaml"
ALL = ("us1", "emea2", "uk1")


def texts(reasons) -> list[str]:
    """The reasons' text, as a reader sees them."""
    return [r.text for r in reasons]


def users(report) -> dict:
    return {u.login: u for u in report.users}


@pytest.fixture(scope="module")
def example_report():
    return simulate(EXAMPLE, DIRECTORY)


@pytest.fixture
def receiver(tmp_path):
    """A receiver for the example account, and its token."""
    token = secrets.token_urlsafe(16)
    settings = ReceiverSettings(regions=ALL, token=token, db_path=tmp_path / "own.db")
    with serve_in_background(settings) as handle:
        yield handle, token


def state(config_path=EXAMPLE, directory_path=DIRECTORY) -> State:
    return State(build_plan(config_path), load_directory(directory_path), str(directory_path))


def test_example_every_user_in_the_right_regions(example_report):
    assert example_report.ok, example_report.findings
    u = users(example_report)
    # assign by group
    assert u["lukas.weber@example.com"].own.regions == ("emea2", "uk1")
    assert u["lukas.weber@example.com"].assignment == "group Own EMEA (priority 2)"
    assert u["jordan.kim@example.com"].own.regions == ("us1",)
    # an existing group looked up by name
    assert u["alex.morgan@example.com"].assignment == "group Salesforce Admins (priority 4)"
    for user in u.values():
        if user.own:
            assert (user.own.active, user.own.role, user.own.business_unit) == (
                True,
                "Read-only",
                "Default Business Unit",
            )


def test_two_groups_priority_decides(example_report):
    u = users(example_report)
    assert u["emma.clarke@example.com"].assignment == "group Own EMEA (priority 2)"
    assert u["emma.clarke@example.com"].regions_sent == "emea2,uk1"
    assert set(u["emma.clarke@example.com"].own.regions) == {"emea2", "uk1"}
    assert u["priya.nair@example.com"].own.regions == ALL


def test_direct_assignment_with_and_without_regions(example_report):
    u = users(example_report)
    dana = u["dana.lee@example.com"]  # in Own US (us1), directly assigned emea2
    assert dana.assignment == "direct" and dana.regions_sent == "emea2" and dana.own.regions == ("emea2",)
    sam = u["sam.rivera@example.com"]
    assert sam.assignment == "direct" and sam.regions_sent is None and sam.own.regions == ALL


def test_unassigned_user_is_never_provisioned(example_report):
    chris = users(example_report)["chris.doe@example.com"]
    assert chris.assignment == "not assigned" and chris.own is None and chris.ok
    assert chris.requests == []


def test_okta_requests_lookup_then_create(example_report):
    lukas = users(example_report)["lukas.weber@example.com"]
    assert lukas.requests == ['GET /Users?filter=userName eq "lukas.weber@example.com" -> 200', "POST /Users -> 201"]


def directory_with(tmp_path, who: str, **changes) -> Path:
    """The example directory with one user's entries changed, written to a file."""
    directory = yaml.safe_load(DIRECTORY.read_text())
    for user in directory["users"]:
        if user["login"] == who:
            user.update(changes)
    path = tmp_path / f"directory-{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump(directory))
    return path


def test_unassign_removes_the_user_from_own(tmp_path):
    # Own: "Deprovisioning removes user accounts"
    after = directory_with(tmp_path, "lukas.weber@example.com", groups=[])
    report = simulate(EXAMPLE, after, previous=(EXAMPLE, DIRECTORY))
    lukas = users(report)["lukas.weber@example.com"]
    assert report.ok
    assert lukas.expected.state == "inactive" and lukas.own is None and lukas.ok
    assert lukas.changes == ["deactivated"]
    assert lukas.requests[-1].startswith("PATCH /Users/") and lukas.requests[-1].endswith("-> 200")
    # the cause (an admin took him out of Own EMEA) and what to do (issue 22.7)
    assert lukas.cause == "removed from group 'Own EMEA' (a membership change in Okta)"
    line = "lukas.weber@example.com: deactivated because removed from group 'Own EMEA' (a membership change in Okta)"
    assert f"  {line}; what to do: confirm the person is meant to lose Own" in render_text(report, width=None)


def test_unassign_with_deactivation_keep_deactivates_and_keeps_regions(tmp_path):
    after = directory_with(tmp_path, "lukas.weber@example.com", groups=[])
    report = simulate(EXAMPLE, after, previous=(EXAMPLE, DIRECTORY), deactivation="keep")
    lukas = users(report)["lukas.weber@example.com"]
    assert report.ok
    assert lukas.expected.state == "inactive"
    assert lukas.own.active is False and lukas.own.regions == ("emea2", "uk1")  # deactivated, not deleted
    assert lukas.requests[-1].startswith("PATCH /Users/") and lukas.requests[-1].endswith("-> 200")


def test_region_move_recreates_the_user_in_the_new_regions_with_role_and_unit_reset(write_config):
    """Own's region move as Okta performs it: the program replaces the assignment (delete
    first), so Okta deactivates, and Own removes the account (its documented deprovisioning);
    on re-assignment Okta's lookup finds nothing and creates the user in the new regions,
    Read-only in the Default Business Unit again: the move reaches Own, and the report says
    what it resets."""
    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]  # Own US: us1 -> emea2
    report = simulate(write_config(data), DIRECTORY, previous=(EXAMPLE, DIRECTORY))
    jordan = users(report)["jordan.kim@example.com"]
    methods = [r.split(" ")[0] for r in jordan.requests]
    assert methods == ["GET", "POST", "PATCH", "GET", "POST"]
    assert jordan.before.regions == ("us1",)
    assert (jordan.own.active, jordan.own.regions) == (True, ("emea2",))
    assert (jordan.own.role, jordan.own.business_unit) == ("Read-only", "Default Business Unit")
    assert jordan.ok and jordan.changes == ["re-created", "moved"]
    assert "move-not-in-own" not in jordan.changes
    [why] = [r for r in texts(jordan.reasons) if "created it anew" in r]
    assert "in emea2, Read-only in the Default Business Unit" in why
    assert "a role or business unit an admin set in Own is lost" in why
    out = render_text(report, width=None)
    assert "re-created, moved" in out and f"jordan.kim@example.com: {why}" in out
    assert out.count("--deactivation keep") == 1  # the alternative, named once


def test_region_move_with_deactivation_keep_reactivates_with_the_old_regions(write_config):
    """With a receiver that keeps deactivated users (``deactivation="keep"``), Okta finds the
    user deactivated and reactivates it; it pushes no profile (Update User Attributes is off),
    so the new regions do not reach Own: the report says so instead of claiming the move worked."""
    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]  # Own US: us1 -> emea2
    report = simulate(write_config(data), DIRECTORY, previous=(EXAMPLE, DIRECTORY), deactivation="keep")
    jordan = users(report)["jordan.kim@example.com"]
    methods = [r.split(" ")[0] for r in jordan.requests]
    assert methods == ["GET", "POST", "PATCH", "GET", "PATCH"]
    assert jordan.own.active is True and jordan.own.regions == ("us1",)
    assert not jordan.ok and jordan.changes == ["re-provisioned", "move-not-in-own"]
    assert any(
        "reactivated it (PATCH active:true)" in r and "Own keeps the regions" in r for r in texts(jordan.reasons)
    )
    assert not report.ok


def test_renamed_business_unit_fails_creates_and_stores_nothing():
    report = simulate(EXAMPLE, DIRECTORY, business_unit="Sales BU")
    assert not report.ok
    for user in report.users:
        assert user.own is None
    lukas = users(report)["lukas.weber@example.com"]
    assert any("POST /Users -> " in r and "Default Business Unit" in r for r in texts(lukas.reasons))


def test_manual_provisioning_uses_documented_settings():
    report = simulate(EXAMPLE, DIRECTORY)  # provisioning: manual, manual_steps_done: true
    assert report.ok
    assert report.capabilities_source == "set by hand in the Admin Console"
    assert report.capabilities == {
        "lifecycleCreate": "ENABLED",
        "lifecycleDeactivate": "ENABLED",
        "profile": "DISABLED",
        "password": "DISABLED",
    }


def test_manual_before_steps_done_provisions_nobody(write_config):
    """The documented intermediate state: nothing is assigned until the console steps are done."""
    data = example_data()
    data["app"].pop("manual_steps_done")
    report = simulate(write_config(data), DIRECTORY)
    assert report.ok and report.findings == []
    assert all(u.own is None and u.expected.state == "absent" for u in report.users)
    assert users(report)["lukas.weber@example.com"].expected.via == "no assignment until app.manual_steps_done"


def test_already_provisioned_users_get_nothing_sent(receiver):
    handle, token = receiver
    run_simulation(state(), handle.base_url, token)
    again = run_simulation(state(), handle.base_url, token)
    assert again.ok
    lukas = users(again)["lukas.weber@example.com"]
    assert lukas.sent is False and lukas.requests == ['GET /Users?filter=userName eq "lukas.weber@example.com" -> 200']
    assert "nothing sent (already in Own)" in render_text(again, width=None)


# --------------------------------------------------------------------------- the silent mistakes


def mutate(plan, type_token, **inputs):
    for r in plan.resources:
        if r.type == type_token:
            r.inputs.update(inputs)
    return plan


def test_mistake_attribute_in_a_namespace_own_does_not_read(receiver):
    handle, token = receiver
    current = state()
    mutate(
        current.plan,
        "okta:index/appUserSchemaProperty:AppUserSchemaProperty",
        externalNamespace="urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    )
    report = run_simulation(current, handle.base_url, token)
    assert not report.ok
    assert report.findings[0].code == "regions-namespace"
    assert "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" in report.findings[0].message
    lukas = users(report)["lukas.weber@example.com"]
    assert not lukas.ok
    assert any(r.startswith("cause: the regions attribute's externalNamespace is") for r in texts(lukas.reasons))


def test_mistake_attribute_missing_while_assignments_exist(receiver):
    handle, token = receiver
    current = state()
    current.plan.resources[:] = [
        r for r in current.plan.resources if r.type != "okta:index/appUserSchemaProperty:AppUserSchemaProperty"
    ]
    report = run_simulation(current, handle.base_url, token)
    assert [f.code for f in report.findings] == ["regions-attribute-missing"]
    lukas = users(report)["lukas.weber@example.com"]
    assert lukas.regions_sent is None and lukas.own.regions == ALL
    assert "Own holds regions us1, emea2, uk1; the config means emea2, uk1" in texts(lukas.reasons)


def test_mistake_update_user_attributes_enabled(receiver, api_example):
    handle, token = receiver
    before, current = state(api_example), state(api_example)
    for s in (before, current):
        for r in s.plan.resources:
            if r.type == "okta:app/features:Features":
                r.inputs["capabilities"]["update"]["profile"]["status"] = "ENABLED"
    # a change of regions applied in place (a program without the replacement) now reaches
    # Own as a profile push, which Own refuses
    for s in (before, current):
        for r in s.plan.resources:
            if r.type == "okta:app/groupAssignment:GroupAssignment":
                r.options.update(ignoreChanges=[], replacementTrigger=None, deleteBeforeReplace=False)
    for r in current.plan.resources:
        if r.type == "okta:app/groupAssignment:GroupAssignment" and r.inputs["priority"] == 3:
            r.inputs["profile"] = json.dumps({"regions": "emea2"})
    report = run_simulation(current, handle.base_url, token, previous=before)
    assert "capability-profile" in [f.code for f in report.findings]
    message = next(f.message for f in report.findings if f.code == "capability-profile")
    assert message.startswith("Update User Attributes (profile) is ENABLED") and "Own does not support it" in message
    jordan = users(report)["jordan.kim@example.com"]
    assert any(r.startswith("PUT /Users/") and "-> 400" in r for r in jordan.requests)
    assert any("receiver answered PUT" in r for r in texts(jordan.reasons))


def set_capability(plan, where: str, name: str, status: str) -> None:
    for r in plan.resources:
        if r.type == "okta:app/features:Features":
            r.inputs["capabilities"][where][name]["status"] = status


def test_mistake_create_users_off_creates_nobody(receiver, api_example):
    handle, token = receiver
    current = state(api_example)
    set_capability(current.plan, "create", "lifecycleCreate", "DISABLED")
    report = run_simulation(current, handle.base_url, token)
    assert "capability-lifecycleCreate" in [f.code for f in report.findings]
    lukas = users(report)["lukas.weber@example.com"]
    assert lukas.own is None and [r.split(" ")[0] for r in lukas.requests] == ["GET"]
    assert "not created: Create Users (lifecycleCreate) is not enabled" in texts(lukas.reasons)


def test_mistake_deactivate_users_off_leaves_unassigned_users_active(receiver, tmp_path, api_example):
    handle, token = receiver
    after = directory_with(tmp_path, "lukas.weber@example.com", groups=[])
    before, current = state(api_example), state(api_example, directory_path=after)
    for s in (before, current):
        set_capability(s.plan, "update", "lifecycleDeactivate", "DISABLED")
    report = run_simulation(current, handle.base_url, token, previous=before)
    lukas = users(report)["lukas.weber@example.com"]
    assert lukas.own.active is True and not lukas.ok
    assert "still active in Own after being unassigned" in texts(lukas.reasons)
    assert "not deactivated: Deactivate Users (lifecycleDeactivate) is not enabled" in texts(lukas.reasons)


def test_mistake_two_groups_with_the_same_priority(receiver):
    handle, token = receiver
    current = state()
    for r in current.plan.resources:
        if r.type == "okta:app/groupAssignment:GroupAssignment" and r.inputs["priority"] == 3:
            r.inputs["priority"] = 2  # Own US ties with Own EMEA
    report = run_simulation(current, handle.base_url, token)
    tie = next(f for f in report.findings if f.code == "priority-tie")
    assert "'Own EMEA', 'Own US' have the same priority 2" in tie.message
    assert not report.ok


def test_mistake_program_ignores_config_priority_is_caught(receiver):
    """A program bug (priorities reversed) shows, since the emulation reads the plan and the
    expectation reads the config: Okta holds the groups in another order than the config's."""
    handle, token = receiver
    current = state()
    assigns = [r for r in current.plan.resources if r.type == "okta:app/groupAssignment:GroupAssignment"]
    for r in assigns:
        r.inputs["priority"] = len(assigns) + 1 - r.inputs["priority"]
    report = run_simulation(current, handle.base_url, token)
    order = next(f for f in report.findings if f.code == "priority-order")
    reversed_order = "Own France, Own DACH, Salesforce Admins, Own US, Own EMEA, Own Admins Global"
    assert f"Okta holds the group assignments in the order {reversed_order}" in order.message
    assert not report.ok
    emma = users(report)["emma.clarke@example.com"]  # Own EMEA + Own US: now Own US wins in Okta
    assert emma.assignment == "group Own US (priority 4)"  # 6 + 1 - 3, reversed


# --------------------------------------------------------------------------- inputs and command


def test_directory_validation_names_file_and_path(tmp_path):
    with pytest.raises(ConfigError) as info:
        parse_directory(
            {
                "users": [
                    {"login": "a@x", "first_name": "A", "last_name": "B", "grups": []},
                    {"login": "A@X", "first_name": "", "last_name": "C"},
                ]
            },
            "d.yaml",
        )
    text = str(info.value)
    assert "d.yaml: users[0] (a@x).grups: unknown key; did you mean `groups`?" in text
    assert "d.yaml: users[1] (A@X).first_name:" in text
    assert "d.yaml: users[1].login: duplicate login: users[0].login already names it" in text


def test_configured_person_missing_from_directory(tmp_path):
    directory = yaml.safe_load(DIRECTORY.read_text())
    directory["users"] = [u for u in directory["users"] if u["login"] != "sam.rivera@example.com"]
    path = tmp_path / "dir.yaml"
    path.write_text(yaml.safe_dump(directory))
    with pytest.raises(ConfigError, match=r"config's person 'sam\.rivera@example\.com' is not in the directory:"):
        simulate(EXAMPLE, path)
    for user in directory["users"]:  # a typo in the directory: the message says which login it nearly is
        if user["login"] == "dana.lee@example.com":
            user["login"] = "dana.lee@exmaple.com"
    path.write_text(yaml.safe_dump(directory))
    with pytest.raises(ConfigError) as info:
        simulate(EXAMPLE, path)
    assert "'dana.lee@example.com' is not in the directory (did you mean dana.lee@exmaple.com?)" in str(info.value)
    plan = build_plan(EXAMPLE, directory=load_directory(path))
    [warning] = [w for w in plan.warnings if w.code == "person-not-in-okta" and "dana" in w.message]
    assert warning.message.startswith(
        "dana.lee@example.com is not in the directory (did you mean dana.lee@exmaple.com?)"
    )


def sim_cmd(*args, env=None):
    """``simulate ARGS`` in this process; ``env``: the whole environment it runs with."""
    changes = None if env is None else {**dict.fromkeys(os.environ), **env}
    return ownscim("simulate", *args, env=changes)


def test_command_text_and_json():
    res = sim_cmd()
    assert res.returncode == 0, res.stderr
    assert "10 users: 10 as the config means, 0 differ; 1 with regions not guaranteed; 0 finding(s)" in res.stdout
    res = sim_cmd("--format", "json")
    assert res.returncode == 0
    doc = json.loads(res.stdout)
    assert doc["ok"] is True and len(doc["users"]) == 10
    # camelCase keys, as plan and review write theirs (regions_sent, update_failed were snake_case)
    keys = set()
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            keys |= set(item)
            stack += item.values()
        elif isinstance(item, list):
            stack += item
    assert {"regionsSent", "updateFailed", "receiverStartedHere", "businessUnit"} <= keys
    assert not [k for k in keys if "_" in k]


def test_command_exits_1_and_says_why():
    res = sim_cmd("--business-unit", "Renamed BU")
    assert res.returncode == 1
    assert "DIFFERS" in res.stdout and "Default Business Unit" in res.stdout


def test_command_exits_2_on_bad_input(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("users: [{login: x, frist_name: X}]\n")
    res = sim_cmd("--directory", str(bad))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert f"{bad}:1:20: users[0] (x).frist_name: unknown key; did you mean `first_name`?" in res.stderr
    env = {k: v for k, v in os.environ.items() if k != "OWN_SCIM_TOKEN"}
    res = sim_cmd("--receiver", "http://127.0.0.1:9/scim/v2", env=env)
    assert res.returncode == 2 and "OWN_SCIM_TOKEN" in res.stderr


def test_command_receiver_problems_are_one_line_exit_2(receiver):
    handle, token = receiver
    env = dict(os.environ, OWN_SCIM_TOKEN="wrong-token")
    res = sim_cmd("--receiver", handle.base_url, env=env)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "rejected the token (401)" in res.stderr and "wrong-token" not in res.stderr
    env["OWN_SCIM_TOKEN"] = token
    for url, message in (
        ("127.0.0.1:9/scim/v2", "must start with http:// or https://"),
        ("http://127.0.0.1:9/scim/v2", "cannot reach the receiver at http://127.0.0.1:9/scim/v2"),
    ):
        res = sim_cmd("--receiver", url, env=env)
        assert res.returncode == 2 and message in res.stderr and "Traceback" not in res.stderr
    res = sim_cmd("--receiver", handle.base_url, env=env)
    assert res.returncode == 0, res.stdout


@pytest.mark.parametrize(
    "answer",
    [
        {"totalResults": "x", "Resources": [{"id": None}]},
        {"totalResults": 1, "Resources": [{"id": None}]},
        {"totalResults": 1, "Resources": ["not a user"]},
        {"totalResults": 0, "Resources": {"id": "x"}},
    ],
    ids=["total-not-a-number", "id-null", "resource-not-an-object", "resources-not-a-list"],
)
def test_command_a_malformed_list_response_is_one_line_exit_2(answer):
    # a receiver answering 200 with such a body made simulate end in a TypeError traceback
    body = json.dumps(answer).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/scim+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/scim/v2"
        res = sim_cmd("--receiver", url, env=dict(os.environ, OWN_SCIM_TOKEN="a-token"))
    finally:
        server.shutdown()
        server.server_close()
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert res.stderr.startswith(f"simulate: the receiver at {url} answered a user lookup"), res.stderr
    assert "is it a SCIM 2.0 server?" in res.stderr and len(res.stderr.splitlines()) == 1


# --------------------------------------------------------------------------- second review


def test_login_case_may_differ_between_directories(tmp_path):
    after = directory_with(tmp_path, "lukas.weber@example.com", login="Lukas.Weber@Example.com")
    report = simulate(EXAMPLE, after, previous=(EXAMPLE, DIRECTORY))
    assert report.ok
    assert [u.login for u in report.users if "lukas" in u.login.lower()] == ["Lukas.Weber@Example.com"]


def test_previous_config_before_the_manual_steps_assigned_nobody(write_config):
    manual = example_data()
    manual["app"].pop("manual_steps_done")
    report = simulate(EXAMPLE, DIRECTORY, previous=(write_config(manual), DIRECTORY))
    assert report.ok  # nobody was assigned before, so nobody is expected inactive
    assert users(report)["lukas.weber@example.com"].sent is True


@pytest.mark.parametrize(("deactivation", "sent"), [("remove", "emea2"), ("keep", None)])
def test_what_okta_sent_is_from_the_last_sync(write_config, deactivation, sent):
    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]
    report = simulate(write_config(data), DIRECTORY, previous=(EXAMPLE, DIRECTORY), deactivation=deactivation)
    jordan = users(report)["jordan.kim@example.com"]
    # removed by Own: created anew with the new regions; kept: only reactivated (PATCH), no regions sent
    assert jordan.sent is (sent is not None) and jordan.regions_sent == sent
    lukas = users(report)["lukas.weber@example.com"]
    assert lukas.sent is False and lukas.ok


def test_user_already_in_own_is_explained(receiver, write_config):
    handle, token = receiver
    run_simulation(state(), handle.base_url, token)
    data = example_data()
    data["groups"][1]["regions"] = ["uk1"]  # Own EMEA: no --previous, Own already has its members
    report = run_simulation(state(write_config(data)), handle.base_url, token)
    lukas = users(report)["lukas.weber@example.com"]
    assert not lukas.ok
    assert "Own already had this user: Okta linked it without sending anything" in " ".join(texts(lukas.reasons))


def test_a_receiver_url_that_is_not_scim_is_an_error(receiver):
    handle, token = receiver
    wrong = handle.base_url.removesuffix("/scim/v2")
    env = dict(os.environ, OWN_SCIM_TOKEN=token)
    res = sim_cmd("--receiver", wrong, env=env)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "is " + wrong + " its SCIM base URL (ending in /scim/v2)?" in res.stderr


def test_a_group_typo_in_the_directory_is_a_finding(tmp_path):
    """A user listed in 'Own EMAE' is silently not assigned: the report says so, with the name meant."""
    typo = directory_with(tmp_path, "lukas.weber@example.com", groups=["Own EMAE"])
    report = simulate(EXAMPLE, typo)
    found = next(f for f in report.findings if f.code == "directory-group-typo")
    assert found.logins == ("lukas.weber@example.com",) and "did you mean 'Own EMEA'?" in found.message
    assert not report.ok
    assert "directory-group-typo" not in {f.code for f in simulate(EXAMPLE, DIRECTORY).findings}  # Everyone is fine


@pytest.mark.parametrize(
    "url, why",
    [
        ("http://user:s3cretPass@127.0.0.1:9/scim/v2", "must not carry credentials"),
        ("http://127.0.0.1:9/scim/v2?token=s3cretPass", "must not have a query string"),
        ("ftp://127.0.0.1/scim/v2#s3cretPass", "must start with http:// or https://"),
    ],
)
def test_a_receiver_url_with_a_secret_is_refused_and_never_echoed(url, why):
    result = ownscim("simulate", "--receiver", url, env={"OWN_SCIM_TOKEN": "t"})
    assert result.returncode == 2 and why in result.stderr
    assert "s3cretPass" not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_a_replacement_shows_the_declared_values_as_review_does(write_config):
    # simulate --previous showed "replacementTrigger", review "regions us1 -> emea2", for one change
    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]  # Own US: us1 -> emea2
    report = simulate(write_config(data), DIRECTORY, previous=(EXAMPLE, DIRECTORY))
    [row] = [line.split() for line in render_text(report).splitlines() if line.strip().startswith("replace ")]
    assert row == ["replace", "own-scim-group-assignment-own-us", "regions", "us1", "->", "emea2", "done"]
