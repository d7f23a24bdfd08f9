"""``verify``: check a live Okta org against the config, read-only."""

from __future__ import annotations

import argparse
import sys

from ownscim_infra.cli.options import (
    add_config_argument,
    add_format_argument,
    add_stack_argument,
    add_width_argument,
    text_width,
)
from ownscim_infra.live.okta_api import CREDENTIALS_HELP, READ_SCOPES

HELP = "check a live Okta org against the config (read-only)"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``verify`` command."""
    p = subparsers.add_parser(
        "verify",
        help=HELP,
        description="Check a live Okta org against the config, read-only (credentials: "
        f"{CREDENTIALS_HELP}; the service app's scopes: {' '.join(READ_SCOPES)}). "
        "Exit 0 no drift, 1 drift (each with the command or Admin Console step that repairs it), 2 bad input, "
        "missing or rejected credentials or an Okta error (one line), 70 a crash.",
    )
    add_config_argument(p, live_org=True)
    p.add_argument("--app-id", help="the Okta app id (default: the scim2headerauth app with the config's label)")
    add_stack_argument(p)
    add_format_argument(p, ("text", "json"))
    add_width_argument(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the report; 0 no drift, 1 drift, 2 bad config, credentials or Okta error (an
    :class:`~ownscim_infra.domain.errors.InputError`, printed by :func:`ownscim_infra.cli.main`)."""
    from ownscim_infra.live.verify import render_json, render_text, verify

    report = verify(args.config, args.app_id, stack=args.stack)
    if args.format == "json":
        sys.stdout.write(render_json(report))
    else:
        sys.stdout.write(render_text(report, width=text_width(args)))
    return 1 if report.drift else 0
