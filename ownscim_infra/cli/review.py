"""``review``: what a config change (a pull request) does to people in Own, and to Okta."""

from __future__ import annotations

import argparse
import sys

from ownscim_infra.cli import EXIT_ATTENTION, EXIT_BLOCKED, EXIT_OK
from ownscim_infra.cli.options import (
    add_day_two_arguments,
    add_deactivation_argument,
    add_directory_argument,
    add_format_argument,
    add_width_argument,
    directory_for,
    progress_bars,
    text_width,
)

HELP = "review a config change: verdict, people before -> after, resources, warnings"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``review`` command."""
    p = subparsers.add_parser(
        "review",
        help=HELP,
        description="Review a config change offline: run the emulated pulumi up of BASE, then of NEW, with Okta "
        "provisioning a SCIM receiver, and report the verdict (safe, needs attention, blocked), the people the "
        "change moves, deactivates or re-provisions (Own before -> after), what pulumi up does to each resource, "
        "and the warnings. Exit 0 safe, 1 needs attention, 3 blocked (pulumi up would fail), 2 bad input, "
        "70 a crash.",
    )
    p.add_argument("base", metavar="BASE", help="the config before the change (e.g. the main branch's)")
    p.add_argument("new", metavar="NEW", help="the config after the change (the pull request's)")
    add_directory_argument(p, of="NEW")
    p.add_argument(
        "--base-directory",
        metavar="FILE",
        help="the directory before the change (default: the one beside BASE, else the one of NEW)",
    )
    add_deactivation_argument(p)
    add_day_two_arguments(p, previous=None)
    p.add_argument("--all", action="store_true", help="list every person, not only those the change affects")
    add_format_argument(p, ("text", "markdown", "json"))
    add_width_argument(p)
    p.set_defaults(handler=handle)


def exit_code(verdict: str) -> int:
    """The exit code of a review's verdict: 0 ``safe``, 1 ``needs attention``, 3 ``blocked``
    (:data:`ownscim_infra.cli.EXIT_BLOCKED`); :class:`KeyError` for another verdict."""
    from ownscim_infra.offline.review import ATTENTION, BLOCKED, SAFE

    return {SAFE: EXIT_OK, ATTENTION: EXIT_ATTENTION, BLOCKED: EXIT_BLOCKED}[verdict]


def handle(args: argparse.Namespace) -> int:
    """Print the review; exit as :func:`exit_code` says, or 2 for bad input (an
    :class:`~ownscim_infra.domain.errors.InputError`, printed by :func:`ownscim_infra.cli.main`)."""
    from ownscim_infra.offline.review import render_json, render_markdown, render_text, review

    directory = directory_for(args.new, args.directory)
    base_directory = directory_for(args.base, args.base_directory, fallback=directory)
    rv = review(
        args.base,
        args.new,
        directory,
        base_directory=base_directory,
        deactivation=args.deactivation,
        progress=progress_bars(),
        console=args.console,
        refresh=args.refresh,
        replace=args.replace,
    )
    if args.format == "json":
        sys.stdout.write(render_json(rv, show_all=args.all))
    elif args.format == "markdown":
        sys.stdout.write(render_markdown(rv, show_all=args.all))
    else:
        sys.stdout.write(render_text(rv, width=text_width(args), show_all=args.all))
    return exit_code(rv.verdict)
