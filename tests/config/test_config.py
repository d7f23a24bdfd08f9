"""Config validation: every rule, with the message a user reads (file, key path, value, allowed)."""

from __future__ import annotations

import pytest

from ownscim_infra.config import ConfigError, load_config, parse_config
from ownscim_infra.config.validation import NO_REGIONS
from tests.conftest import EXAMPLE, example_data

NOT_A_BOOLEAN = "must be true or false (unquoted; yes, no, on, off, 1 and 0 are not booleans here)"


def errors_of(data, file="c.yaml") -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data, file)
    return [i.render(file) for i in info.value.issues]


def test_example_is_valid_and_normalised():
    cfg = load_config(EXAMPLE)
    assert cfg.app.label == "Own" and cfg.app.provisioning == "manual" and cfg.app.manual_steps_done
    assert cfg.regions == ["us1", "emea2", "uk1"]
    assert [g.name for g in cfg.groups] == [
        "Own Admins Global",
        "Own EMEA",
        "Own US",
        "Salesforce Admins",
        "Own DACH",
        "Own France",
    ]
    # a created group may say who is in it: its members, or a rule Okta evaluates
    assert cfg.groups[4].members == ["mia.schmidt@example.com"] and cfg.groups[4].rule is None
    assert cfg.groups[5].rule == 'user.countryCode == "FR"' and cfg.groups[5].members is None
    # the comma-separated form is split and trimmed
    assert cfg.groups[1].regions == ["emea2", "uk1"]
    assert cfg.groups[3].create is False
    assert cfg.people[1].regions is None
    assert cfg.regions_of(cfg.people[1].regions) == ["us1", "emea2", "uk1"]


def test_defaults_and_case_folding():
    cfg = parse_config(
        {
            "app": {"scim_base_url": "https://own.example/scim/v2"},
            "regions": ["US1", " Emea2 "],
            "groups": [{"name": "G", "regions": "EMEA2 , us1"}],
        }
    )
    assert cfg.app.label == "Own"
    assert cfg.app.provisioning == "manual"  # api is opt-in (README: "Provisioning: manual or api")
    assert cfg.app.manual_steps_done is False
    assert cfg.groups[0].key is None and cfg.groups[0].resource_key == "g"
    assert cfg.regions == ["us1", "emea2"]
    assert cfg.groups[0].regions == ["emea2", "us1"]
    assert cfg.groups[0].create is True
    assert cfg.people == []


def test_unknown_keys_are_named_with_their_path():
    data = example_data()
    data["app"]["lable"] = "typo"
    data["groups"][2]["descripton"] = "typo"
    errs = errors_of(data)
    assert errs == [
        "c.yaml: app.lable: unknown key; did you mean `label`? allowed here: label, scim_base_url, provisioning, "
        "manual_steps_done (see config/README.md)",
        "c.yaml: groups[2] (Own US).descripton: unknown key; did you mean `description`? allowed here: name, regions, "
        "description, create, key, members, rule (see config/README.md)",
    ]


def test_unknown_key_values_are_never_echoed():
    data = example_data()
    data["app"]["notes"] = "Bearer 00abcSECRET"
    [err] = errors_of(data)
    assert err == (
        "c.yaml: app.notes: unknown key; allowed here: label, scim_base_url, provisioning, manual_steps_done "
        "(see config/README.md)"
    )


def test_region_not_declared_names_item_value_and_allowed():
    data = example_data()
    data["groups"][2]["regions"] = ["us1", "apac9"]
    data["people"][0]["regions"] = "emea2, mars1"
    errs = errors_of(data)
    assert errs == [
        "c.yaml: groups[2] (Own US).regions[1]: region 'apac9' is not one of this account's regions "
        "(top-level `regions`: us1, emea2, uk1) (got 'apac9')",
        "c.yaml: people[0] (dana.lee@example.com).regions[1]: region 'mars1' is not one of this account's regions "
        "(top-level `regions`: us1, emea2, uk1) (got 'mars1')",
    ]


