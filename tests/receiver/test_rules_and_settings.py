"""Own's rules and the settings, in process."""

from __future__ import annotations

import pytest

from ownscim_infra.receiver import ReceiverSettings, create_app
from ownscim_infra.receiver.app import token_matches
from ownscim_infra.receiver.own import (
    MISSING,
    AttributeUpdateRefusedError,
    BusinessUnitMissingError,
    InvalidRegionsError,
    attribute_update_refused,
    changed_attributes,
    extract_regions,
    parse_regions,
    refuse_attribute_updates,
)
from ownscim_infra.receiver.settings import SettingsError, load_token, parse_region_list

from .conftest import okta_user

ACCOUNT = ("us1", "emea2", "ca4")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (MISSING, ACCOUNT),
        (None, ACCOUNT),
        ("", ACCOUNT),
        ("  , ", ACCOUNT),
        ([], ACCOUNT),
        ("ca4,us1", ("us1", "ca4")),
        ("CA4 ,  Us1,us1", ("us1", "ca4")),
        (["emea2", "ca4, US1"], ACCOUNT),
    ],
)
def test_parse_regions(value, expected):
    assert parse_regions(value, ACCOUNT) == expected


@pytest.mark.parametrize("value", ["us1,xx1", ["xx1"], "us 1"])
def test_parse_regions_names_the_unknown_region_and_lists_the_account(value):
    with pytest.raises(InvalidRegionsError) as caught:
        parse_regions(value, ACCOUNT)
    assert caught.value.scim_type == "invalidValue"
    assert "us1, emea2, ca4" in caught.value.detail


@pytest.mark.parametrize("value", [1, {"a": 1}, [1], True])
def test_parse_regions_refuses_other_types(value):
    with pytest.raises(InvalidRegionsError):
        parse_regions(value, ACCOUNT)


def test_extract_regions_from_each_shape_removes_it():
    core = "urn:ietf:params:scim:schemas:core:2.0"
    payload, value = extract_regions({"schemas": ["u", core], core: {"Regions": "us1"}, "userName": "x"})
    assert value == "us1" and payload == {"schemas": ["u"], "userName": "x"}

    payload, value = extract_regions({f"{core}:User": {"regions": ["ca4"]}, "userName": "x"})
    assert value == ["ca4"] and payload == {"userName": "x"}

    payload, value = extract_regions({"REGIONS": "emea2", "userName": "x"})
    assert value == "emea2" and payload == {"userName": "x"}

    assert extract_regions({"userName": "x"}) == ({"userName": "x"}, MISSING)
    assert extract_regions([1, 2]) == ([1, 2], MISSING)


def test_changed_attributes_ignores_active_meta_and_order():
    before = {"active": True, "meta": {"version": "1"}, "emails": [{"value": "a"}, {"value": "b"}], "title": "x"}
    after = {"active": False, "meta": {"version": "2"}, "emails": [{"value": "b"}, {"value": "a"}], "title": "y"}
    assert changed_attributes(before, after) == ["title"]
    with pytest.raises(AttributeUpdateRefusedError, match="title"):
        refuse_attribute_updates(before, after)


def test_business_unit_error_names_the_missing_unit(tmp_path):
    app = create_app(ReceiverSettings(regions=("us1",), token="t", db_path=tmp_path / "db", business_unit="Sales"))
    with pytest.raises(BusinessUnitMissingError, match="'Default Business Unit' is missing"):
        app.service.read_creation(
            app.service.provider.resource_types[0], b'{"userName": "a@b.c"}', "application/scim+json"
        )
    app.store.close()


@pytest.mark.parametrize(
    ("header", "ok"),
    [("tok", True), ("Bearer tok", True), ("BEARER   tok ", True), ("tokx", False), ("Bearer", False), (None, False)],
)
def test_token_matches(header, ok):
    assert token_matches(header, "tok") is ok


def test_settings_keep_the_token_out_of_repr(tmp_path):
    settings = ReceiverSettings(regions=(" US1", "emea2", "us1"), token="very-secret-value", db_path=tmp_path / "db")
    assert "very-secret-value" not in repr(settings)
    assert settings.regions == ("us1", "emea2")
    app = create_app(settings)
    assert "very-secret-value" not in repr(app)
    app.store.close()


@pytest.mark.parametrize(
    "kwargs",
    [{"regions": ()}, {"token": ""}, {"token": "   "}, {"attribute_updates": "ignore"}, {"deactivation": "delete"}],
)
def test_invalid_settings_are_refused(tmp_path, kwargs):
    values = {"regions": ("us1",), "token": "t", "db_path": tmp_path / "db", **kwargs}
    with pytest.raises(SettingsError):
        ReceiverSettings(**values)


def test_load_token_from_file_or_environment(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    assert load_token(token_file, environ={"OWN_SCIM_TOKEN": "from-env"}) == "from-file"
    assert load_token(None, environ={"OWN_SCIM_TOKEN": "from-env"}) == "from-env"
    with pytest.raises(SettingsError, match="OWN_SCIM_TOKEN"):
        load_token(None, environ={})
    with pytest.raises(SettingsError, match="cannot read"):
        load_token(tmp_path / "missing", environ={})


def test_parse_region_list():
    assert parse_region_list("us1, EMEA2,,us1") == ("us1", "emea2")
    with pytest.raises(SettingsError):
        parse_region_list(" , ")


def test_account_regions_added_later_go_to_new_users_only(receiver, okta):
    okta.post("/Users", json=okta_user("ann@example.com"))
    receiver.app.set_account_regions(("us1", "emea2", "apac1"))
    created = okta.post("/Users", json=okta_user("bob@example.com"))

    assert created.status_code == 201
    assert receiver.store.own_state("ann@example.com").regions == ("us1", "emea2")  # as created
    assert receiver.store.own_state("bob@example.com").regions == ("us1", "emea2", "apac1")
    with pytest.raises(ValueError, match="region"):
        receiver.app.set_account_regions(())


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
