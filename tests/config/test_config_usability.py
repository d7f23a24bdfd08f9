"""Config frictions (issue 12): messages with line, column and the item's name, a suggested
key for a typo, logins echoed as they are, merge keys, regions written either way,
booleans that need quotes, and directory groups the config does not know."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from ownscim_infra.config import ConfigError, load_config, parse_config
from ownscim_infra.config.directory import UnknownGroup, load_directory, parse_directory, unknown_groups
from ownscim_infra.config.lookalike import format_characters, representative, skeleton
from ownscim_infra.config.models import Login
from ownscim_infra.domain.own_setup import okta_fold
from tests.conftest import EXAMPLE, REPO, example_data

DIRECTORY = EXAMPLE.parent / "example-directory.yaml"

NOT_A_BOOLEAN = "must be true or false (unquoted; yes, no, on, off, 1 and 0 are not booleans here)"


#: The directory user's profile attribute keys, listed after its other keys.
PROFILE_KEYS = (
    "department, division, organization, costCenter, title, userType, employeeNumber, countryCode, city, state, "
    "locale, managerId, profile"
)


def rendered(path: Path, loader=load_config) -> list[str]:
    with pytest.raises(ConfigError) as info:
        loader(path)
    return [i.render(str(path)) for i in info.value.issues]


def example_with(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE.read_text()
    assert old in text
    path = tmp_path / "org.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_messages_give_line_column_and_the_items_name(tmp_path):
    path = example_with(
        tmp_path, "    regions: [us1]\n  - name: Salesforce", "    regions: [ap1]\n  - name: Salesforce"
    )
    [line] = rendered(path)
    assert line.startswith(f"{path}:29:15: groups[2] (Own US).regions[0]: region 'ap1' is not one of this account's")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    issue = info.value.issues[0]
    assert (issue.path, issue.line, issue.column) == ("groups[2].regions[0]", 29, 15)


def test_an_unknown_key_points_at_the_key_and_suggests_the_closest(tmp_path):
    path = example_with(tmp_path, "    description: US Salesforce team", "    descripion: US Salesforce team")
    [line] = rendered(path)
    assert line == (
        f"{path}:28:5: groups[2] (Own US).descripion: unknown key; did you mean `description`? "
        "allowed here: name, regions, description, create, key, members, rule (see config/README.md)"
    )


def test_a_missing_key_points_at_its_item(tmp_path):
    path = example_with(tmp_path, "  - login: sam.rivera@example.com", "  - regions: [us1]")
    [line] = rendered(path)
    assert line == f"{path}:48:5: people[1].login: required key is missing"


def test_a_login_is_echoed_as_it_is_not_redacted_as_a_url_while_url_credentials_are():
    data = example_data()
    data["people"][0]["login"] = "dana lee@example.com"
    with pytest.raises(ConfigError) as info:
        parse_config(data, "c.yaml")
    assert info.value.issues[0].render("c.yaml").endswith("(got 'dana lee@example.com')")
    data = example_data()
    data["app"]["scim_base_url"] = "http://admin:hunter2@own.example/scim/v2"
    with pytest.raises(ConfigError) as info:
        parse_config(data, "c.yaml")
    text = str(info.value)
    assert "hunter2" not in text and "[redacted]@own.example" in text


def test_merge_keys_are_read_and_an_explicit_key_wins(tmp_path):
    path = tmp_path / "org.yaml"
    path.write_text(
        "app: {scim_base_url: 'https://own.example/scim/v2'}\n"
        "regions: [us1, emea2]\n"
        "x-defaults: &team {regions: [us1], create: false}\n"
        "groups:\n"
        "  - <<: *team\n"
        "    name: Own US\n"
        "  - <<: *team\n"
        "    name: Own EMEA\n"
        "    regions: [emea2]\n"
    )
    cfg = load_config(path)  # a top-level x-... key holds anchors: not a setting, not an error
    assert [(g.name, g.regions, g.create) for g in cfg.groups] == [
        ("Own US", ["us1"], False),
        ("Own EMEA", ["emea2"], False),
    ]
    path.write_text(path.read_text().replace("x-defaults:", "defaults:"))
    with pytest.raises(ConfigError) as info:
        load_config(path)  # any other unknown key is still refused, with its line
    assert [i.render(str(path)).split(": ", 1)[0] for i in info.value.issues] == [f"{path}:3:1"]
    path.write_text(path.read_text().replace("defaults: &team {regions: [us1], create: false}\n", ""))
    path.write_text(
        path.read_text().replace("groups:\n", "groups:\n  - &team {name: Own UK, regions: [us1], create: false}\n")
    )
    cfg = load_config(path)
    assert [(g.name, g.regions, g.create) for g in cfg.groups] == [
        ("Own UK", ["us1"], False),
        ("Own US", ["us1"], False),
        ("Own EMEA", ["emea2"], False),
    ]


def test_a_merged_value_that_is_wrong_points_at_where_it_is_written(tmp_path):
    path = tmp_path / "org.yaml"
    path.write_text(
        "app: {scim_base_url: 'https://own.example/scim/v2'}\n"
        "regions: [us1]\n"
        "groups:\n"
        "  - &base {name: A, regions: [us1], create: maybe}\n"
        "  - <<: *base\n"
        "    name: B\n"
    )
    lines = rendered(path)
    assert lines == [
        f"{path}:4:45: groups[0] (A).create: {NOT_A_BOOLEAN} (got 'maybe')",
        f"{path}:4:45: groups[1] (B).create: {NOT_A_BOOLEAN} (got 'maybe')",
    ]


def test_a_key_given_twice_is_still_refused_next_to_a_merge(tmp_path):
    path = tmp_path / "org.yaml"
    path.write_text(
        "app: {scim_base_url: 'https://own.example/scim/v2'}\n"
        "regions: [us1]\n"
        "groups:\n"
        "  - &base {name: A, regions: [us1]}\n"
        "  - <<: *base\n"
        "    name: B\n"
        "    name: C\n"
    )
    assert rendered(path) == [f"{path}:7:5: key 'name' is given twice (first on line 6); keep one"]


def test_top_level_regions_accept_the_comma_separated_form():
    data = example_data()
    data["regions"] = "us1, EMEA2, uk1"
    assert parse_config(data).regions == ["us1", "emea2", "uk1"]


def test_yes_and_no_are_strings_and_a_boolean_region_says_quote_it(tmp_path):
    path = tmp_path / "org.yaml"
    path.write_text(
        "app: {scim_base_url: 'https://own.example/scim/v2'}\nregions: [us1, no]\n"
        "groups: [{name: Norway, regions: [no], create: false}]\n"
    )
    cfg = load_config(path)
    assert cfg.regions == ["us1", "no"] and cfg.groups[0].regions == ["no"] and cfg.groups[0].create is False
    path.write_text("app: {scim_base_url: 'https://own.example/scim/v2'}\nregions: [us1, false, 1]\n")
    assert rendered(path) == [
        f"{path}:2:16: regions[1]: YAML reads this as a boolean, not a region code: quote it, e.g. 'false' (got False)",
        f"{path}:2:23: regions[2]: YAML reads this as a number, not a region code: a region code is letters "
        "then letters/digits, such as 'us1' or 'emea2' (got 1)",
    ]


def test_directory_messages_have_lines_and_names(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("users:\n  - logn: ann@example.com\n    first_nme: Ann\n")
    assert rendered(path, load_directory) == [  # a misspelt required key is one problem, not two
        f"{path}:2:5: users[0].logn: unknown key; did you mean `login` (required, and missing)? allowed here: "
        "login, first_name, last_name, email, groups, " + PROFILE_KEYS + " (see config/README.md)",
        # the names are optional (an org may make them so): a misspelt one is not said to be missing
        f"{path}:3:5: users[0].first_nme: unknown key; did you mean `first_name`? allowed here: "
        "login, first_name, last_name, email, groups, " + PROFILE_KEYS + " (see config/README.md)",
    ]


def test_problems_are_listed_in_the_order_of_their_lines(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "people:\n  - login: ann@example.com\n    regions: [mars1]\n"  # people before app and groups
        "groups:\n  - {name: A, regions: [us1], create: maybe}\n"
        "app: {scim_base_url: 'http://own.example/scim/v2'}\n"
        "regions: [us1]\n"
    )
    lines = [line.split(": ", 1)[0] for line in rendered(path)]
    assert lines == [f"{path}:3:15", f"{path}:5:39", f"{path}:6:22"], rendered(path)


@pytest.mark.parametrize(("written", "meant"), [("person", "people"), ("group", "groups"), ("Regions", "regions")])
def test_a_singular_or_plural_key_suggests_the_allowed_one(written, meant):
    data = example_data()
    data[written] = data.pop(meant)
    [unknown] = [i for i in _issues(data) if i.path == written]
    assert f"unknown key; did you mean `{meant}`" in unknown.message
    assert not any(i.message == "required key is missing" for i in _issues(data))


def _issues(data) -> list:
    with pytest.raises(ConfigError) as info:
        parse_config(data, "c.yaml")
    return info.value.issues


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing yet\n"])
def test_an_empty_file_says_it_is_empty(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    assert rendered(path) == [
        f"{path}: the file is empty: it must be a mapping with keys app, regions, groups, people (see config/README.md)"
    ]
    assert rendered(path, load_directory) == [
        f"{path}: the file is empty: it must be a mapping with keys users (see config/README.md)"
    ]


@pytest.mark.parametrize(
    ("text", "where"),
    [("app:\n\tlabel: Own\n", "2:1"), ("app: {label: Own}\npeople:\n  - login: a\n  \t regions: [us1]\n", "4:3")],
)
def test_a_tab_in_the_indentation_says_yaml_forbids_it(tmp_path, text, where):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    assert rendered(path) == [
        f"{path}:{where}: not valid YAML: a tab in the indentation (YAML forbids tabs for indentation; "
        "indent with spaces)"
    ]


# --------------------------------------------------------------------------- unknown groups


def test_unknown_groups_name_the_user_the_group_and_the_closest_configured_one():
    cfg = load_config(EXAMPLE)
    directory = parse_directory(
        {
            "users": [
                {"login": "ann@example.com", "first_name": "A", "last_name": "B", "groups": ["own emea", "Own EMAE"]},
                {"login": "bob@example.com", "first_name": "B", "last_name": "C", "groups": ["Everyone", "OWN US"]},
                {"login": "cy@example.com", "first_name": "C", "last_name": "D", "groups": ["Own \u0415MEA"]},
            ]
        }
    )
    assert unknown_groups(cfg, directory) == [
        UnknownGroup("ann@example.com", "Own EMAE", 0, "Own EMEA"),
        UnknownGroup("bob@example.com", "Everyone", 1, None),
        UnknownGroup("cy@example.com", "Own \u0415MEA", 2, "Own EMEA", ("U+0415 CYRILLIC CAPITAL LETTER IE",)),
    ]
    messages = [u.message for u in unknown_groups(cfg, directory)]
    assert messages[0] == (
        "users[0] (ann@example.com): group 'Own EMAE' is not in the config, so it assigns nothing "
        "(did you mean 'Own EMEA'?)"
    )
    assert messages[1].endswith("group 'Everyone' is not in the config, so it assigns nothing")
    assert "it looks like 'Own EMEA' but has U+0415 CYRILLIC CAPITAL LETTER IE" in messages[2]


def test_the_example_directory_has_no_misspelt_group():
    found = unknown_groups(load_config(EXAMPLE), load_directory(DIRECTORY))
    assert {(u.group, u.suggestion) for u in found} == {("Everyone", None)}


def test_a_config_and_a_directory_given_the_other_way_round_say_so(tmp_path):
    config, directory = REPO / "config" / "example.yaml", REPO / "config" / "example-directory.yaml"
    as_directory = rendered(config, load_directory)
    assert len(as_directory) == 4
    assert all("this looks like a config file, not a directory file" in p for p in as_directory)
    as_config = rendered(directory)
    assert any("users: unknown key; this looks like a directory file" in p for p in as_config), as_config


def test_region_codes_separated_by_spaces_say_use_commas(tmp_path):
    path = example_with(tmp_path, "regions: [us1, emea2, uk1]", "regions: us1 emea2 uk1")
    [problem] = rendered(path)
    assert (
        "regions[0]: several region codes separated by spaces: separate them with commas, e.g. [us1, emea2, uk1]"
        in problem
    )


def test_keys_that_are_not_strings_are_placed_where_they_are_written(tmp_path):
    path = tmp_path / "k.yaml"
    path.write_text("app: {scim_base_url: 'https://own.example/scim/v2'}\nregions: [us1]\n? [a, b]\n: c\nnull: d\n")
    assert rendered(path) == [
        f"{path}:3:3: ('a', 'b'): a key must be a string; see config/README.md for the keys allowed here",
        f"{path}:5:1: None: a key must be a string; see config/README.md for the keys allowed here",
    ]


@pytest.mark.parametrize(
    "login", ["dana lee@example.com", "", "a" * 101 + "@example.com", "\u202emoc.elpmaxe@nna", "ann@exa\nmple.com"]
)
def test_a_login_is_one_type_read_the_same_in_the_config_and_the_directory(login):
    """``people[i].login`` and ``users[i].login`` are the one :data:`Login` type: the same
    bad login gets the same message in both files."""
    adapter = TypeAdapter(Login)
    with pytest.raises(ValidationError):
        adapter.validate_python(login)
    data = example_data()
    data["people"][0]["login"] = login
    with pytest.raises(ConfigError) as in_config:
        parse_config(data, "c.yaml")
    with pytest.raises(ConfigError) as in_directory:
        parse_directory({"users": [{"login": login, "first_name": "A", "last_name": "B"}]}, "d.yaml")
    [config_issue] = [i for i in in_config.value.issues if i.path == "people[0].login"]
    [directory_issue] = in_directory.value.issues
    assert config_issue.message == directory_issue.message
    assert adapter.validate_python("dana.lee@example.com") == "dana.lee@example.com"


def test_did_you_mean_offers_only_a_login_a_typo_away():
    """Another person at the same domain is not a suggestion: only the same name at a
    misspelt domain, or the same domain and a name a letter or two off."""
    logins = ["alex.jones@example.com", "dan@example.com", "dana.lee@exmaple.com", "sam.river@example.com"]
    directory = parse_directory({"users": [{"login": x, "first_name": "A", "last_name": "B"} for x in logins]})
    assert directory.closest_login("alex.smith@example.com") is None
    assert directory.closest_login("ann@example.com") is None
    assert directory.closest_login("dana.lee@example.com") == "dana.lee@exmaple.com"
    assert directory.closest_login("sam.rivera@example.com") == "sam.river@example.com"
    assert directory.closest_login("DAN@example.co") == "dan@example.com"


def _unknown_user_by_user(cfg, directory):
    """The definition of :func:`unknown_groups`, user by user (what it computes from the index)."""
    configured = {okta_fold(g.name) for g in cfg.groups}
    closest = {u.group: u for u in unknown_groups(cfg, directory)}
    return [
        UnknownGroup(user.login, group, i, closest[group].suggestion, closest[group].lookalike_characters)
        for i, user in enumerate(directory.users)
        for group in user.groups
        if okta_fold(group) not in configured
    ]


def test_unknown_groups_from_the_directory_index_are_those_of_a_pass_over_every_user():
    """The groups are compared once a name (:attr:`Directory.listings`), the answer in
    directory order (user, then the user's order of groups), as a pass over every user gives."""
    cfg = load_config(EXAMPLE)
    names = ["Own EMAE", "Everyone", "own emea", "Own \u0415MEA", "Contractors", "OWN US", "Own EMEAA"]
    users = [
        {"login": f"u{i}@example.com", "groups": [names[(i * k) % len(names)] for k in (1, 3, 2)][: 1 + i % 3]}
        for i in range(40)
    ]
    directory = parse_directory({"users": users})
    found = unknown_groups(cfg, directory)
    assert found == _unknown_user_by_user(cfg, directory)
    assert [u.index for u in found] == sorted(u.index for u in found)
    assert unknown_groups(cfg, directory, suggested_only=True) == [u for u in found if u.suggestion is not None]
    assert {u.group for u in found if u.suggestion} == {"Own EMAE", "Own \u0415MEA", "Own EMEAA"}


def test_the_directory_index_of_a_copy_is_the_copys():
    """A directory copied with other users (the console's memberships) is indexed anew."""
    directory = parse_directory({"users": [{"login": "ann@example.com", "groups": ["Own EMEA"]}]})
    assert directory.members == {"own emea": [0]}
    moved = directory.model_copy(update={"users": [directory.users[0].model_copy(update={"groups": ["Own US"]})]})
    assert moved.members == {"own us": [0]}
    assert moved.user("ann@example.com").groups == ["Own US"]


def test_the_lookalike_keys_of_ascii_names_are_their_skeletons_by_definition():
    """ASCII names are mapped with one table (the same answer as NFD, each character's
    representative, NFD again), and have no invisible formatting character."""
    every = "".join(map(chr, range(128)))
    samples = [every, "Own EMEA", "Team I", "Team l", "ann.smith@example.com", "O0Il|`"]
    for text in [*samples, *(every[i : i + 9] for i in range(0, 128, 5))]:
        nfd = unicodedata.normalize("NFD", text)
        assert skeleton(text) == unicodedata.normalize("NFD", "".join(representative(c) for c in nfd))
        assert format_characters(text) == []
    assert skeleton("Team I") == skeleton("Team l") == skeleton("Team 1")
    assert format_characters("ann\u200b@example.com") == ["U+200B ZERO WIDTH SPACE"]
