"""``adopt``: write Pulumi's bulk import file for an app set up by hand (read-only)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ownscim_infra.cli.options import add_config_argument, add_stack_argument, add_width_argument, text_width
from ownscim_infra.live.okta_api import CREDENTIALS_HELP, READ_SCOPES

HELP = "write the `pulumi import` file for an app set up by hand (read-only)"
DEFAULT_OUTPUT = "pulumi-import.json"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``adopt`` command."""
    p = subparsers.add_parser(
        "adopt",
        help=HELP,
        description="Bring an app set up by hand under the program: write the file for "
        f"`pulumi import --file` (read-only; credentials: {CREDENTIALS_HELP}; the service app's scopes: "
        f"{' '.join(READ_SCOPES)}). Exit 0 written, 1 written but an assignment's regions value differs from "
        "the config (the summary gives the `pulumi up --replace` to run "
        "after the import), 2 bad input, missing or rejected credentials or an Okta error, 70 a crash.",
    )
    add_config_argument(p, live_org=True)
    p.add_argument(
        "--app-id", required=True, help="the Okta id of the app set up by hand (Admin Console URL: .../instance/<id>)"
    )
    p.add_argument(
        "--output",
        "-o",
        default=DEFAULT_OUTPUT,
        metavar="FILE",
        help=f"import file to write, '-' for stdout (default {DEFAULT_OUTPUT})",
    )
    add_stack_argument(p)
    add_width_argument(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Write the import file and print the summary; 0, 1 when an assignment's ``regions``
    value differs from the config (the file is written, but no ``pulumi up`` after the import
    changes that value: the summary gives the ``pulumi up --replace`` that does), or 2 on any error (an
    :class:`~ownscim_infra.domain.errors.InputError`, one line on stderr, printed by
    :func:`ownscim_infra.cli.main`).

    The resources to map come from the offline plan of the same config: the program itself
    says what it declares (the live layer never runs Pulumi).
    """
    from ownscim_infra.live.adopt import adopt, render_summary
    from ownscim_infra.live.verify import default_stack
    from ownscim_infra.offline.plan import build_plan

    plan = build_plan(args.config)
    adoption = adopt(plan.config, plan.resources, args.app_id, stack=args.stack or default_stack(args.config))
    document = json.dumps(adoption.import_file(), indent=2) + "\n"
    if args.output == "-":
        sys.stdout.write(document)
        sys.stderr.write(render_summary(adoption, "<stdout>", width=text_width(args)))
    else:
        Path(args.output).write_text(document, encoding="utf-8")
        sys.stdout.write(render_summary(adoption, args.output, width=text_width(args)))
    return 1 if adoption.replacements else 0
