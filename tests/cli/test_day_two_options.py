"""``--refresh`` and ``--replace`` model a later ``pulumi up`` on a stack a previous run left:
without ``--previous`` they are refused, as ``--console`` is; a ``--replace`` URN of another
stack or project than the run's is refused, naming both (exit 2)."""

from __future__ import annotations

import argparse

import pytest

from ownscim_infra.cli import build_parser
from tests.cli.runner import ownscim

CONFIG = "config/example.yaml"
TAIL = "::ownscim:okta:OwnScimProvisioning$okta:app/groupAssignment:GroupAssignment::own-scim-group-assignment-own-us"


@pytest.mark.parametrize(
    ("option", "argv"),
    [("--refresh", ["--refresh"]), ("--replace", ["--replace", "own-scim-group-assignment-own-us"])],
)
def test_simulate_refuses_refresh_or_replace_without_previous(option, argv):
    ran = ownscim("simulate", CONFIG, *argv)
    assert ran.returncode == 2, ran.stdout
    assert ran.stdout == ""
    assert ran.stderr.strip().splitlines() == [
        f"simulate: {option} needs --previous CONFIG: it runs the change as a later `pulumi up` on its stack"
    ]


@pytest.mark.parametrize(
    ("urn", "theirs"),
    [
        (f"urn:pulumi:acme-prod::ownscim{TAIL}", "stack 'acme-prod', project 'ownscim'"),
        (f"urn:pulumi:example::other{TAIL}", "stack 'example', project 'other'"),
    ],
)
@pytest.mark.parametrize("command", ["simulate", "review"])
def test_replace_refuses_a_urn_of_another_stack_or_project(command, urn, theirs):
    argv = ["--previous", CONFIG] if command == "simulate" else [CONFIG]
    ran = ownscim(command, *argv, CONFIG, "--replace", urn)
    assert ran.returncode == 2, ran.stdout
    assert ran.stderr.strip().splitlines() == [
        f"{command}: --replace {urn!r}: a URN of {theirs}; this run is stack 'example', project 'ownscim'"
    ]


def helps(command: str) -> dict[str, str]:
    parser = build_parser([command])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    return {a.option_strings[0]: a.help or "" for a in sub._actions if a.option_strings}


def test_the_help_names_what_each_command_has_for_the_previous_run():
    review = helps("review")
    assert "--previous" not in ownscim("review", "--help").stdout, "review has no --previous: BASE plays it"
    assert "made after BASE's run" in review["--console"]
    simulate = helps("simulate")
    for option in ("--console", "--refresh", "--replace"):
        assert simulate[option].endswith("; needs --previous"), option


@pytest.mark.parametrize("command", ["simulate", "review"])
def test_the_console_help_names_every_action_the_console_file_takes(command):
    """A newcomer writes the console file from ``--help``: every action the reader accepts is
    named there (rename-app and deactivate-app were missing)."""
    from ownscim_infra.config.console import ACTIONS

    text = helps(command)["--console"]
    assert [a for a in ACTIONS if a not in text] == []
