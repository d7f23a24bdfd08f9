"""Own's behaviour as Okta meets it: regions, role, business unit, deactivation, refused updates, restart."""

from __future__ import annotations

import sqlite3

import pytest

from .conftest import OWN_SCHEMA, deactivate, in_process, okta_client, okta_user

CORE_NS = "urn:ietf:params:scim:schemas:core:2.0"
USER_NS = "urn:ietf:params:scim:schemas:core:2.0:User"


def _nested_core(value):
    body = okta_user()
    body["schemas"] = [USER_NS, CORE_NS]
    body[CORE_NS] = {"regions": value}
    return body


def _nested_user(value):
    body = okta_user()
    body[USER_NS] = {"regions": value}
    return body


def _top_level(value):
    return okta_user(regions=value)


SHAPES = {"nested-core-2.0": _nested_core, "nested-core-User": _nested_user, "top-level": _top_level}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("emea2", ("emea2",)),
        ("us1,emea2", ("us1", "emea2")),
        (" EMEA2 , Us1 ", ("us1", "emea2")),
        (["emea2"], ("emea2",)),
        (["US1", "emea2"], ("us1", "emea2")),
        ("", ("us1", "emea2")),
        ([], ("us1", "emea2")),
    ],
)
def test_create_places_the_user_in_the_regions_okta_sends(receiver, okta, shape, value, expected):
    response = okta.post("/Users", json=SHAPES[shape](value))

    assert response.status_code == 201, response.text
    assert response.json()[OWN_SCHEMA]["regions"] == list(expected)
    state = receiver.store.own_state("jane.doe@example.com")
    assert state.regions == expected
    assert (state.role, state.business_unit, state.active) == ("Read-only", "Default Business Unit", True)


def test_create_without_regions_places_the_user_in_all_regions(receiver, okta):
    response = okta.post("/Users", json=okta_user())

    assert response.status_code == 201
    assert receiver.store.own_state("JANE.DOE@example.com").regions == ("us1", "emea2")


def test_password_is_never_returned_nor_stored(receiver, okta):
    body = okta_user()
    created = okta.post("/Users", json=body)
    fetched = okta.get(f"/Users/{created.json()['id']}")

    assert "password" not in created.json() and "password" not in fetched.json()
    with sqlite3.connect(receiver.store.path) as db:
        dump = "\n".join(db.iterdump())
    assert "jane.doe@example.com" in dump
    assert body["password"] not in dump


@pytest.mark.parametrize("shape", SHAPES)
def test_unknown_region_is_refused_and_nothing_is_stored(receiver, okta, shape):
    response = okta.post("/Users", json=SHAPES[shape]("us1,apac9"))

    assert response.status_code == 400
    error = response.json()
    assert error["scimType"] == "invalidValue"
    assert "apac9" in error["detail"] and "us1, emea2" in error["detail"]
    assert receiver.store.own_states() == []


def test_regions_of_the_wrong_type_are_refused(receiver, okta):
    response = okta.post("/Users", json=okta_user(regions=3))

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert receiver.store.own_states() == []


DEACTIVATIONS = pytest.mark.parametrize(
    "patch",
    [deactivate(False), deactivate(False, path="active"), deactivate("False"), deactivate("False", path="active")],
    ids=["okta-pathless", "path-active", "string-False", "path-string-False"],
)


def _lookup(okta, login):
    return okta.get("/Users", params={"filter": f'userName eq "{login}"', "startIndex": 1, "count": 100})


