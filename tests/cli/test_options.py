"""The options several commands share (ownscim_infra/cli/options.py): one definition each,
the same words in every command's help."""

from __future__ import annotations

import argparse

from ownscim_infra.cli import build_parser


def option(command: str, flag: str) -> argparse.Action:
    parser = build_parser([command])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    return next(a for a in sub._actions if flag in a.option_strings)


def test_directory_is_one_option_in_every_command_that_reads_a_directory():
    helps = {command: option(command, "--directory").help or "" for command in ("plan", "simulate", "review")}
    head = "Okta directory file: the Okta users and their groups (default: NAME-directory.yaml beside "
    assert all(text.startswith(head) for text in helps.values()), helps
    assert helps["simulate"].endswith("if there is one; otherwise required)")
    assert helps["review"] == helps["simulate"].replace("beside NAME.yaml", "beside NEW")
    assert "otherwise none: the warnings that depend on memberships" in helps["plan"]
    assert {option(c, "--directory").metavar for c in helps} == {"FILE"}
