"""``directory pull``: write the directory file from a live Okta org (read-only)."""

from __future__ import annotations

import argparse
import sys

from ownscim_infra.cli.options import add_config_argument
from ownscim_infra.live.okta_api import CREDENTIALS_HELP

HELP = "write the directory file from a live Okta org (read-only): directory pull CONFIG... --output FILE"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``directory`` command and its ``pull`` subcommand."""
    p = subparsers.add_parser("directory", help=HELP, description="The directory file (Okta users and their groups).")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True, help="pull: write the file from the org")
    pull = actions.add_parser(
        "pull",
        help="read the users the configs need from a live Okta org and write the directory file",
        description="Read, read-only, the users that matter to the configs (members of their groups and of the "
        "groups assigned to their app, their people and group members, the app's assignees) with the profile "
        "attributes their group rules read, and write the directory file (JSON, deterministic, atomic). "
        f"Credentials: {CREDENTIALS_HELP} (the service app's scopes: okta.users.read okta.groups.read okta.apps.read). "
        "Exit 0 written, 2 bad input, missing or rejected credentials or an Okta error (one line), 70 a crash.",
    )
    add_config_argument(pull, live_org=True)
    pull.add_argument(
        "more_configs", nargs="*", default=[], metavar="CONFIG", help="more config files (their users are merged)"
    )
    pull.add_argument("--output", "-o", required=True, metavar="FILE", help="the directory file to write")
    pull.set_defaults(handler=handle, command_name="directory pull")


def handle(args: argparse.Namespace) -> int:
    """Write the file; 0 written, 2 bad config, credentials, Okta error or a server that does
    not answer as Okta does (one line, printed by :func:`ownscim_infra.cli.main`)."""
    from ownscim_infra.config.errors import MISSING, ConfigError, ConfigIssue
    from ownscim_infra.live.directory_pull import pull

    try:
        result = pull([args.config, *args.more_configs], args.output)
    except OSError as exc:
        issue = ConfigIssue("", MISSING, f"cannot write the file: {exc.strerror or exc}")
        raise ConfigError(args.output, [issue]) from None
    users = len(result.directory.users)
    print(f"wrote {result.output}: {users} user{'s' if users != 1 else ''} from {result.source}", file=sys.stderr)
    return 0