@DEACTIVATIONS
def test_deactivation_removes_the_account_as_own_documents(receiver, okta, patch):
    # Own: "Deprovisioning removes user accounts"; its move is unassign, then assign
    user = okta.post("/Users", json=okta_user(regions="emea2")).json()

    off = okta.patch(f"/Users/{user['id']}", json=patch)
    assert off.status_code == 200, off.text
    assert off.json()["active"] is False and off.json()["id"] == user["id"]  # the user as deactivated
    assert receiver.store.own_state("jane.doe@example.com") is None
    gone = okta.get(f"/Users/{user['id']}")
    assert gone.status_code == 404
    assert gone.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert gone.json()["status"] == "404"
    assert _lookup(okta, "JANE.DOE@example.com").json()["totalResults"] == 0  # Okta's lookup finds nothing

    # re-assigned with other regions: Okta creates the user anew, in them, Read-only in Default Business Unit
    again = okta.post("/Users", json=okta_user(regions="us1"))
    assert again.status_code == 201, again.text
    assert again.json()["id"] != user["id"]
    state = receiver.store.own_state("jane.doe@example.com")
    assert (state.active, state.regions, state.role, state.business_unit) == (
        True,
        ("us1",),
        "Read-only",
        "Default Business Unit",
    )


def test_a_put_that_deactivates_removes_the_account_too(receiver, okta):
    user = okta.post("/Users", json=okta_user()).json()
    replacement = {k: v for k, v in user.items() if k not in ("meta", "id", OWN_SCHEMA)} | {"active": False}

    response = okta.put(f"/Users/{user['id']}", json=replacement)

    assert response.status_code == 200 and response.json()["active"] is False
    assert receiver.store.own_states() == []
    assert okta.get(f"/Users/{user['id']}").status_code == 404
    assert okta.patch(f"/Users/{user['id']}", json=deactivate(True)).status_code == 404


def test_a_refused_deactivation_removes_nothing(receiver, okta):
    user = okta.post("/Users", json=okta_user()).json()
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False, "displayName": "Someone Else"}}],
    }

    assert okta.patch(f"/Users/{user['id']}", json=patch).status_code == 400
    assert receiver.store.own_state("jane.doe@example.com").active is True


@DEACTIVATIONS
def test_with_deactivation_keep_a_deactivated_user_stays_and_reactivation_keeps_its_regions(
    receiver_keep, okta_keep, patch
):
    receiver, okta = receiver_keep, okta_keep
    user = okta.post("/Users", json=okta_user(regions="emea2")).json()

    off = okta.patch(f"/Users/{user['id']}", json=patch)
    assert off.status_code == 200
    assert off.json()["active"] is False
    assert receiver.store.own_state("jane.doe@example.com").active is False
    assert receiver.store.own_state("jane.doe@example.com").regions == ("emea2",)

    on = okta.patch(f"/Users/{user['id']}", json=deactivate(True))
    assert on.status_code == 200
    assert on.json()["active"] is True
    state = receiver.store.own_state("jane.doe@example.com")
    assert (state.active, state.regions, state.role) == (True, ("emea2",), "Read-only")


@pytest.mark.parametrize("business_unit", ["Engineering", ""])
def test_renamed_or_deleted_business_unit_makes_every_create_fail(make_settings, business_unit):
    with in_process(make_settings(business_unit=business_unit)) as receiver:
        with okta_client(receiver.base_url) as okta:
            response = okta.post("/Users", json=okta_user())
        assert response.status_code == 400
        assert "Default Business Unit" in response.json()["detail"]
        assert "missing" in response.json()["detail"]
        assert receiver.store.own_states() == []


def test_put_that_changes_name_is_refused_and_changes_nothing(receiver, okta):
    user = okta.post("/Users", json=okta_user()).json()
    replacement = {k: v for k, v in user.items() if k not in ("meta", "id", OWN_SCHEMA)}
    replacement["name"] = {"givenName": "Janet", "familyName": "Doe"}

    response = okta.put(f"/Users/{user['id']}", json=replacement)

    assert response.status_code == 400
    assert response.json()["scimType"] == "mutability"
    assert "name" in response.json()["detail"]
    after = okta.get(f"/Users/{user['id']}").json()
    assert after["name"] == user["name"]
    assert after["meta"]["version"] == user["meta"]["version"]


