"""Okta's rules as emulated: attribute placement, the create body, which assignment applies."""

from __future__ import annotations

import pytest

from ownscim_infra.config.directory import load_directory, parse_directory
from ownscim_infra.domain.own_setup import okta_fold
from ownscim_infra.offline.engine import Engine
from ownscim_infra.offline.okta_org import OktaOrg
from ownscim_infra.offline.okta_provisioning import (
    Assignment,
    EventKind,
    OktaApp,
    Provisioner,
    RegionsAttribute,
    ResolvedAssignment,
    create_body,
    regions_sent,
    resolve,
)
from ownscim_infra.offline.plan import build_plan
from ownscim_infra.offline.report import fold_events
from ownscim_infra.offline.scim_client import CORE_USER, Exchange
from tests.conftest import REPO

EXAMPLE_DIRECTORY = REPO / "config" / "example-directory.yaml"

DIRECTORY = parse_directory(
    {
        "users": [
            {"login": "ann@example.com", "first_name": "Ann", "last_name": "Ames", "groups": ["EMEA", "US"]},
            {
                "login": "bob@example.com",
                "first_name": "Bob",
                "last_name": "Bell",
                "email": "bob@corp.example",
                "groups": ["us"],
            },
            {"login": "cy@example.com", "first_name": "Cy", "last_name": "Cole", "groups": ["Other"]},
        ]
    }
)


CORRECT_ATTRIBUTE = RegionsAttribute("regions", "urn:ietf:params:scim:schemas:core:2.0", "NONE")


def app(*assignments, attribute=CORRECT_ATTRIBUTE):
    caps = {
        "lifecycleCreate": "ENABLED",
        "lifecycleDeactivate": "ENABLED",
        "profile": "DISABLED",
        "password": "DISABLED",
    }
    return OktaApp(caps, "test", attribute, tuple(assignments))


def group(name, priority, regions):
    return Assignment(f"g-{name}", {"regions": regions}, group=name, priority=priority)


def test_okta_create_body_shape():
    body = create_body(DIRECTORY.users[1], {"regions": "us1"}, app().attribute)
    assert body["schemas"] == [CORE_USER, "urn:ietf:params:scim:schemas:core:2.0"]
    assert body["userName"] == "bob@example.com"
    assert body["name"] == {"givenName": "Bob", "familyName": "Bell"}
    assert body["emails"] == [{"primary": True, "value": "bob@corp.example", "type": "work"}]
    assert body["displayName"] == "Bob Bell" and body["locale"] == "en-US"
    assert body["externalId"].startswith("00u") and len(body["externalId"]) == 20
    assert body["groups"] == [] and body["active"] is True and body["password"]
    assert body["urn:ietf:params:scim:schemas:core:2.0"] == {"regions": "us1"}


@pytest.mark.parametrize(
    "namespace, where",
    [
        (CORE_USER, "top"),
        ("urn:ietf:params:scim:schemas:core:2.0", "nested"),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "nested"),
    ],
)
def test_attribute_placed_by_namespace(namespace, where):
    attribute = RegionsAttribute("regions", namespace, "NONE")
    body = create_body(DIRECTORY.users[0], {"regions": "us1,emea2"}, attribute)
    if where == "top":
        assert body["regions"] == "us1,emea2" and body["schemas"] == [CORE_USER]
    else:
        assert body[namespace] == {"regions": "us1,emea2"} and namespace in body["schemas"]
        assert "regions" not in body
    assert regions_sent(body, attribute) == "us1,emea2"


def test_no_value_or_no_attribute_sends_nothing():
    assert "urn:ietf:params:scim:schemas:core:2.0" not in create_body(DIRECTORY.users[0], {}, app().attribute)
    body = create_body(DIRECTORY.users[0], {"regions": "us1"}, None)
    assert body["schemas"] == [CORE_USER] and regions_sent(body, None) is None


