"""``directory pull`` against the fake Okta over real HTTP (127.0.0.1): the file written for
the example config (paged, through a 429), determinism, the atomic write, the file loading
with the directory loader and accepted by ``plan``/``simulate``, profile attributes of rules,
bad credentials and hostile servers (exit 2, one line), and the directory's size bound."""

from __future__ import annotations

import json
import re
from unittest.mock import ANY

import pytest
import yaml

from ownscim_infra.cli import main
from ownscim_infra.config.directory import load_directory, parse_directory
from ownscim_infra.live.directory_pull import render, rule_attributes, wanted
from ownscim_infra.offline.okta_org import OktaOrg
from tests.live.okta_fake import EXAMPLE, TOKEN
from tests.live.test_credentials_oauth import ACCESS_TOKEN, oauth_org  # noqa: F401 (a fixture)

#: The file the example org gives: every member of the config's groups (all assigned to the
#: app), the people, the app's assignees; Chris (only in Everyone, not assigned) is not read.
EXPECTED_USERS = [
    {"login": "alex.morgan@example.com", "first_name": "Alex", "last_name": "Morgan", "groups": ["Salesforce Admins"]},
    {"login": "dana.lee@example.com", "first_name": "Dana", "last_name": "Lee", "groups": ["Own US"]},
    {
        "login": "emma.clarke@example.com",
        "first_name": "Emma",
        "last_name": "Clarke",
        "groups": ["Own EMEA", "Own US"],
    },
    {
        "login": "jordan.kim@example.com",
        "first_name": "Jordan",
        "last_name": "Kim",
        "email": "jordan.kim@corp.example.com",
        "groups": ["Own US"],
    },
    # Own France's rule reads countryCode: the pull writes it (and no other attribute, such as his department)
    {
        "login": "louis.martin@example.com",
        "first_name": "Louis",
        "last_name": "Martin",
        "groups": ["Own France"],
        "countryCode": "FR",
    },
    {"login": "lukas.weber@example.com", "first_name": "Lukas", "last_name": "Weber", "groups": ["Own EMEA"]},
    {
        "login": "mia.schmidt@example.com",
        "first_name": "Mia",
        "last_name": "Schmidt",
        "groups": ["Own DACH"],
        "countryCode": "DE",
    },
    {
        "login": "priya.nair@example.com",
        "first_name": "Priya",
        "last_name": "Nair",
        "groups": ["Own Admins Global", "Own EMEA"],
    },
    {"login": "sam.rivera@example.com", "first_name": "Sam", "last_name": "Rivera", "groups": []},
]
GENERATED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def pull(*args: str) -> int:
    return main(["directory", "pull", *args])


def without_generated_at(text: str) -> str:
    return re.sub(r'"generatedAt": "[^"]*"', '"generatedAt": ""', text)


@pytest.fixture
def served(okta_server, fake_org):
    """The fake serving the example org (two items a page)."""
    return okta_server


def test_writes_the_expected_file_for_the_example_paged_through_a_429(served, tmp_path, capsys):
    fake = served.fake
    emea = f"/api/v1/groups/{fake.org.find_group('Own EMEA')}/users"
    fake.rate_limit(emea, times=1)
    out = tmp_path / "directory.json"
    assert pull(str(EXAMPLE), "--output", str(out)) == 0
    doc = json.loads(out.read_text())
    assert doc["users"] == EXPECTED_USERS
    assert doc["source"] == served.url
    assert GENERATED_AT.match(doc["generatedAt"])
    assert list(doc) == ["source", "generatedAt", "users"]
    # a group of three members took two pages (the second asked with Okta's `after` cursor)
    member_reads = [(p, q) for m, p, q in fake.requests if p.startswith("/api/v1/groups/") and p.endswith("/users")]
    assert any("after" in q for _, q in member_reads)
    # Own EMEA's first page was answered 429, then asked again; its three members took two pages
    assert [q.get("after") for p, q in member_reads if p == emea] == [None, None, ANY]
    # read-only
    assert {m for m, _, _ in fake.requests} == {"GET"}
    err = capsys.readouterr().err
    assert f"wrote {out}: {len(EXPECTED_USERS)} users from {served.url}" in err
    assert TOKEN not in err + out.read_text()


