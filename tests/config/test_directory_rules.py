"""The directory file's ``rules`` (the org's group rule exclusions, as ``directory pull`` writes
them): read, and every bad entry named with the file, line, key path, value and what is allowed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ownscim_infra.config import ConfigError
from ownscim_infra.config.directory import load_directory

USERS = [{"login": "louis.martin@example.com", "countryCode": "FR"}, {"login": "mia.schmidt@example.com"}]


def write(tmp_path: Path, rules: object, users: list[dict[str, str]] = USERS) -> Path:
    path = tmp_path / "directory.yaml"
    path.write_text(json.dumps({"rules": rules, "users": users}, indent=1))
    return path


def test_a_rules_exclusions_are_read_by_group_name(tmp_path):
    directory = load_directory(write(tmp_path, {"Own France": {"excluded": ["Louis.Martin@example.com"]}}))
    assert directory.rules["Own France"].excluded == ["Louis.Martin@example.com"]
    assert load_directory(write(tmp_path, {})).rules == {}


def test_every_bad_entry_is_named_with_its_key_path_and_what_is_allowed(tmp_path):
    path = write(
        tmp_path,
        {
            "Own France": {"excluded": ["nobody@example.com", "mia.schmidt@example.com", "MIA.schmidt@example.com"]},
            "own france": {"excluded": []},
            "Own DACH": {"exclude": ["mia.schmidt@example.com"]},
        },
    )
    with pytest.raises(ConfigError) as caught:
        load_directory(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"4 problem(s) in {path}:"
    text = "\n".join(lines)
    assert "rules.Own France.excluded[0]: is not a user of `users`" in text and "'nobody@example.com'" in text
    assert "rules.Own France.excluded[2]: is listed twice in this rule's exclusions" in text
    assert "rules.own france: group 'Own France' has its rule's exclusions already" in text
    assert "rules.Own DACH.exclude: unknown key" in text
    assert all(f"{path}:" in line for line in lines[1:]), "each names its line"


def test_more_than_oktas_100_exclusions_is_refused(tmp_path):
    users = [{"login": f"u{n}@example.com"} for n in range(101)]
    path = write(tmp_path, {"Own France": {"excluded": [u["login"] for u in users]}}, users)
    with pytest.raises(ConfigError) as caught:
        load_directory(path)
    assert "rules.Own France.excluded: lists 101 logins: a group rule excludes at most 100 users" in str(caught.value)
