"""The fast response path (ownscim_infra/receiver/spliced.py): every answer spliced from the stored
JSON equals what scim2-server and scim2-models serialize for the same resource or query."""

from __future__ import annotations

import json

import pytest
from scim2_models import Context, ResponseParameters

from ownscim_infra.receiver.service import OwnScimService
from ownscim_infra.receiver.spliced import located
from ownscim_infra.receiver.storage import SqliteStorage

from .conftest import SCIM_JSON, USER_SCHEMA, deactivate, okta_user

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
OWN_NAMESPACE = "urn:ietf:params:scim:schemas:core:2.0"
BASE_URL = "http://127.0.0.1:8000/scim/v2/"


def enterprise_user(user_name: str, **extension) -> dict:
    """Okta's create body when the admin maps enterprise attributes (and ``regions``)."""
    body = okta_user(user_name)
    body[ENTERPRISE] = extension or {
        "employeeNumber": "1042",
        "department": "Sales",
        "manager": {"value": "00u1manager", "displayName": "Mary Manager"},
    }
    body[OWN_NAMESPACE] = {"regions": "emea2"}
    body["schemas"] = [USER_SCHEMA, ENTERPRISE, OWN_NAMESPACE]
    return body


SHAPES = {
    "okta": lambda name: okta_user(name),
    "enterprise": lambda name: enterprise_user(name),
    "manager-ref": lambda name: enterprise_user(name, manager={"value": "00u9", "$ref": "Users/00u9"}),
    "unicode": lambda name: okta_user(name, displayName="Zoë Ærø 日本", name={"givenName": "Zoë", "familyName": "Ærø"}),
    "json-in-values": lambda name: okta_user(
        name, displayName='x","meta":{"location":"https://evil.example"},"y":"', nickName='"$ref"', title="}{"
    ),
}


@pytest.fixture(scope="module")
def stored(make_settings_module):
    """A service and its storage on one file, shared by the module's tests."""
    settings = make_settings_module()
    service = OwnScimService(settings)
    store = SqliteStorage(settings.db_path, service.provider)
    service.stored_json = store.stored_json
    yield service, store
    store.close()


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_spliced_resource_equals_what_scim2_models_serializes(stored, shape):
    service, store = stored
    user_type = service.resource_type_at("Users")
    with service.provider:
        resource = service.read_creation(
            user_type, json.dumps(SHAPES[shape](f"Unit.{shape}@example.com")).encode(), SCIM_JSON
        )
        created, body = store.insert(user_type, resource)
        spliced = service.published(BASE_URL, created, body)
        serialized = service.resource_response(
            service.publish(BASE_URL, created), Context.RESOURCE_CREATION_RESPONSE, ResponseParameters()
        ).body
    if shape == "manager-ref":  # scim2-server makes the $ref a URL: the full path answers
        assert spliced is None
    else:
        assert spliced is not None
        assert json.loads(spliced) == serialized


def test_located_sets_the_location_in_meta_only():
    body = '{"id":"1","displayName":"\\"meta\\":{","meta":{"resourceType":"User"}}'
    assert json.loads(located(body, "http://h/Users/1")) == {
        "id": "1",
        "displayName": '"meta":{',
        "meta": {"location": "http://h/Users/1", "resourceType": "User"},
    }
    assert json.loads(located('{"meta":{}}', "u")) == {"meta": {"location": "u"}}
    assert located('{"id":"1"}', "u") is None  # no meta
    assert located('{"meta":{},"x":{"$ref":"Users/2"}}', "u") is None  # a $ref: the full path answers


def test_the_fast_answers_equal_scim2_servers_for_every_shape_okta_creates(okta_keep):
    okta = okta_keep  # the deactivated user kept, to compare the PATCH's answer with a GET
    for shape, make in SHAPES.items():
        name = f"Fast.{shape}@Example.com"
        created = okta.post("/Users", json=make(name))
        assert created.status_code == 201, (shape, created.text)
        user_id = created.json()["id"]

        fetched = okta.get(f"/Users/{user_id}")  # scim2-server's publish and dump
        assert created.json() == fetched.json(), shape
        assert created.headers["etag"] == fetched.headers["etag"]
        assert created.headers["location"] == created.headers["content-location"] == fetched.json()["meta"]["location"]

        for looked_up in (name.lower(), name.upper(), "nobody@example.com"):
            fast = okta.get("/Users", params={"filter": f'userName eq "{looked_up}"', "startIndex": 1, "count": 100})
            full = okta.get("/Users", params={"filter": f'(userName eq "{looked_up}")', "startIndex": 1, "count": 100})
            assert fast.status_code == full.status_code == 200
            assert fast.json() == full.json(), (shape, looked_up)
            assert fast.headers["location"] == full.headers["location"]
            assert fast.headers["content-type"] == full.headers["content-type"]

        patched = okta.patch(f"/Users/{user_id}", json=deactivate(False))
        assert patched.status_code == 200
        assert patched.json() == okta.get(f"/Users/{user_id}").json(), shape