def test_empty_region_lists_are_errors():
    data = example_data()
    data["regions"] = []
    data["groups"][0]["regions"] = []
    data["people"][0]["regions"] = []
    errs = errors_of(data)
    assert "c.yaml: regions: must list the Own account's regions, e.g. [us1, emea2] (got [])" in errs
    assert not any("none are declared" in e or "is not one of" in e for e in errs)
    assert any(e.startswith("c.yaml: groups[0] (Own Admins Global).regions: must list at least one") for e in errs)
    assert any(e.startswith("c.yaml: people[0] (dana.lee@example.com).regions: must list at least one") for e in errs)


def test_regions_written_with_no_value_are_refused_as_an_empty_list_is(tmp_path):
    """A person's `regions:` with no value is not the omitted key (all regions): it is
    refused with the words `regions: []` gets, on the line where it is written."""
    path = tmp_path / "c.yaml"
    path.write_text(
        "app: {scim_base_url: 'https://own.example/scim/v2'}\nregions: [us1, emea2]\npeople:\n"
        "  - login: ann@example.com\n    regions:\n"
        "  - login: bob@example.com\n    regions: []\n"
        "  - login: cy@example.com\n    regions: ~\n"
        "  - login: di@example.com\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert [i.render("c.yaml") for i in info.value.issues] == [
        f"c.yaml:5:5: people[0] (ann@example.com).regions: {NO_REGIONS} (got no value)",
        f"c.yaml:7:14: people[1] (bob@example.com).regions: {NO_REGIONS} (got [])",
        f"c.yaml:9:14: people[2] (cy@example.com).regions: {NO_REGIONS} (got no value)",
    ]
    assert NO_REGIONS == "must list at least one region (omit `regions` on a person to mean all regions)"
    path.write_text(path.read_text().split("people:")[0] + "people:\n  - login: di@example.com\n")
    assert load_config(path).regions_of(load_config(path).people[0].regions) == ["us1", "emea2"]


def test_group_regions_are_required():
    data = example_data()
    del data["groups"][1]["regions"]
    assert errors_of(data) == ["c.yaml: groups[1] (Own EMEA).regions: required key is missing"]


def test_duplicates_case_insensitive_and_reported_together():
    data = example_data()
    data["groups"].append({"name": "own emea", "regions": ["us1"]})
    data["people"].append({"login": "Dana.Lee@Example.com"})
    data["regions"] = ["us1", "emea2", "US1"]
    errs = errors_of(data)
    assert "c.yaml: regions: region 'us1' is listed twice; list each once (got ['us1', 'emea2', 'US1'])" in errs
    assert any(
        e.startswith("c.yaml: groups[6].name: duplicate group name: groups[1].name already names it") for e in errs
    )
    assert any(e.startswith("c.yaml: people[2].login: duplicate login: people[0].login already names it") for e in errs)
    assert not any("resource key" in e for e in errs), errs  # one problem for one mistake


def test_region_listed_twice_in_a_group():
    data = example_data()
    data["groups"][0]["regions"] = "us1, US1"
    assert errors_of(data) == [
        "c.yaml: groups[0] (Own Admins Global).regions: region 'us1' is listed twice; list each once (got 'us1, US1')"
    ]


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("http://own.example/scim/v2", "must be an https:// URL"),
        ("own.example/scim/v2", "must be an https:// URL"),
        ("https://user:pw@own.example/scim/v2", "must not carry credentials"),
        ("https://own.example/scim/v2?token=abc", "must not have a query string"),
    ],
)
def test_scim_base_url_must_be_plain_https(url, fragment):
    data = example_data()
    data["app"]["scim_base_url"] = url
    [err] = errors_of(data)
    assert err.startswith("c.yaml: app.scim_base_url: ") and fragment in err
    # credentials in a URL are never echoed back
    assert "pw" not in err and "abc" not in err


