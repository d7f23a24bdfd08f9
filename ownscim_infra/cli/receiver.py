"""``python -m ownscim_infra receiver``: serve the SCIM 2.0 receiver with uvicorn.

The token comes from ``OWN_SCIM_TOKEN`` or ``--token-file FILE``, never from an argument.
Exit codes: 0 after a clean stop, 2 on bad usage or when the receiver cannot start (the
database folder is missing, the file is read-only, not a database or corrupt, the port is
busy): one line on stderr, no traceback, and nothing announced as served.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys

from ownscim_infra.receiver.settings import (
    DEACTIVATIONS,
    DEFAULT_BUSINESS_UNIT,
    TOKEN_ENV,
    ReceiverSettings,
    SettingsError,
    StartupError,
    load_token,
    parse_region_list,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``receiver`` command to the top-level parser."""
    parser = subparsers.add_parser(
        "receiver",
        help="serve a SCIM 2.0 receiver that behaves like Own's endpoint",
        description=(
            "Serve a SCIM 2.0 receiver at http://HOST:PORT/scim/v2 that behaves like Own's SCIM endpoint "
            f"for Okta. The token is read from ${TOKEN_ENV} or --token-file. Exit 0 after a clean stop (Ctrl-C), "
            "2 bad usage or when it cannot start (one line), 70 a crash."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument(
        "--db",
        default="ownscim-receiver.db",
        metavar="FILE",
        help="SQLite file keeping the users (default ownscim-receiver.db)",
    )
    parser.add_argument(
        "--regions", required=True, metavar="LIST", help="the account's Own regions, comma-separated, e.g. us1,emea2"
    )
    parser.add_argument(
        "--business-unit",
        default=DEFAULT_BUSINESS_UNIT,
        metavar="NAME",
        help=f"the account's business unit name (default {DEFAULT_BUSINESS_UNIT!r}; "
        "any other name makes every create fail, as in Own)",
    )
    parser.add_argument("--token-file", metavar="FILE", help=f"read the SCIM token from FILE instead of ${TOKEN_ENV}")
    parser.add_argument(
        "--attribute-updates",
        choices=("refuse", "apply"),
        default="refuse",
        help="refuse (Own's behaviour, default): PUT/PATCH may change only 'active'; "
        "apply: let the SCIM machinery apply every update",
    )
    parser.add_argument(
        "--deactivation",
        choices=DEACTIVATIONS,
        default=DEACTIVATIONS[0],
        help="remove (Own's documented behaviour, default): a user deactivated by PATCH or PUT is removed, "
        "so a re-assignment creates it anew (Read-only, Default Business Unit); "
        "keep: the user stays, inactive, with its regions, role and business unit",
    )
    parser.add_argument(
        "--durability",
        choices=("full", "normal"),
        default="full",
        help="full (default): every acknowledged write is flushed to disk first and survives a power loss; "
        "normal: survives a crash of the receiver, but a power loss may undo the last acknowledged writes",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=("debug", "info", "warning", "error"),
        help="log level (default info: one line per request)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Build the settings from ``args`` and serve until interrupted.

    :raises SettingsError: a setting is invalid, or the receiver cannot start
        (:class:`StartupError`); :func:`ownscim_infra.cli.main` prints it on one line and exits 2.
    """
    settings = ReceiverSettings(
        regions=parse_region_list(args.regions),
        token=load_token(args.token_file),
        db_path=args.db,
        business_unit=args.business_unit,
        attribute_updates=args.attribute_updates,
        durability=args.durability,
        deactivation=args.deactivation,
    )
    if not 0 <= args.port <= 65535:
        raise SettingsError(f"invalid port {args.port} (allowed: 0 to 65535)")

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # One line per request: skip what the format does not show (the logging HOWTO's "Optimization");
    # the request line itself is made without a caller lookup (see receiver.app's request log).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    from ownscim_infra.receiver.server import serve  # uvicorn is imported only when serving

    if not _is_loopback(args.host):
        print(
            f"receiver: warning: listening on {args.host}, not only on this machine: anyone who can reach it "
            "may try the token; over plain http (docs/receiver.md: keep it on 127.0.0.1 behind a tunnel)",
            file=sys.stderr,
        )

    def announce(base_url: str) -> None:
        print(
            f"receiver: serving SCIM 2.0 at {base_url} "
            f"(regions {','.join(settings.regions)}, db {settings.db_path}, "
            f"attribute updates {settings.attribute_updates}, deactivation {settings.deactivation}, "
            f"durability {settings.durability})",
            file=sys.stderr,
            flush=True,
        )

    try:
        serve(settings, host=args.host, port=args.port, log_level=args.log_level, announce=announce)
    except OSError as exc:
        raise StartupError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        pass
    return 0


def _is_loopback(host: str) -> bool:
    """Whether ``host`` (``--host``) is a loopback address or ``localhost``."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