def test_highest_priority_group_wins_and_membership_is_case_insensitive():
    resolved = resolve(app(group("US", 1, "us1"), group("EMEA", 0, "emea2")), DIRECTORY)
    assert resolved["ann@example.com"].via == "group EMEA (priority 0)"
    assert resolved["ann@example.com"].profile == {"regions": "emea2"}
    assert resolved["bob@example.com"].via == "group US (priority 1)"
    assert "cy@example.com" not in resolved


def test_direct_assignment_overrides_groups():
    direct = Assignment("u-ann", {}, login="ANN@example.com")
    resolved = resolve(app(group("EMEA", 0, "emea2"), direct), DIRECTORY)
    assert resolved["ann@example.com"].via == "direct" and resolved["ann@example.com"].profile == {}


def test_same_priority_is_reported_as_a_tie():
    resolved = resolve(app(group("EMEA", 0, "emea2"), group("US", 0, "us1")), DIRECTORY)
    assert resolved["ann@example.com"].tied_with == ("US",)


def test_app_read_from_the_org_after_the_emulated_up(api_example):
    """The app Okta provisions from is the one the emulated engine and provider left in the org."""
    directory = load_directory(EXAMPLE_DIRECTORY)
    org = OktaOrg(directory)
    org.seed_groups(["Salesforce Admins", "Everyone"])
    engine = Engine(org)
    assert engine.up(build_plan(api_example).resources).ok
    org.settle()  # the admins add the created groups' members
    app_id = next(s.id for s in engine.state.values() if s.type == "okta:app/autoLogin:AutoLogin")
    okta_app = OktaApp.from_org(org, app_id)
    assert okta_app.capabilities_source == "USER_PROVISIONING set through Okta's API"
    assert okta_app.enabled("lifecycleCreate") and okta_app.enabled("lifecycleDeactivate")
    assert not okta_app.enabled("profile")
    assert okta_app.attribute == RegionsAttribute("regions", "urn:ietf:params:scim:schemas:core:2.0", "NONE")
    assert [(a.group, a.priority, a.profile) for a in okta_app.groups] == [
        ("Own Admins Global", 1, {"regions": "emea2,uk1,us1"}),
        ("Own EMEA", 2, {"regions": "emea2,uk1"}),
        ("Own US", 3, {"regions": "us1"}),
        ("Salesforce Admins", 4, {"regions": "us1"}),
        ("Own DACH", 5, {"regions": "emea2"}),
        ("Own France", 6, {"regions": "emea2"}),
    ]
    assert okta_app.groups[1].members == {
        "priya.nair@example.com",
        "lukas.weber@example.com",
        "emma.clarke@example.com",
    }
    people = sorted((a.login, a.profile) for a in okta_app.assignments if a.login)
    assert people == [("dana.lee@example.com", {"regions": "emea2"}), ("sam.rivera@example.com", {})]


def test_provisioning_is_off_while_the_connection_is_unknown(api_example):
    """An org where Okta does not serve this app's connection API: nothing is provisioned."""
    org = OktaOrg(load_directory(EXAMPLE_DIRECTORY), connection_api=False)
    org.seed_groups(["Salesforce Admins"])
    engine = Engine(org)
    engine.up(build_plan(api_example).resources)
    app_id = next(s.id for s in engine.state.values() if s.type == "okta:app/autoLogin:AutoLogin")
    okta_app = OktaApp.from_org(org, app_id)
    assert not okta_app.enabled("lifecycleCreate")
    assert okta_app.capabilities_source == "provisioning is off: the connection is UNKNOWN"


# --------------------------------------------------------------------------- the provisioner's events