@pytest.mark.parametrize("key", ["scim_token", "token", "apiToken", "password"])
def test_token_like_key_is_an_error_that_says_where_secrets_go(key):
    data = example_data()
    data["app"][key] = "s3cr3t-value"
    [err] = errors_of(data)
    assert err.startswith(f"c.yaml: app.{key}: secrets never go in the config file")
    assert "pulumi config set --secret ownscim:scimToken" in err
    assert "s3cr3t-value" not in err


def test_provisioning_values_and_manual_flag():
    data = example_data()
    data["app"]["provisioning"] = "console"
    del data["app"]["manual_steps_done"]
    [err] = errors_of(data)
    assert err == "c.yaml: app.provisioning: must be 'api' or 'manual' (got 'console')"
    data["app"]["provisioning"] = "api"
    data["app"]["manual_steps_done"] = True
    [err] = errors_of(data)
    assert err.startswith("c.yaml: app.manual_steps_done: only applies with provisioning: manual")
    data["app"]["provisioning"] = "Manual"  # a misspelt value is the one problem, not manual_steps_done too
    [err] = errors_of(data)
    assert err == "c.yaml: app.provisioning: must be 'api' or 'manual' (got 'Manual')"


@pytest.mark.parametrize("value", ["no", "off", "yes", "on", 1, 0, "true"])
def test_booleans_are_true_or_false_only(value):
    # config/README.md: YAML 1.2, yes/no/on/off are strings; a lax "no" -> false would silently
    # hold back every assignment (manual_steps_done) or look a group up instead of creating it
    data = example_data()
    data["app"]["manual_steps_done"] = value
    data["groups"][0]["create"] = value
    errs = errors_of(data)
    shown_value = repr(value)
    assert errs == [
        f"c.yaml: app.manual_steps_done: {NOT_A_BOOLEAN} (got {shown_value})",
        f"c.yaml: groups[0] (Own Admins Global).create: {NOT_A_BOOLEAN} (got {shown_value})",
    ]


def test_login_with_space_and_bad_region_code():
    data = example_data()
    data["people"][0]["login"] = "dana lee"
    data["regions"] = ["us-1"]
    errs = errors_of(data)
    assert any(e.startswith("c.yaml: regions[0]: a region code is letters then letters/digits") for e in errs)
    assert (
        "c.yaml: people[0].login: must be an Okta login without spaces, e.g. ann@example.com (got 'dana lee')" in errs
    )


def test_all_errors_at_once_in_document_order():
    data = example_data()
    data["app"]["scim_base_url"] = "http://x"
    data["groups"][3]["regions"] = ["zz1"]
    data["people"][1]["extra"] = 1
    with pytest.raises(ConfigError) as info:
        parse_config(data, "c.yaml")
    assert [i.path for i in info.value.issues] == ["app.scim_base_url", "groups[3].regions[0]", "people[1].extra"]


