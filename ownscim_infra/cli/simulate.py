"""``simulate``: provision the config's users through an emulated Okta into a SCIM receiver."""

from __future__ import annotations

import argparse
import json
import os
import sys

from ownscim_infra.cli.options import (
    add_config_argument,
    add_day_two_arguments,
    add_deactivation_argument,
    add_directory_argument,
    add_format_argument,
    add_width_argument,
    directory_for,
    progress_bars,
    text_width,
)
from ownscim_infra.domain.own_setup import DEFAULT_BUSINESS_UNIT
from ownscim_infra.receiver.settings import TOKEN_ENV

HELP = "provision the config's users through an emulated Okta into a receiver"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` command."""
    p = subparsers.add_parser(
        "simulate",
        help=HELP,
        description="End to end, offline: from the declared Okta resources to users in Own's regions; with "
        "--previous OLD, what the change from OLD does to each person in Own. Exit 0 every user as the config "
        "means and no finding, 1 a user differs or a finding (it judges where the run ends: a change that "
        "re-creates people may still exit 0; `review` judges the change), 2 bad input, 70 a crash.",
    )
    add_config_argument(p)
    add_directory_argument(p)
    receiver = p.add_mutually_exclusive_group()
    receiver.add_argument(
        "--receiver",
        metavar="URL",
        help=f"SCIM base URL of a running receiver (token in {TOKEN_ENV}); default: start one in this process",
    )
    receiver.add_argument(
        "--http",
        action="store_true",
        help="serve the receiver started here on 127.0.0.1 and send it Okta's requests over HTTP "
        "(default: the same requests in this process, without a socket)",
    )
    p.add_argument("--previous", metavar="CONFIG", help="provision this config first, then apply the change")
    p.add_argument(
        "--previous-directory",
        metavar="FILE",
        help="the directory before the change (default: the one beside the previous config, else --directory)",
    )
    p.add_argument(
        "--business-unit",
        default=DEFAULT_BUSINESS_UNIT,
        help="business unit name of the started receiver (anything else reproduces Own's renamed-unit failure)",
    )
    add_deactivation_argument(p)
    add_day_two_arguments(p, previous="--previous")
    p.add_argument(
        "--direct-scope",
        choices=("user", "group"),
        default="user",
        help="what Okta makes of a direct assignment of a member of an assigned group (the provider never "
        "sends scope): user (the person's own regions win, default) or group (the person stays GROUP-scoped "
        "with the group's regions, as articulate/terraform-provider-okta #264 reports; unverified)",
    )
    p.add_argument(
        "--request-deadline",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="the most each SCIM request may take in all, from its start to the answer's last byte (default 30)",
    )
    add_format_argument(p, ("text", "json"))
    add_width_argument(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the simulation; exit 0 all as meant, 1 differences or findings, 2 bad input (an
    :class:`~ownscim_infra.domain.errors.InputError`, printed by :func:`ownscim_infra.cli.main`)."""
    from ownscim_infra.offline.report_text import render_text
    from ownscim_infra.offline.simulate import simulate

    directory = directory_for(args.config, args.directory)
    previous = (
        (args.previous, directory_for(args.previous, args.previous_directory, fallback=directory))
        if args.previous
        else None
    )
    report = simulate(
        args.config,
        directory,
        receiver_url=args.receiver,
        token=os.environ.get(TOKEN_ENV),
        previous=previous,
        business_unit=args.business_unit,
        deactivation=args.deactivation,
        request_deadline=args.request_deadline,
        progress=progress_bars(),
        console=args.console,
        refresh=args.refresh,
        replace=args.replace,
        direct_scope=args.direct_scope.upper(),
        http=args.http,
    )
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(render_text(report, width=text_width(args)))
    return 0 if report.ok else 1
