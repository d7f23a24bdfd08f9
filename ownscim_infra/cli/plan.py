"""``plan``: print the offline plan of the Pulumi program (no credentials)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ownscim_infra.cli.options import (
    add_config_argument,
    add_directory_argument,
    add_format_argument,
    add_width_argument,
    beside,
    text_width,
)

HELP = "render the offline plan of the Pulumi program (no credentials)"
FORMATS = ("text", "markdown", "json")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``plan`` command."""
    p = subparsers.add_parser(
        "plan",
        help=HELP,
        description="The offline plan: the real Pulumi program under the mock runtime, for reviewers. Exit 0, "
        "2 bad input (every problem of the config, one a line), 70 a crash.",
    )
    add_config_argument(p)
    add_format_argument(p, FORMATS)
    add_width_argument(p)
    add_directory_argument(p, required=False)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the plan; exit 0, or 2 with the validation errors on stderr (raised as
    :class:`~ownscim_infra.domain.errors.InputError`, printed by :func:`ownscim_infra.cli.main`)."""
    from ownscim_infra.config.directory import load_directory
    from ownscim_infra.offline.plan import RENDERERS, build_plan, render_text

    found = args.directory or beside(args.config)
    directory = load_directory(found) if found else None
    plan = build_plan(args.config, directory=directory)
    if args.format == "text":
        sys.stdout.write(_said(render_text(plan, width=text_width(args)), directory_line(found), after=2))
    elif args.format == "markdown":
        sys.stdout.write(_said(RENDERERS["markdown"](plan), directory_line(found, markdown=True) + "\n", after=4))
    else:
        document = json.loads(RENDERERS["json"](plan))
        document["directory"] = str(found) if found else None
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return 0


def directory_line(found: str | Path | None, *, markdown: bool = False) -> str:
    """Whether the plan read a directory: ``with directory FILE``, or ``no directory:
    membership warnings skipped`` (a person assigned directly and through a group, a group
    the directory misspells, a person Okta does not have: none of these can be seen)."""
    if found:
        return f"With directory `{found}`." if markdown else f"with directory {found}"
    text = "no directory: membership warnings skipped (--directory FILE; default NAME-directory.yaml beside it)"
    return text[0].upper() + text[1:] + "." if markdown else text


def _said(rendered: str, line: str, *, after: int) -> str:
    """``rendered`` with ``line`` inserted after its first ``after`` lines."""
    lines = rendered.split("\n")
    return "\n".join(lines[:after] + [line] + lines[after:])