def test_error_str_lists_count_and_file(tmp_path):
    path = tmp_path / "org.yaml"
    path.write_text("app: {scim_base_url: 'http://x'}\nregions: [us1]\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert text.splitlines()[0] == f"1 problem(s) in {path}:"
    assert f"{path}:1:22: app.scim_base_url:" in text


def test_unreadable_and_non_yaml_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("app: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:\d+:\d+: not valid YAML: "):
        load_config(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(listy)


def test_group_names_that_collide_as_resource_names():
    data = example_data()
    data["groups"].append({"name": "Own-US", "regions": ["us1"]})
    [err] = errors_of(data)
    assert err == (
        "c.yaml: groups[6].name: groups[2] has the same resource key 'own-us' (its `key`, or its name reduced "
        "to letters, digits and dashes); give one of them another `key` (got 'Own-US')"
    )
    data["groups"][6]["key"] = "own-us-2"  # a key of its own resolves it
    assert parse_config(data).groups[6].resource_key == "own-us-2"


def test_group_keys_are_unique_and_slug_shaped():
    data = example_data()
    data["groups"][0]["key"] = "own-emea"  # the default key of groups[1]
    data["groups"][2]["key"] = "Own US!"
    errs = errors_of(data)
    assert any(e.startswith("c.yaml: groups[1].name: groups[0] has the same resource key 'own-emea'") for e in errs)
    assert (
        "c.yaml: groups[2] (Own US).key: must be lower-case letters, digits and . _ @ -, starting with a letter "
        "or digit, e.g. own-emea (got 'Own US!')" in errs
    )


def test_non_ascii_names_get_distinct_resource_names():
    data = example_data()
    data["groups"] += [{"name": "日本", "regions": ["us1"]}, {"name": "中国", "regions": ["us1"]}]
    cfg = parse_config(data)
    assert cfg.groups[-1].name == "中国"


def test_duplicate_yaml_key_is_an_error_with_its_line(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("app: {scim_base_url: 'https://own.example/scim/v2'}\nregions: [us1]\nregions: [emea2]\n")
    with pytest.raises(ConfigError, match=r"dup.yaml:3:1: key 'regions' is given twice \(first on line 2\); keep one"):
        load_config(path)


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"app: {label: '\xff'}\n")
    with pytest.raises(ConfigError, match="not UTF-8 text: byte 0xff at offset 14"):
        load_config(path)


def test_names_must_be_one_printable_line():
    data = example_data()
    data["groups"][0]["name"] = 'Evil"]\n  click g0 "javascript:alert(1)"'
    data["app"]["label"] = "Own\tApp"
    errs = errors_of(data)
    assert [e.split(": ")[1] for e in errs] == ["app.label", "groups[0].name"]
    assert all("must be one line of printable text" in e for e in errs)


@pytest.mark.parametrize("url", ["https://u:hunter2@[::1/scim", "admin:hunter2@own.example/scim/v2"])
def test_credentials_in_malformed_urls_are_never_echoed(url):
    data = example_data()
    data["app"]["scim_base_url"] = url
    [err] = errors_of(data)
    assert err.startswith("c.yaml: app.scim_base_url: ") and "hunter2" not in err


def test_authorization_key_is_treated_as_a_secret():
    data = example_data()
    data["app"]["authorization"] = "Bearer hunter2"
    [err] = errors_of(data)
    assert "secrets never go in the config file" in err and "hunter2" not in err


def test_wrong_types_say_what_is_allowed():
    data = example_data()
    data["groups"][0]["regions"] = None
    data["groups"][1][3] = "x"
    data["groups"][2]["create"] = "maybe"
    errs = errors_of(data)
    assert f"c.yaml: groups[0] (Own Admins Global).regions: {NO_REGIONS} (got no value)" in errs
    assert any(e.startswith("c.yaml: groups[1] (Own EMEA).3: a key must be a string") for e in errs)
    assert f"c.yaml: groups[2] (Own US).create: {NOT_A_BOOLEAN} (got 'maybe')" in errs


def test_a_users_okta_id_is_its_logins_and_a_copy_with_another_login_gets_its_own():
    """``DirectoryUser.okta_id`` is made once a user (a hash of the folded login, sent as
    ``externalId``); a copy with another login must not keep the first login's id."""
    from ownscim_infra.config.directory import DirectoryUser

    jane = DirectoryUser(login="Jane.Doe@example.com")
    assert jane.okta_id == DirectoryUser(login="jane.doe@example.com").okta_id  # folded, as Okta compares
    moved = jane.model_copy(update={"login": "john.roe@example.com"})
    assert moved.okta_id == DirectoryUser(login="john.roe@example.com").okta_id != jane.okta_id
    assert jane.model_copy(update={"groups": ["Own US"]}).okta_id == jane.okta_id
