"""Okta's bodies as they come (the enterprise User extension), the media types, and Okta's fast lookup.

Issue 10 (the enterprise extension Okta sends when an admin maps department or manager), issue 12
(the 415 names every media type accepted). The answers built from the stored JSON: test_spliced.py.
"""

from __future__ import annotations

import sqlite3

import pytest

from .conftest import ERROR_SCHEMA, PATCH_SCHEMA, USER_SCHEMA, deactivate, okta_client, okta_user

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
OWN_NAMESPACE = "urn:ietf:params:scim:schemas:core:2.0"


def enterprise_user(user_name: str = "jane.doe@example.com", *, listed: bool = True, **extension) -> dict:
    """Okta's create body when the admin maps enterprise attributes (and ``regions``)."""
    body = okta_user(user_name)
    body[ENTERPRISE] = extension or {
        "employeeNumber": "1042",
        "department": "Sales",
        "organization": "Acme",
        "manager": {"value": "00u1manager", "displayName": "Mary Manager"},
    }
    body[OWN_NAMESPACE] = {"regions": "emea2"}
    body["schemas"] = [USER_SCHEMA, *([ENTERPRISE] if listed else []), OWN_NAMESPACE]
    return body


# -- the enterprise User extension -----------------------------------------------------------------------


@pytest.mark.parametrize("listed", [True, False], ids=["urn-in-schemas", "urn-not-in-schemas"])
def test_the_enterprise_extension_is_accepted_and_stored(receiver, okta, listed):
    created = okta.post("/Users", json=enterprise_user(listed=listed))

    assert created.status_code == 201, created.text
    user = created.json()
    assert ENTERPRISE in user["schemas"]
    assert user[ENTERPRISE]["department"] == "Sales"
    assert user[ENTERPRISE]["manager"]["value"] == "00u1manager"
    assert okta.get(f"/Users/{user['id']}").json()[ENTERPRISE] == user[ENTERPRISE]
    assert receiver.store.own_state("jane.doe@example.com").regions == ("emea2",)
    resource_type = okta.get("/ResourceTypes/User").json()
    assert {"schema": ENTERPRISE, "required": False} in resource_type["schemaExtensions"]


def test_changing_an_enterprise_attribute_is_refused_like_any_update(okta):
    user = okta.post("/Users", json=enterprise_user()).json()
    patch = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": f"{ENTERPRISE}:department", "value": "HR"}],
    }
    response = okta.patch(f"/Users/{user['id']}", json=patch)
    assert response.status_code == 400 and response.json()["scimType"] == "mutability"
    assert okta.get(f"/Users/{user['id']}").json()[ENTERPRISE]["department"] == "Sales"


@pytest.mark.parametrize("ref", ["http://[::1", "http://a]b", "//[x"])
def test_a_manager_ref_that_is_no_uri_is_a_400_and_nothing_is_stored(receiver_apply, ref):
    # urlsplit raised in scim2-server's publish, after the row was committed: a 500, then every
    # listing, lookup, GET and PATCH of that user a 500 too
    with okta_client(receiver_apply.base_url) as okta:
        refused = okta.post("/Users", json=enterprise_user(manager={"value": "m", "$ref": ref}))
        user = okta.post("/Users", json=enterprise_user()).json()
        patch = {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "add", "path": f"{ENTERPRISE}:manager", "value": {"value": "m", "$ref": ref}}],
        }
        patched = okta.patch(f"/Users/{user['id']}", json=patch)
        listing = okta.get("/Users")
        after = okta.get(f"/Users/{user['id']}").json()

    assert refused.status_code == 400, refused.text
    assert refused.json()["schemas"] == [ERROR_SCHEMA] and refused.json()["scimType"] == "invalidValue"
    assert "manager.$ref" in refused.json()["detail"]
    assert patched.status_code == 400 and patched.json()["scimType"] == "invalidValue"
    assert listing.status_code == 200 and listing.json()["totalResults"] == 1
    assert after[ENTERPRISE]["manager"] == {"value": "00u1manager"}


def test_a_stored_ref_no_uri_reader_takes_is_answered_as_stored(receiver, okta):
    # a row written before the check (or by hand): answers keep its $ref rather than failing
    user = okta.post("/Users", json=enterprise_user(manager={"value": "m", "$ref": "Users/m"})).json()
    conn = sqlite3.connect(receiver.store.path)
    with conn:
        body = conn.execute("SELECT body FROM resources WHERE id = ?", (user["id"],)).fetchone()[0]
        conn.execute("UPDATE resources SET body = ? WHERE id = ?", (body.replace("Users/m", "http://[::1"), user["id"]))
    conn.close()

    listing = okta.get("/Users")
    deactivated = okta.patch(f"/Users/{user['id']}", json=deactivate())  # the PATCH leaves the manager alone

    assert listing.status_code == 200, listing.text
    assert listing.json()["Resources"][0][ENTERPRISE]["manager"]["$ref"] == "http://[::1"
    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["active"] is False


# -- media types (issue 12) ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/vnd.api+json", "application/xml"]
)
def test_a_415_names_every_media_type_accepted(receiver, okta, content_type):
    response = okta.post("/Users", content=b'{"userName": "x@y.z"}', headers={"Content-Type": content_type})

    assert response.status_code == 415
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA] and body["status"] == "415"
    assert "application/scim+json" in body["detail"] and "application/json" in body["detail"]
    assert "charset" in body["detail"]
    assert receiver.store.own_states() == []


def test_a_put_of_the_user_as_read_may_deactivate_it_when_its_manager_ref_was_relative(okta_keep):
    okta = okta_keep  # the deactivated user kept, so that a second PUT finds it
    # the stored "$ref" stays relative, the answers make it absolute: the PUT of what GET gave
    # was refused as a change of the enterprise extension
    user = okta.post("/Users", json=enterprise_user(manager={"value": "abc", "$ref": "Users/abc"})).json()
    read = okta.get(f"/Users/{user['id']}").json()
    assert read[ENTERPRISE]["manager"]["$ref"].endswith("/scim/v2/Users/abc")
    body = {k: v for k, v in read.items() if k != "meta"} | {"active": False}
    put = okta.put(f"/Users/{user['id']}", json=body)
    assert put.status_code == 200, put.text
    assert put.json()["active"] is False
    body[ENTERPRISE] = {**body[ENTERPRISE], "manager": {"value": "xyz", "$ref": "Users/xyz"}}
    moved = okta.put(f"/Users/{user['id']}", json=body)
    assert moved.status_code == 400 and moved.json()["scimType"] == "mutability"
