"""The options several commands share, defined once: the config positional, ``--format``,
the directory file."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

#: The config the commands read when none is named.
DEFAULT_CONFIG = "config/example.yaml"
#: The Okta directory ``simulate`` provisions from when none is named.
DEFAULT_DIRECTORY = "config/example-directory.yaml"


def add_config_argument(parser: argparse.ArgumentParser, *, dest: str = "config") -> None:
    """The optional ``CONFIG`` positional (default :data:`DEFAULT_CONFIG`)."""
    parser.add_argument(
        dest, nargs="?", default=DEFAULT_CONFIG, metavar="CONFIG", help=f"config file (default {DEFAULT_CONFIG})"
    )


def add_format_argument(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    """``--format`` among ``formats`` (the first is the default)."""
    parser.add_argument(
        "--format", choices=list(formats), default=formats[0], help=f"output format (default {formats[0]})"
    )
