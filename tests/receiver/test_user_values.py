"""Own's rules on the values of a user, in process, in both ``--attribute-updates`` modes: Own's
extension is read-only, paging parameters follow RFC 7644, userName is validated and folded as
Okta folds logins, ``active`` stays a boolean."""

from __future__ import annotations

import pytest

from ownscim_infra.receiver.models import MAX_USER_NAME_LENGTH, fold

from .conftest import OWN_SCHEMA, PATCH_SCHEMA, USER_SCHEMA, deactivate, in_process, okta_client, okta_user

MODES = ["refuse", "apply"]


def _patch(*operations):
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


@pytest.fixture
def receiver_in(make_settings):
    """Start a receiver (in process) in the given ``--attribute-updates`` mode."""
    started = []

    def start(mode: str):
        context = in_process(make_settings(attribute_updates=mode))
        started.append(context)
        return context.__enter__()

    yield start
    for context in started:
        context.__exit__(None, None, None)


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
def test_active_true_false_strings_in_any_case(receiver_keep, okta_keep, value, active):
    receiver, okta = receiver_keep, okta_keep  # a deactivated user kept, to read its state
    user = okta.post("/Users", json=okta_user()).json()
    response = okta.patch(f"/Users/{user['id']}", json=deactivate(value))
    assert response.status_code == 200
    assert receiver.store.own_state("jane.doe@example.com").active is active


def test_put_without_active_keeps_it(receiver_keep, okta_keep):
    receiver, okta = receiver_keep, okta_keep  # a deactivated user kept, to PUT it
    user = okta.post("/Users", json=okta_user()).json()
    okta.patch(f"/Users/{user['id']}", json=deactivate(False))
    replacement = {k: v for k, v in user.items() if k not in ("meta", "id", OWN_SCHEMA, "active")}
    response = okta.put(f"/Users/{user['id']}", json=replacement)
    assert response.status_code == 200, response.text
    assert receiver.store.own_state("jane.doe@example.com").active is False
