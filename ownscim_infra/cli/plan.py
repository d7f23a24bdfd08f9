"""``plan``: print the offline plan of the Pulumi program (no credentials)."""

from __future__ import annotations

import argparse
import sys

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
        description="The offline plan: the real Pulumi program under the mock runtime, for reviewers.",
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
        sys.stdout.write(render_text(plan, width=text_width(args)))
    else:
        sys.stdout.write(RENDERERS[args.format](plan))
    return 0
