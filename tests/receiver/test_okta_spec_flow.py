"""Okta's SCIM 2.0 spec-test flow (Okta-SCIM-20-SPEC-Test, the Runscope collection), over real HTTP."""

from __future__ import annotations

from .conftest import ERROR_SCHEMA, SCIM_JSON, okta_client, okta_user


def test_okta_spec_test_flow(receiver, okta):
    # Required Test: Test Users endpoint (list with count=1&startIndex=1)
    seed = okta.post("/Users", json=okta_user("seed.user@example.com"), headers={"Content-Type": SCIM_JSON})
    assert seed.status_code == 201
    listed = okta.get("/Users", params={"count": 1, "startIndex": 1})
    assert listed.status_code == 200
    assert listed.headers["content-type"].startswith("application/scim+json")
    page = listed.json()
    assert page["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert isinstance(page["totalResults"], int) and page["totalResults"] >= 1
    assert page["itemsPerPage"] == 1 and page["startIndex"] == 1
    first = page["Resources"][0]

    # Required Test: Get a user by id
    got = okta.get(f"/Users/{first['id']}")
    assert got.status_code == 200
    assert got.json()["userName"] == first["userName"]

    # Required Test: filter on a random userName -> no match, totalResults 0 as an integer
    none = okta.get("/Users", params={"filter": 'userName eq "nobody-7f3a@example.com"', "startIndex": 1, "count": 100})
    assert none.status_code == 200
    assert none.json()["totalResults"] == 0 and type(none.json()["totalResults"]) is int
    assert none.json()["Resources"] == []

    # Required Test: unknown id -> 404 with a detail
    missing = okta.get("/Users/010101001010101010101010101010")
    assert missing.status_code == 404
    assert missing.json()["schemas"] == [ERROR_SCHEMA]
    assert missing.json()["detail"]
    assert missing.json()["status"] == "404"

    # Required Test: create Okta's user -> 201 with active true, id and the names
    body = okta_user("runscope.user@atko.com")
    created = okta.post("/Users", json=body)
    assert created.status_code == 201
    user = created.json()
    assert user["active"] is True
    assert user["id"]
    assert user["userName"] == "runscope.user@atko.com"
    assert user["name"]["givenName"] == body["name"]["givenName"]
    assert user["name"]["familyName"] == body["name"]["familyName"]
    assert created.headers["location"].endswith(f"/scim/v2/Users/{user['id']}")

    # Required Test: re-create the same user -> 409
    again = okta.post("/Users", json=body)
    assert again.status_code == 409
    assert again.json()["scimType"] == "uniqueness"

    # Required Test: filter with an upper-cased userName -> 200 and found
    upper = okta.get("/Users", params={"filter": 'userName eq "RUNSCOPE.USER@ATKO.COM"', "startIndex": 1, "count": 100})
    assert upper.status_code == 200
    assert upper.json()["totalResults"] == 1
    assert upper.json()["Resources"][0]["id"] == user["id"]
    assert upper.json()["Resources"][0]["userName"] == "runscope.user@atko.com"

    # Required Test: bad token -> 401 with detail and status
    with okta_client(receiver.base_url, authorization="Bearer not-the-token") as intruder:
        denied = intruder.get("/Users", params={"count": 1, "startIndex": 1})
    assert denied.status_code == 401
    assert denied.json()["schemas"] == [ERROR_SCHEMA]
    assert denied.json()["status"] == "401"
    assert denied.json()["detail"]
