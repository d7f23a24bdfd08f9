"""``verify``: check a live Okta org against the config, read-only."""

from __future__ import annotations

import argparse
import sys

from ownscim_infra.cli.options import add_config_argument, add_format_argument

HELP = "check a live Okta org against the config (read-only)"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``verify`` command."""
    p = subparsers.add_parser(
        "verify",
        help=HELP,
        description="Check a live Okta org against the config, read-only (credentials: "
        "OKTA_ORG_URL or OKTA_ORG_NAME + OKTA_BASE_URL, and OKTA_API_TOKEN).",
    )
    add_config_argument(p)
    p.add_argument("--app-id", help="the Okta app id (default: the scim2headerauth app with the config's label)")
    add_format_argument(p, ("text", "json"))
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the report; 0 no drift, 1 drift, 2 bad config/credentials/Okta error."""
    from ownscim_infra.config import ConfigError
    from ownscim_infra.live import okta_api
    from ownscim_infra.live.verify import RENDERERS, verify

    try:
        report = verify(args.config, args.app_id)
    except (ConfigError, okta_api.CredentialsError, okta_api.OktaApiError) as exc:
        print(f"verify: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(RENDERERS[args.format](report))
    return 1 if report.drift else 0