def test_put_that_only_deactivates_is_accepted(receiver_keep, okta_keep):
    receiver, okta = receiver_keep, okta_keep
    user = okta.post("/Users", json=okta_user()).json()
    replacement = {k: v for k, v in user.items() if k not in ("meta", "id", OWN_SCHEMA)}
    replacement["active"] = False

    response = okta.put(f"/Users/{user['id']}", json=replacement)

    assert response.status_code == 200
    assert receiver.store.own_state("jane.doe@example.com").active is False


def test_patch_that_changes_an_attribute_is_refused_and_changes_nothing(receiver, okta):
    user = okta.post("/Users", json=okta_user()).json()
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False, "displayName": "Someone Else"}}],
    }

    response = okta.patch(f"/Users/{user['id']}", json=patch)

    assert response.status_code == 400
    assert response.json()["scimType"] == "mutability"
    assert "displayName" in response.json()["detail"]
    after = okta.get(f"/Users/{user['id']}").json()
    assert (after["displayName"], after["active"]) == (user["displayName"], True)


def test_apply_mode_applies_attribute_updates(make_settings):
    with (
        in_process(make_settings(attribute_updates="apply")) as receiver,
        okta_client(receiver.base_url) as okta,
    ):
        user = okta.post("/Users", json=okta_user(regions="us1")).json()
        replacement = {k: v for k, v in user.items() if k not in ("meta", "id", OWN_SCHEMA)}
        replacement["name"] = {"givenName": "Janet", "familyName": "Doe"}
        response = okta.put(f"/Users/{user['id']}", json=replacement)
        assert response.status_code == 200
        assert okta.get(f"/Users/{user['id']}").json()["name"]["givenName"] == "Janet"
        assert receiver.store.own_state("jane.doe@example.com").regions == ("us1",)


def test_own_state_is_read_only_through_scim(receiver, okta):
    user = okta.post("/Users", json=okta_user()).json()
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": f"{OWN_SCHEMA}:role", "value": "Admin"}],
    }

    response = okta.patch(f"/Users/{user['id']}", json=patch)

    assert response.status_code == 400
    assert response.json()["scimType"] == "mutability"
    assert receiver.store.own_state("jane.doe@example.com").role == "Read-only"


def test_own_state_is_declared_in_schemas_and_returned_on_get(receiver, okta):
    schemas = okta.get("/Schemas").json()["Resources"]
    own = next(s for s in schemas if s["id"] == OWN_SCHEMA)
    assert {a["name"]: a["mutability"] for a in own["attributes"]} == {
        "regions": "readOnly",
        "role": "readOnly",
        "businessUnit": "readOnly",
    }
    user = okta.post("/Users", json=okta_user(regions="emea2")).json()
    got = okta.get(f"/Users/{user['id']}").json()
    assert got[OWN_SCHEMA] == {"regions": ["emea2"], "role": "Read-only", "businessUnit": "Default Business Unit"}
    assert OWN_SCHEMA in got["schemas"]


def test_groups_are_not_offered(receiver, okta):
    types = okta.get("/ResourceTypes").json()["Resources"]
    assert [t["name"] for t in types] == ["User"]
    for method, body in [("GET", None), ("POST", {"displayName": "admins"}), ("PATCH", {})]:
        path = "/Groups" if method != "PATCH" else "/Groups/abc"
        response = okta.request(method, path, json=body)
        assert response.status_code == 404
        assert "Push Groups" in response.json()["detail"]


def test_restart_keeps_every_user(make_settings):
    settings = make_settings(deactivation="keep")
    with in_process(settings) as first, okta_client(first.base_url) as okta:
        ids = [
            okta.post("/Users", json=okta_user(f"user{i}@example.com", regions="us1")).json()["id"] for i in range(3)
        ]
        okta.patch(f"/Users/{ids[1]}", json=deactivate(False))
        before = first.store.own_states()

    with in_process(settings) as second, okta_client(second.base_url) as okta:
        assert second.store.own_states() == before
        assert [s.active for s in before] == [True, False, True]
        for user_id in ids:
            assert okta.get(f"/Users/{user_id}").status_code == 200
        assert okta.post("/Users", json=okta_user("USER0@example.com")).status_code == 409