def test_two_pulls_are_byte_identical_but_for_generated_at(served, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert pull(str(EXAMPLE), "--output", str(first)) == 0
    # the org lists its groups' members in another order now: the file does not change
    org = served.fake.org
    org.set_directory(type(org.directory)(users=list(reversed(org.directory.users))))
    assert pull(str(EXAMPLE), "--output", str(second)) == 0
    assert without_generated_at(first.read_text()) == without_generated_at(second.read_text())
    assert first.read_text().count("\n") == len(EXPECTED_USERS) + 2  # one user a line


@pytest.mark.parametrize(
    "failure",
    ["500", "not json", "next link loop"],
)
def test_a_failure_mid_read_leaves_the_existing_file_untouched(served, tmp_path, capsys, failure):
    from starlette.responses import JSONResponse, Response

    fake = served.fake
    out = tmp_path / "directory.json"
    out.write_text("users: []  # the previous pull\n")
    group = fake.org.find_group("Own US")
    path = f"/api/v1/groups/{group}/users"

    def respond(request):
        if failure == "500":
            return JSONResponse({"errorCode": "E0000009", "errorSummary": "Internal Server Error"}, status_code=500)
        if failure == "not json":
            return Response("<html>maintenance</html>", media_type="application/json")
        response = JSONResponse([{"id": "00u1", "status": "ACTIVE", "profile": {"login": "x@example.com"}}])
        response.headers.append("Link", f'<{served.url}{path}?limit=200>; rel="next"')
        return response

    fake.answer(path, respond)
    assert pull(str(EXAMPLE), "--output", str(out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and path in err, err
    assert TOKEN not in err
    assert out.read_text() == "users: []  # the previous pull\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["directory.json"]  # no temporary file left


def test_an_answer_the_directory_cannot_hold_exits_2_in_one_line(served, tmp_path, capsys, write_config):
    """A member whose attribute a rule reads is an object (Okta holds strings, numbers,
    booleans and arrays): refused before anything is written."""
    from starlette.responses import JSONResponse

    fake = served.fake
    group = fake.org.find_group("Own US")
    path = f"/api/v1/groups/{group}/users"
    member = {"id": "00u1", "status": "ACTIVE", "profile": {"login": "x@example.com", "department": {"a": 1}}}
    fake.answer(path, lambda request: JSONResponse([member]))
    data = yaml.safe_load(EXAMPLE.read_text())
    data["groups"].append({"name": "Own Sales", "regions": ["us1"], "rule": 'user.department == "Sales"'})
    out = tmp_path / "d.json"
    out.write_text("{}\n")
    assert pull(str(write_config(data)), "--output", str(out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not make a valid directory file" in err and "department" in err, err
    assert out.read_text() == "{}\n"


def test_the_written_file_loads_and_plan_and_simulate_accept_it(served, tmp_path, capsys):
    out = tmp_path / "pulled.yaml"
    assert pull(str(EXAMPLE), "--output", str(out)) == 0
    directory = load_directory(out)
    assert [u.login for u in directory.users] == [u["login"] for u in EXPECTED_USERS]
    assert directory.source == served.url and directory.generatedAt is not None
    capsys.readouterr()
    assert main(["plan", str(EXAMPLE), "--directory", str(out)]) == 0
    assert main(["simulate", str(EXAMPLE), "--directory", str(out)]) == 0
    assert "priya.nair@example.com" in capsys.readouterr().out


def _org_with_attributes() -> OktaOrg:
    directory = parse_directory(
        {
            "users": [
                {"login": "bo@example.com", "groups": ["Own DE"], "department": "Sales", "countryCode": "DE"},
                {
                    "login": "cy@example.com",
                    "first_name": "Cy",
                    "last_name": "Cole",
                    "groups": ["Own DE", "Everyone"],
                    "countryCode": "FR",
                    "title": "not read by any rule",
                    "profile": {"ownTeam": "backup", "shoeSize": 44},
                },
                {"login": "di@example.com", "first_name": "Di", "last_name": "Dee", "department": "Sales"},
                {"login": "ed@example.com", "first_name": "Ed", "last_name": "Eve", "groups": ["Own DE"]},
            ]
        }
    )
    org = OktaOrg(directory)
    org.seed_groups(["Everyone", "Own DE"])
    return org


def test_writes_the_attributes_the_rules_read_and_the_members_listed(served, tmp_path, write_config):
    """No app yet (no assignees); a group by name (its members), a login a group's
    ``members`` lists, the attributes of the rules (base ones by name, custom under
    ``profile``), names only when Okta has them, a deactivated member left out."""
    fake = served.fake
    fake.serve(_org_with_attributes())
    fake.user_status[fake.org.find_user_id("ed@example.com")] = "DEPROVISIONED"
    data = yaml.safe_load(EXAMPLE.read_text())
    data["people"] = []
    data["groups"] = [
        {"name": "own de", "regions": ["emea2"], "rule": 'user.countryCode == "DE" or user.department == "Sales"'},
        {"name": "Own Team", "regions": ["us1"], "rule": 'String.startsWith(user.ownTeam, "back")'},
        {"name": "Own Named", "regions": ["us1"], "members": ["di@example.com", "nobody@example.com"]},
    ]
    out = tmp_path / "d.json"
    assert pull(str(write_config(data)), "--output", str(out)) == 0
    assert json.loads(out.read_text())["users"] == [
        {"login": "bo@example.com", "groups": ["Own DE"], "countryCode": "DE", "department": "Sales"},
        {
            "login": "cy@example.com",
            "first_name": "Cy",
            "last_name": "Cole",
            "groups": ["Own DE"],
            "countryCode": "FR",
            "profile": {"ownTeam": "backup"},
        },
        {"login": "di@example.com", "first_name": "Di", "last_name": "Dee", "groups": [], "department": "Sales"},
    ]
    assert load_directory(out).user("bo@example.com").attributes["department"] == "Sales"


def test_several_configs_are_merged(served, tmp_path, write_config):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["groups"] = [g for g in data["groups"] if g["name"] == "Own EMEA"]
    data["people"] = []
    other = yaml.safe_load(EXAMPLE.read_text())
    other["app"]["label"] = "Own Sandbox"  # no such app
    other["groups"] = [g for g in other["groups"] if g["name"] == "Salesforce Admins"]
    other["people"] = [{"login": "chris.doe@example.com"}]
    out = tmp_path / "d.json"
    assert pull(str(write_config(data)), str(write_config(other)), "--output", str(out)) == 0
    logins = [u["login"] for u in json.loads(out.read_text())["users"]]
    # the app's groups and assignees come from the first config's app; chris from the second's people
    assert "chris.doe@example.com" in logins and "alex.morgan@example.com" in logins


def test_a_service_app_pulls_with_the_three_read_scopes_only(oauth_org, tmp_path, capsys):  # noqa: F811
    app, pem = oauth_org
    out = tmp_path / "d.json"
    assert pull(str(EXAMPLE), "--output", str(out)) == 0
    assert json.loads(out.read_text())["users"] == EXPECTED_USERS
    (request,) = app.token_requests
    assert sorted(request["scope"]) == ["okta.apps.read", "okta.groups.read", "okta.users.read"]
    assert app.authorizations and all(a == f"Bearer {ACCESS_TOKEN}" for a in app.authorizations)
    err = capsys.readouterr().err
    assert pem.splitlines()[1] not in err + out.read_text() and ACCESS_TOKEN not in err + out.read_text()


def test_rejected_credentials_exit_2_in_one_line_without_the_token(served, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OKTA_API_TOKEN", "wrong-" + TOKEN)
    out = tmp_path / "d.json"
    assert pull(str(EXAMPLE), "--output", str(out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "HTTP 401" in err and TOKEN not in err
    assert not out.exists()


def test_missing_credentials_and_missing_config_exit_2(served, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("OKTA_API_TOKEN")
    assert pull(str(EXAMPLE), "--output", str(tmp_path / "d.json")) == 2
    assert "OKTA_API_TOKEN" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        pull("--output", str(tmp_path / "d.json"))  # a live org: no default config
    assert exited.value.code == 2
    assert "CONFIG" in capsys.readouterr().err


def test_an_output_that_cannot_be_written_exits_2(served, tmp_path, capsys):
    out = tmp_path / "missing-folder" / "d.json"
    assert pull(str(EXAMPLE), "--output", str(out)) == 2
    assert f"{out}: cannot write the file" in capsys.readouterr().err


# --------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize(
    ("rule", "attributes"),
    [
        ('user.department == "EMEA"', {"department"}),
        ('user.countryCode == "DE" or not (user.city != "Paris")', {"countryCode", "city"}),
        ('Arrays.contains(user.teams, "x") and String.startsWith(user.title, "VP")', {"teams", "title"}),
        ('isMemberOfAnyGroup("00g1")', set()),
    ],
)
def test_rule_attributes_are_those_the_expression_reads(rule, attributes):
    assert rule_attributes(rule) == attributes


def test_an_expression_outside_the_subset_reads_every_base_attribute_and_those_it_names():
    found = rule_attributes('user.employeeId > "5" ? user.shoeSize : user.getGroups()')
    assert {"department", "countryCode", "managerId", "employeeId", "shoeSize"} <= found
    assert "getGroups" not in found


def test_wanted_collects_groups_once_logins_and_attributes(write_config):
    from ownscim_infra.config import load_config

    data = yaml.safe_load(EXAMPLE.read_text())
    data["groups"].append({"name": "Own R", "regions": ["us1"], "rule": 'user.login == "a" and user.city == "b"'})
    other = yaml.safe_load(EXAMPLE.read_text())
    other["groups"] = [{"name": "OWN us", "regions": ["us1"], "create": False}]
    other["people"] = [{"login": "SAM.rivera@example.com"}, {"login": "zoe@example.com"}]
    want = wanted([load_config(write_config(data)), load_config(write_config(other))])
    assert want.names.count("Own US") == 1 and "OWN us" not in want.names  # one group, as Okta names go
    # Own DACH's members first (groups come before people), then the people, each once
    assert want.logins == (
        "mia.schmidt@example.com",
        "dana.lee@example.com",
        "sam.rivera@example.com",
        "zoe@example.com",
    )
    assert want.attributes == {"city", "countryCode"}  # Own France's rule and Own R's; login has its own key


def test_render_is_json_that_yaml_reads_too():
    doc = {"source": "https://a.okta.com", "generatedAt": "2026-01-01T00:00:00Z", "users": [{"login": "é@x"}]}
    text = render(doc)
    assert json.loads(text) == doc == yaml.safe_load(text)
    assert text.isascii()
    assert json.loads(render({**doc, "users": []}))["users"] == []


# --------------------------------------------------------------------------- size bound


def test_a_100000_user_directory_loads(tmp_path):
    """The directory's own bound (the config reader's would stop at about 8,000 users)."""
    users = [
        {"login": f"user{i:06d}@example.com", "first_name": "F", "last_name": f"L{i}", "groups": ["Own EMEA"]}
        for i in range(100_000)
    ]
    path = tmp_path / "big.json"
    path.write_text(render({"source": "https://a.okta.com", "generatedAt": "2026-01-01T00:00:00Z", "users": users}))
    directory = load_directory(path)  # the time it takes: benchmarks/directory_bench.py
    assert len(directory.users) == 100_000 and directory.user("USER099999@example.com") is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"users": [], "users": []}', "key 'users' is given twice"),
        ('{"users": [\n  {"login": }]}', ":2:13: not JSON: Expecting value"),
        ('{"users": [{"login": "a@x", "first_nam": "A"}]}', "users[0] (a@x).first_nam: unknown key"),
        ('{"users": [], "generatedAt": "yesterday"}', "generatedAt: must be an ISO 8601 time"),
        ('{"users": [], "source": "https://tok:en@a.okta.com"}', "source"),
        ('{"users": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ],
)
def test_a_bad_json_directory_is_refused_naming_the_file(tmp_path, text, message):
    from ownscim_infra.config.errors import ConfigError

    path = tmp_path / "d.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_directory(path)
    assert message in str(refused.value) and str(path) in str(refused.value)


LOUIS = "louis.martin@example.com"


def _remove_louis_by_hand(org: OktaOrg) -> None:
    """An admin removed Louis, whom Own France's rule manages, from the group: Okta excludes
    him from the rule (Okta's help, "Manual group user management"), and he is in no group."""
    from tests.live.test_verify_groups import console

    console(org, {"action": "remove-member", "group": "Own France", "login": LOUIS})
    org.settle()


def test_a_rules_exclusions_are_pulled_with_the_excluded_user(served, tmp_path):
    """The rule named after a config's rule group, read as ``verify`` reads it: its
    ``conditions.people.users.exclude`` under ``rules``, each excluded user read too (Louis is
    in no group the config names and has no assignment: only the rule names him)."""
    _remove_louis_by_hand(served.fake.org)
    out = tmp_path / "d.json"
    assert pull(str(EXAMPLE), "--output", str(out)) == 0
    doc = json.loads(out.read_text())
    assert doc["rules"] == {"Own France": {"excluded": [LOUIS]}}
    assert list(doc) == ["source", "generatedAt", "rules", "users"]
    louis = next(u for u in doc["users"] if u["login"] == LOUIS)
    assert louis["groups"] == [] and louis["countryCode"] == "FR"
    assert any(p == "/api/v1/groups/rules" for _, p, _ in served.fake.requests)
    assert load_directory(out).rules["Own France"].excluded == [LOUIS]


def test_a_review_of_a_pulled_org_keeps_the_excluded_person_out_and_names_the_exclusion(served, tmp_path):
    """Without the exclusions in the file the review's emulated rule (created by BASE's run)
    matched Louis (countryCode FR) and put him back in Own France, in Own with emea2: not the
    org. With them, the emulated rule passes over him as Okta's does, and the review names the
    exclusion with its repair, under what was already so (the change does not make it)."""
    from ownscim_infra.domain import repairs
    from ownscim_infra.offline.review import review

    _remove_louis_by_hand(served.fake.org)
    out = tmp_path / "d.json"
    assert pull(str(EXAMPLE), "--output", str(out)) == 0
    result = review(EXAMPLE, EXAMPLE, out)
    louis = next(u for u in result.report.users if u.login == LOUIS)
    assert louis.own is None, "the org's rule excludes him: he never reaches Own"
    (excluded,) = [f for f in result.already_warnings if f.code == "rule-excluded"]
    assert excluded.logins == (LOUIS,) and "excludes louis.martin@example.com" in excluded.message
    assert excluded.steps == (f"Repair: {repairs.rule_exclusion('Own France', LOUIS)}.",)
    assert result.verdict == "safe", "a config reviewed against itself: the exclusion is already so"


def test_simulate_with_refresh_on_a_pulled_org_clears_the_exclusion_and_louis_is_back(served, tmp_path):
    """The repair the finding names: ``pulumi up --refresh`` reads the exclusion (the rule's
    Read), the update clears it, Okta's rule puts Louis back in the group and Own."""
    from ownscim_infra.offline.simulate import simulate

    _remove_louis_by_hand(served.fake.org)
    out = tmp_path / "d.json"
    assert pull(str(EXAMPLE), "--output", str(out)) == 0
    plain = simulate(EXAMPLE, out, previous=(EXAMPLE, out))
    assert next(u for u in plain.users if u.login == LOUIS).own is None
    empty = tmp_path / "console.yaml"
    empty.write_text("")
    refreshed = simulate(EXAMPLE, out, previous=(EXAMPLE, out), console=empty, refresh=True)
    louis = next(u for u in refreshed.users if u.login == LOUIS).own
    assert louis is not None and louis.active and louis.regions == ("emea2",)
