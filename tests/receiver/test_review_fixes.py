"""Defects found by the adversarial review of the receiver, each pinned over real HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import logging

import pytest

from ownscim_infra.receiver import serve_in_background
from ownscim_infra.receiver.app import token_matches
from ownscim_infra.receiver.models import MAX_USER_NAME_LENGTH, fold
from ownscim_infra.receiver.own import attribute_update_refused

from .conftest import OWN_SCHEMA, PATCH_SCHEMA, TOKEN, USER_SCHEMA, deactivate, okta_client, okta_user

MODES = ["refuse", "apply"]


def _raw(receiver, method: str, target: str, headers: dict[str, bytes | str] | None = None):
    """Send a request with a raw target and raw header bytes (httpx would re-encode them)."""
    conn = http.client.HTTPConnection(receiver.host, receiver.port, timeout=5)
    try:
        conn.putrequest(method, target, skip_host="Host" in (headers or {}), skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        # header names are case-insensitive (RFC 9110 §5.1): httptools sends them in lower case
        return response.status, response.msg, response.read()
    finally:
        conn.close()


def _patch(*operations):
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


@pytest.fixture
def receiver_in(make_settings):
    """Start a receiver in the given ``--attribute-updates`` mode."""
    started = []

    def start(mode: str):
        context = serve_in_background(make_settings(attribute_updates=mode))
        started.append(context)
        return context.__enter__()

    yield start
    for context in started:
        context.__exit__(None, None, None)


# -- 1. control characters in the path ------------------------------------------------------


@pytest.mark.parametrize("encoded", ["%0A2026-01-01%20INFO%20x", "%00x", "%0D%0Ax"])
@pytest.mark.parametrize(("authorization", "status"), [(f"Bearer {TOKEN}", 404), (None, 401)])
def test_control_characters_in_the_path_get_a_scim_error_and_one_escaped_log_line(
    receiver, caplog, encoded, authorization, status
):
    headers = {"Authorization": authorization} if authorization else {}
    with caplog.at_level(logging.DEBUG):
        got, response_headers, body = _raw(receiver, "GET", f"/scim/v2/Users/{encoded}", headers)

    assert got == status
    assert b"urn:ietf:params:scim:api:messages:2.0:Error" in body
    assert "Location" not in response_headers
    lines = [r.getMessage() for r in caplog.records if r.name == "ownscim_infra.receiver"]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"GET /scim/v2/Users/{encoded} {status} ")
    assert lines[0].isprintable()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_successful_responses_keep_an_ascii_location(okta):
    response = okta.get("/Users")
    assert response.status_code == 200
    assert response.headers["Location"].endswith("/scim/v2/Users")


def test_a_non_ascii_host_header_does_not_break_the_server(receiver):
    status, headers, _ = _raw(
        receiver, "GET", "/scim/v2/Users", {"Host": b"ex\xffample:1", "Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 200
    assert headers["Location"].isascii()


# -- 2. Own's extension is read-only ------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": OWN_SCHEMA},
        {"op": "remove", "path": f"{OWN_SCHEMA}:regions"},
        {"op": "remove", "path": f'schemas[value eq "{OWN_SCHEMA}"]'},
        {"op": "replace", "path": "schemas", "value": [USER_SCHEMA]},
    ],
    ids=["remove-extension", "remove-regions", "remove-schema-entry", "replace-schemas"],
)
def test_patch_cannot_remove_own_state_in_any_mode(receiver_in, mode, operation):
    receiver = receiver_in(mode)
    with okta_client(receiver.base_url) as okta:
        user = okta.post("/Users", json=okta_user(regions="emea2")).json()
        response = okta.patch(f"/Users/{user['id']}", json=_patch(operation))
        after = okta.get(f"/Users/{user['id']}").json()

    assert response.status_code == 400, response.text
    assert response.json()["scimType"] == "mutability"
    state = receiver.store.own_state("jane.doe@example.com")
    assert (state.regions, state.role, state.business_unit) == (("emea2",), "Read-only", "Default Business Unit")
    assert after[OWN_SCHEMA] == user[OWN_SCHEMA]


@pytest.mark.parametrize("mode", MODES)
def test_put_ignores_values_for_own_state_in_any_mode(receiver_in, mode):
    receiver = receiver_in(mode)
    with okta_client(receiver.base_url) as okta:
        user = okta.post("/Users", json=okta_user(regions="emea2")).json()
        replacement = {k: v for k, v in user.items() if k not in ("meta", "id")}
        replacement[OWN_SCHEMA] = {"regions": ["us1"], "role": "Admin", "businessUnit": "Sales"}
        response = okta.put(f"/Users/{user['id']}", json=replacement)

    assert response.status_code == 200, response.text
    assert response.json()[OWN_SCHEMA] == user[OWN_SCHEMA]
    state = receiver.store.own_state("jane.doe@example.com")
    assert (state.regions, state.role, state.business_unit) == (("emea2",), "Read-only", "Default Business Unit")


# -- 3. paging parameters -------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"filter": 'userName eq "jane.doe@example.com"'}, {"sortBy": "userName"}])
@pytest.mark.parametrize("start", ["99999999999999999999", str(2**63), "2"])
def test_a_start_index_past_the_end_is_an_empty_page(okta, params, start):
    okta.post("/Users", json=okta_user())
    response = okta.get("/Users", params={**params, "startIndex": start})

    assert response.status_code == 200, response.text
    page = response.json()
    assert page["totalResults"] == 1
    assert page.get("Resources", []) == []


@pytest.mark.parametrize(
    ("params", "items"),
    [
        ({"startIndex": "0"}, 1),
        ({"startIndex": "-5"}, 1),
        ({"count": "-1"}, 0),
        ({"count": "0"}, 0),
        ({"count": "99999999999999999999"}, 1),
    ],
)
def test_small_or_negative_paging_values_follow_rfc_7644(okta, params, items):
    okta.post("/Users", json=okta_user())
    response = okta.get("/Users", params=params)

    assert response.status_code == 200, response.text
    assert response.json()["itemsPerPage"] == items
    assert response.json()["startIndex"] == 1


# -- 4. userName validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user_name",
    [
        "",
        "   ",
        "\t",
        "ann\n@example.com",
        "ann\x00@example.com",
        "ann\u2028@example.com",
        "a" * (MAX_USER_NAME_LENGTH + 1),
    ],
    ids=["empty", "blank", "tab", "newline", "nul", "line-separator", "too-long"],
)
def test_bad_user_names_are_invalid_value(receiver, okta, user_name):
    response = okta.post("/Users", json={"schemas": [USER_SCHEMA], "userName": user_name, "active": True})

    assert response.status_code == 400, response.text
    assert response.json()["scimType"] == "invalidValue"
    assert receiver.store.own_states() == []


def test_a_user_name_at_the_length_limit_is_accepted(okta):
    user_name = "a" * (MAX_USER_NAME_LENGTH - len("@example.com")) + "@example.com"
    response = okta.post("/Users", json={"schemas": [USER_SCHEMA], "userName": user_name})
    assert response.status_code == 201, response.text


def test_patch_cannot_blank_the_user_name_in_apply_mode(receiver_in):
    receiver = receiver_in("apply")
    with okta_client(receiver.base_url) as okta:
        user = okta.post("/Users", json=okta_user()).json()
        response = okta.patch(f"/Users/{user['id']}", json=_patch({"op": "replace", "path": "userName", "value": " "}))
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert receiver.store.own_state("jane.doe@example.com") is not None


# -- 5. case folding as Okta does it -------------------------------------------------------------


def test_user_names_fold_by_simple_lower_casing(receiver, okta):
    assert okta.post("/Users", json=okta_user("straße@example.com")).status_code == 201
    assert okta.post("/Users", json=okta_user("STRASSE@example.com")).status_code == 201  # ß is not SS
    assert okta.post("/Users", json=okta_user("ann@example.com")).status_code == 201
    assert okta.post("/Users", json=okta_user("ANN@EXAMPLE.COM")).status_code == 409

    for lookup in ('userName eq "ANN@EXAMPLE.COM"', 'userName co "ANN@EXAMPLE"'):
        found = okta.get("/Users", params={"filter": lookup}).json()
        assert [u["userName"] for u in found.get("Resources", [])] == ["ann@example.com"], lookup
    found = okta.get("/Users", params={"filter": 'userName eq "STRASSE@EXAMPLE.COM"'}).json()
    assert [u["userName"] for u in found["Resources"]] == ["STRASSE@example.com"]
    assert receiver.store.own_state("STRAßE@example.com").user_name == "straße@example.com"
    assert fold("ß") == "ß" and fold("ANN") == "ann"


def test_a_filter_on_an_invalid_user_name_matches_nothing(okta):
    okta.post("/Users", json=okta_user())
    response = okta.get("/Users", params={"filter": 'userName eq ""'})
    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


# -- 6. active stays a boolean -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "active"},
        {"op": "replace", "path": "active", "value": None},
        {"op": "replace", "value": {"active": None}},
    ],
    ids=["remove", "replace-null", "pathless-null"],
)
def test_active_cannot_be_removed_or_set_to_null(receiver_in, mode, operation):
    receiver = receiver_in(mode)
    with okta_client(receiver.base_url) as okta:
        user = okta.post("/Users", json=okta_user()).json()
        response = okta.patch(f"/Users/{user['id']}", json=_patch(operation))
    assert response.status_code == 400, response.text
    assert response.json()["scimType"] == "invalidValue"
    assert receiver.store.own_state("jane.doe@example.com").active is True


@pytest.mark.parametrize("value", ["no", "0", "off", "yes", "1", 0, "f", ""])
def test_active_accepts_only_booleans_and_true_false_strings(receiver, okta, value):
    user = okta.post("/Users", json=okta_user()).json()
    for patch in (deactivate(value), deactivate(value, path="active")):
        response = okta.patch(f"/Users/{user['id']}", json=patch)
        assert response.status_code == 400, (patch, response.text)
        assert response.json()["scimType"] == "invalidValue"
    assert receiver.store.own_state("jane.doe@example.com").active is True
    assert okta.post("/Users", json=okta_user("other@example.com", active=value)).status_code == 400


@pytest.mark.parametrize(("value", "active"), [("FALSE", False), ("false", False), ("True", True), (False, False)])
def test_active_true_false_strings_in_any_case(receiver, okta, value, active):
    user = okta.post("/Users", json=okta_user()).json()
    response = okta.patch(f"/Users/{user['id']}", json=deactivate(value))
    assert response.status_code == 200
    assert receiver.store.own_state("jane.doe@example.com").active is active


def test_put_without_active_keeps_it(receiver, okta):
    user = okta.post("/Users", json=okta_user()).json()
    okta.patch(f"/Users/{user['id']}", json=deactivate(False))
    replacement = {k: v for k, v in user.items() if k not in ("meta", "id", OWN_SCHEMA, "active")}
    response = okta.put(f"/Users/{user['id']}", json=replacement)
    assert response.status_code == 200, response.text
    assert receiver.store.own_state("jane.doe@example.com").active is False


# -- 7. token comparison on bytes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "sent"),
    [
        ("tökén-✓", "Bearer tökén-✓".encode()),
        ("tökén-✓", "tökén-✓".encode()),
        ("Bearer abc", b"Bearer abc"),
        ("Bearer abc", b"Bearer Bearer abc"),
    ],
)
def test_tokens_are_compared_as_utf8_bytes(make_settings, token, sent):
    with serve_in_background(make_settings(token=token)) as receiver:
        assert _raw(receiver, "GET", "/scim/v2/Users", {"Authorization": sent})[0] == 200
        wrong = sent[:-1] + b"x"
        assert _raw(receiver, "GET", "/scim/v2/Users", {"Authorization": wrong})[0] == 401


def test_token_matches_on_surrogate_escaped_headers():
    assert token_matches(b"Bearer t\xc3\xb6k".decode("utf-8", "surrogateescape"), "tök")
    assert not token_matches(
        b"Bearer t\xf6k".decode("utf-8", "surrogateescape"), "tök"
    )  # Latin-1 bytes are not the token
    assert token_matches("Bearer x", "Bearer x") and token_matches("Bearer Bearer x", "Bearer x")


# -- 8. one log line per request, no query string, no traceback ------------------------------------


def test_a_500_is_one_log_line_naming_the_exception(receiver, okta, caplog, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(receiver.store, "search", broken)
    with caplog.at_level(logging.INFO):
        response = okta.get("/Users", params={"filter": 'password eq "hunter2"'})

    assert response.status_code == 500
    assert "secret detail" not in response.text
    records = [r for r in caplog.records if r.name != "httpx"]
    assert [r.name for r in records] == ["ownscim_infra.receiver"], [r.getMessage() for r in records]
    line = records[0].getMessage()
    assert line.startswith("GET /scim/v2/Users 500 ") and line.endswith(" error=RuntimeError")
    assert records[0].exc_info is None
    server_log = "\n".join(r.getMessage() for r in records)  # (httpx, the client, logs its own URL)
    assert "hunter2" not in server_log and "secret detail" not in server_log and "Traceback" not in caplog.text


def test_the_traceback_of_a_500_is_logged_at_debug(receiver, okta, caplog, monkeypatch):
    monkeypatch.setattr(receiver.store, "search", lambda *a, **k: 1 / 0)
    with caplog.at_level(logging.DEBUG, logger="ownscim_infra.receiver"):
        assert okta.get("/Users").status_code == 500
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG and r.name == "ownscim_infra.receiver"]
    assert len(debug) == 1 and debug[0].exc_info is not None


# -- 9. shared constants, one message function, one connection -------------------------------------


def test_receiver_constants_are_the_shared_ones():
    from ownscim_infra.domain import own_setup
    from ownscim_infra.program import component
    from ownscim_infra.receiver import own, settings

    assert settings.DEFAULT_BUSINESS_UNIT is own_setup.DEFAULT_BUSINESS_UNIT
    assert own.REGIONS_NAMESPACE is component.REGIONS_NAMESPACE is own_setup.REGIONS_NAMESPACE


@pytest.mark.parametrize("value", ["us 1,emea2", "eu!", "1us"])
def test_regions_setting_follows_the_config_rule(value):
    from ownscim_infra.receiver.settings import SettingsError, parse_region_list

    with pytest.raises(SettingsError, match="a region code is letters then letters/digits"):
        parse_region_list(value)


def test_attribute_update_refused_names_the_attributes_sorted():
    error = attribute_update_refused(["title", "name"])
    assert error.scim_type == "mutability"
    assert "this request would change name, title." in error.detail


def test_the_read_api_reuses_its_threads_connection(receiver, okta, monkeypatch):
    from ownscim_infra.receiver import sqlite

    okta.post("/Users", json=okta_user())
    assert [s.user_name for s in receiver.store.own_states()] == ["jane.doe@example.com"]  # opens this thread's

    def no_new_connection(*args, **kwargs):
        raise AssertionError("the read API opened another connection")

    monkeypatch.setattr(sqlite.sqlite3, "connect", no_new_connection)
    assert receiver.store.own_state("JANE.DOE@example.com") is not None
    assert len(receiver.store.own_states()) == 1
