"""The options several commands share (ownscim_infra/cli/options.py): one definition each,
the same words in every command's help."""

from __future__ import annotations

import argparse

import pytest

from ownscim_infra.cli import build_parser, main
from tests.conftest import REPO


def option(command: str, flag: str) -> argparse.Action:
    parser = build_parser([command])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    return next(a for a in sub._actions if flag in a.option_strings or a.dest == flag)


def test_directory_is_one_option_in_every_command_that_reads_a_directory():
    helps = {command: option(command, "--directory").help or "" for command in ("plan", "simulate", "review")}
    head = "Okta directory file: the Okta users and their groups (default: NAME-directory.yaml beside "
    assert all(text.startswith(head) for text in helps.values()), helps
    assert helps["simulate"].endswith("if there is one; otherwise required)")
    assert helps["review"] == helps["simulate"].replace("beside NAME.yaml", "beside NEW")
    assert "otherwise none: the warnings that depend on memberships" in helps["plan"]
    assert {option(c, "--directory").metavar for c in helps} == {"FILE"}


@pytest.mark.parametrize("argv", [["verify"], ["adopt", "--app-id", "0oa1abcd2EFGH3ijk4x7"]])
def test_a_command_that_reads_a_live_org_has_no_default_config(argv, capsys, monkeypatch):
    """With production credentials exported, a bare `ownscim verify` must not check the
    production org against config/example.yaml: a missing CONFIG is a usage error, exit 2,
    before anything is read or sent."""
    monkeypatch.setenv("OKTA_ORG_URL", "http://127.0.0.1:9")  # nothing may be sent anywhere
    monkeypatch.setenv("OKTA_API_TOKEN", "not-a-token")
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"{argv[0]}: error: the following arguments are required: CONFIG" in err
    assert "config/example.yaml" not in err
    help_text = option(argv[0], "config").help or ""
    assert "required" in help_text and "live Okta org" in help_text


@pytest.mark.parametrize("command", ["plan", "simulate"])
def test_the_offline_commands_keep_the_example_as_their_default(command):
    assert option(command, "config").default == "config/example.yaml"


@pytest.mark.parametrize("command", [["review", "config/example.yaml"], ["simulate"], ["plan"]])
def test_a_directory_file_given_as_the_config_says_so_in_every_command(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    directory = tmp_path / "acme-directory.yaml"
    directory.write_text("users:\n  - {login: ann@example.com, first_name: Ann, last_name: Lee, groups: [Own US]}\n")
    assert main([*command, str(directory)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"1 problem(s) in {directory}:\n  {directory}:1:1: users: unknown key; this looks like a directory file "
        "(NAME-directory.yaml), not a config; give the config here\n"
    )