class FakeOwn:
    """Own as Okta's SCIM client sees it, without HTTP: each request kept as an Exchange."""

    def __init__(self) -> None:
        self.users: dict[str, dict] = {}
        self.exchanges: list[Exchange] = []

    def _answer(self, login: str, method: str, path: str, status: int) -> None:
        self.exchanges.append(Exchange(login, method, path, status))

    def find(self, login: str) -> dict | None:
        self._answer(login, "GET", "/Users?filter=...", 200)
        return self.users.get(login)

    def create(self, login: str, body: dict) -> dict:
        self.users[login] = {"id": f"id-{login}", "active": True}
        self._answer(login, "POST", "/Users", 201)
        return self.users[login]

    def set_active(self, login: str, user_id: str, active: bool) -> bool:
        self.users[login]["active"] = active
        self._answer(login, "PATCH", f"/Users/{user_id}", 200)
        return True

    def push_profile(self, login: str, user_id: str, body: dict) -> bool:
        self._answer(login, "PUT", f"/Users/{user_id}", 200)
        return True


def events(provisioner: Provisioner) -> list[tuple[str, str, list[str], str, str | None]]:
    return [
        (e.kind, e.login, [f"{x.method} {x.path}" for x in e.requests], e.why, e.regions) for e in provisioner.events
    ]


def test_the_provisioner_records_what_it_does_with_the_requests_it_sends():
    ann, bob = DIRECTORY.users[0], DIRECTORY.users[1]
    us = ResolvedAssignment(ann.login, "group US (priority 1)", {"regions": "us1"}, "g-US", group="US")
    provisioner = Provisioner(FakeOwn())  # type: ignore[arg-type]
    provisioner.start_run()
    provisioner.apply(app(), [ann], {}, {okta_fold(ann.login): us})  # assigned: created
    provisioner.start_run()
    provisioner.apply(app(), [ann], {okta_fold(ann.login): us}, {})  # unassigned: deactivated
    provisioner.apply(app(), [ann], {}, {okta_fold(ann.login): us})  # assigned again: reactivated
    off = OktaApp({**app().capabilities, "lifecycleCreate": "DISABLED"}, "test", CORRECT_ATTRIBUTE, ())
    provisioner.apply(off, [bob], {}, {okta_fold(bob.login): us})  # Create Users off: skipped
    assert events(provisioner) == [
        (EventKind.PROVISIONED, ann.login, ["GET /Users?filter=...", "POST /Users"], "", "us1"),
        (EventKind.DEACTIVATED, ann.login, [f"PATCH /Users/id-{ann.login}"], "", None),
        (EventKind.LINKED, ann.login, ["GET /Users?filter=..."], "", None),
        (EventKind.REACTIVATED, ann.login, [f"PATCH /Users/id-{ann.login}"], "", None),
        (
            EventKind.SKIPPED,
            bob.login,
            ["GET /Users?filter=..."],
            "not created: Create Users (lifecycleCreate) is not enabled",
            None,
        ),
    ]
    assert [e.run for e in provisioner.events] == [1, 2, 2, 2, 2]
    folded = fold_events(provisioner.events, last_run=2)
    assert folded[okta_fold(ann.login)].deactivated_and_reactivated  # re-provisioned, told by the events
    assert not folded[okta_fold(ann.login)].sent  # the run's re-assignment sent no regions
    assert [e.why for e in folded[okta_fold(bob.login)].skipped] == [
        "not created: Create Users (lifecycleCreate) is not enabled"
    ]
    assert not fold_events(provisioner.events, last_run=1)[okta_fold(ann.login)].deactivated_and_reactivated


def test_a_user_without_names_is_sent_without_them():
    """An org may make ``firstName``/``lastName`` optional (``directory pull`` writes no name
    then): no ``name`` member is sent empty, and the display name falls back to the login."""
    nameless = parse_directory({"users": [{"login": "ann@example.com", "last_name": "Ames"}]}).users[0]
    body = create_body(nameless, {"regions": "us1"}, app().attribute)
    assert body["name"] == {"familyName": "Ames"} and body["displayName"] == "Ames"
    bare = parse_directory({"users": [{"login": "cy@example.com"}]}).users[0]
    body = create_body(bare, {}, app().attribute)
    assert body["name"] == {} and body["displayName"] == "cy@example.com"
