"""Auth, bad input, limits, content types and the request log: never a 5xx, always a SCIM Error."""

from __future__ import annotations

import logging

import pytest

from .conftest import ERROR_SCHEMA, TOKEN, deactivate, okta_client, okta_user


def _is_scim_error(response, status: int, scim_type: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert body["detail"]
    if scim_type is not None:
        assert body["scimType"] == scim_type


@pytest.mark.parametrize("authorization", [TOKEN, f"Bearer {TOKEN}", f"bearer  {TOKEN}"])
def test_token_is_accepted_bare_or_as_bearer(receiver, authorization):
    with okta_client(receiver.base_url, authorization=authorization) as client:
        assert client.get("/Users").status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong", TOKEN + "x", f"Basic {TOKEN}", TOKEN[:-1], f"Bearer {TOKEN} {TOKEN}"],
)
def test_anything_else_is_401(receiver, authorization):
    with okta_client(receiver.base_url, authorization=authorization) as client:
        response = client.post("/Users", json=okta_user())
    _is_scim_error(response, 401)
    assert receiver.store.own_states() == []


def test_unauthenticated_requests_to_unknown_paths_are_401(receiver):
    with okta_client(receiver.base_url, authorization=None) as client:
        _is_scim_error(client.get("/Groups"), 401)


def test_malformed_json_is_invalid_syntax(okta):
    _is_scim_error(
        okta.post("/Users", content=b'{"userName": ', headers={"Content-Type": "application/scim+json"}),
        400,
        "invalidSyntax",
    )


def test_missing_user_name_is_400(receiver, okta):
    body = okta_user()
    del body["userName"]
    _is_scim_error(okta.post("/Users", json=body), 400)
    assert receiver.store.own_states() == []


@pytest.mark.parametrize("bad_filter", ["userName eq", 'userName xx "a"', '(userName eq "a"', "nosuch eq 1 and"])
def test_bad_filter_is_invalid_filter(okta, bad_filter):
    _is_scim_error(okta.get("/Users", params={"filter": bad_filter}), 400, "invalidFilter")


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_unknown_id_is_404(okta, method):
    body = okta_user() if method == "PUT" else (deactivate(False) if method == "PATCH" else None)
    _is_scim_error(okta.request(method, "/Users/no-such-id", json=body), 404)


def test_body_over_one_mib_is_413(receiver, okta):
    body = okta_user(displayName="x" * (1024 * 1024))
    _is_scim_error(okta.post("/Users", json=body), 413)
    assert receiver.store.own_states() == []


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/scim+json",
        "application/json; charset=utf-8",
        "application/scim+json;charset=UTF-8",
    ],
)
def test_json_content_types_are_accepted(receiver, okta, content_type):
    import json

    response = okta.post("/Users", content=json.dumps(okta_user()).encode(), headers={"Content-Type": content_type})
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/scim+json")


def test_other_content_types_are_415(okta):
    _is_scim_error(
        okta.post("/Users", content=b"userName=x", headers={"Content-Type": "application/x-www-form-urlencoded"}), 415
    )


def test_okta_extra_attributes_are_accepted(receiver, okta):
    response = okta.post("/Users", json=okta_user())
    user = response.json()
    assert response.status_code == 201
    assert (user["locale"], user["externalId"]) == ("en-US", "00u1abcd2EFGH3ijk4x7")
    assert "password" not in user


def test_paths_outside_the_base_url_are_scim_404(receiver):
    with okta_client(receiver.base_url.removesuffix("/scim/v2")) as client:
        _is_scim_error(client.get("/Users"), 404)


def test_non_utf8_header_bytes_do_not_break_the_server(served):
    import http.client

    conn = http.client.HTTPConnection(served.host, served.port, timeout=5)
    conn.putrequest("GET", "/scim/v2/Users")
    conn.putheader("Authorization", b"Bearer \xff\xfe")
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 401
    conn.close()


def test_every_request_is_logged_on_one_line_without_secrets(receiver, okta, caplog):
    body = okta_user()
    with caplog.at_level(logging.INFO, logger="ownscim_infra.receiver"):
        okta.post("/Users", json=body)
        okta.get("/Users", params={"filter": 'userName eq "jane.doe@example.com"'})
        with okta_client(receiver.base_url, authorization="Bearer wrong-token") as intruder:
            intruder.get("/Users")
    lines = [r.getMessage() for r in caplog.records if r.name == "ownscim_infra.receiver"]
    assert len(lines) == 3
    assert lines[0].startswith("POST /scim/v2/Users 201 ") and "ms" in lines[0] and "Okta SCIM Client 1.0.0" in lines[0]
    assert lines[1].startswith("GET /scim/v2/Users 200 ")  # no query string: a filter may hold personal data
    assert "jane.doe" not in lines[1] and "filter" not in lines[1]
    assert lines[2].startswith("GET /scim/v2/Users 401 ")
    everything = caplog.text + "\n".join(lines)
    assert TOKEN not in everything and "wrong-token" not in everything
    assert body["password"] not in everything


def test_an_invalid_patch_value_has_the_same_detail_as_in_a_create(okta):
    # the PATCH detail was pydantic's whole text ("1 validation error for ReceiverUser[...]\n...")
    user = okta.post("/Users", json=okta_user()).json()
    patched = okta.patch(f"/Users/{user['id']}", json=deactivate([False], path="active"))
    created = okta.post("/Users", json=okta_user("bob@example.com") | {"active": [False]})

    _is_scim_error(patched, 400, "invalidValue")
    _is_scim_error(created, 400, "invalidValue")
    assert patched.json()["detail"] == created.json()["detail"]
    assert patched.json()["detail"].startswith("active must be true or false")
    assert okta.get(f"/Users/{user['id']}").json()["active"] is True
