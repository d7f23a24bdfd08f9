"""The options several commands share, defined once: the config positional, ``--directory``,
``--format``, ``--wide``, and how a directory file is found."""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ownscim_infra.domain.console_actions import ACTIONS as CONSOLE_ACTIONS
from ownscim_infra.domain.errors import InputError
from ownscim_infra.domain.tables import DEFAULT_WIDTH

#: The config the commands read when none is named.
DEFAULT_CONFIG = "config/example.yaml"
#: The name of the directory file that may sit beside a config: ``acme.yaml`` ->
#: ``acme-directory.yaml`` (``config/example-directory.yaml`` for the example).
DIRECTORY_SUFFIX = "-directory"


def add_config_argument(parser: argparse.ArgumentParser, *, dest: str = "config", live_org: bool = False) -> None:
    """The ``CONFIG`` positional: optional (default :data:`DEFAULT_CONFIG`) for the offline
    commands; required with ``live_org`` (a command that reads or writes a live Okta org:
    with production credentials exported, a default would check production against the
    example), so that a missing one is a usage error (exit 2) naming CONFIG."""
    if live_org:
        parser.add_argument(
            dest, metavar="CONFIG", help="config file (required: this command reads a live Okta org, so no default)"
        )
        return
    parser.add_argument(
        dest, nargs="?", default=DEFAULT_CONFIG, metavar="CONFIG", help=f"config file (default {DEFAULT_CONFIG})"
    )


def add_directory_argument(parser: argparse.ArgumentParser, *, of: str = "NAME.yaml", required: bool = True) -> None:
    """``--directory FILE``, the same option in every command that reads a directory file:
    the Okta users and their groups, by default ``NAME-directory.yaml`` beside ``of`` (the
    config the command reads); without one, the command needs it (``required``, see
    :func:`directory_for`) or runs without the warnings that depend on memberships."""
    otherwise = (
        "otherwise required"
        if required
        else "otherwise none: the warnings that depend on memberships, e.g. a person assigned directly and "
        "through a group, are skipped"
    )
    parser.add_argument(
        "--directory",
        metavar="FILE",
        help=f"Okta directory file: the Okta users and their groups (default: NAME-directory.yaml beside {of}, "
        f"if there is one; {otherwise})",
    )


def add_stack_argument(parser: argparse.ArgumentParser) -> None:
    """``--stack NAME``: the Pulumi stack whose URNs a repair names (``pulumi up --replace
    URN``); default: the config file's name without ``.yaml``, the program's convention
    (``config/<stack>.yaml``)."""
    parser.add_argument(
        "--stack",
        metavar="NAME",
        help="the Pulumi stack, for the URNs in the repair commands (default: the config file's name "
        "without .yaml, as config/<stack>.yaml)",
    )


def add_format_argument(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    """``--format`` among ``formats`` (the first is the default)."""
    parser.add_argument(
        "--format", choices=list(formats), default=formats[0], help=f"output format (default {formats[0]})"
    )


def add_width_argument(parser: argparse.ArgumentParser) -> None:
    """``--wide``: text tables as wide as their content instead of :data:`DEFAULT_WIDTH` columns."""
    parser.add_argument(
        "--wide",
        action="store_true",
        help=f"text tables as wide as their content (default: fit {DEFAULT_WIDTH} columns, long cells wrap)",
    )


def text_width(args: argparse.Namespace) -> int | None:
    """The width text output fits: ``None`` with ``--wide``; :data:`DEFAULT_WIDTH`, or a
    narrower terminal's width (at least 60)."""
    if getattr(args, "wide", False):
        return None
    if sys.stdout.isatty():
        return max(60, min(DEFAULT_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns))
    return DEFAULT_WIDTH


def _beside_path(config: Path) -> Path:
    return config.with_name(config.stem + DIRECTORY_SUFFIX + (config.suffix or ".yaml"))


def beside(config: str | Path) -> Path | None:
    """``NAME-directory.yaml`` beside ``NAME.yaml``, when it is there."""
    path = _beside_path(Path(config))
    return path if path.is_file() else None


def directory_for(config: str | Path, explicit: str | Path | None, fallback: Path | None = None) -> Path:
    """The directory file for ``config``: ``explicit`` if given, else ``NAME-directory.yaml``
    beside ``NAME.yaml``, else ``fallback``.

    :raises ConfigError: the config file is not there, or is not a valid config (a
        directory file given as the config is told so, as ``plan`` tells it).
    :raises InputError: no directory is (the message says both ways to give one).
    """
    if explicit:
        return Path(explicit)
    config = Path(config)
    if not config.is_file():
        from ownscim_infra.config.errors import ConfigError  # only now: --help stays light

        raise ConfigError.unreadable(config, os.strerror(errno.ENOENT))
    found = beside(config)
    if found is not None:
        return found
    if fallback is not None:
        return fallback
    from ownscim_infra.config import load_config

    load_config(config)  # a config that is not one (a directory file as NEW) says so first
    raise InputError(
        f"no Okta directory for {config}: pass --directory FILE (the Okta users and their groups, "
        f"as in config/example-directory.yaml), or put it beside the config as {_beside_path(config)}"
    )


def progress_bars() -> Callable[[str, int, int], None] | None:
    """A reporter that draws one progress bar a phase on stderr (tqdm), or ``None`` when
    stderr is not a terminal: pipes, files and CI logs get no progress output."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def report(phase: str, done: int, total: int) -> None:
        bar = bars.get(phase)
        if bar is None:
            # a terminal that reports no size (0 columns) would get no bar at all
            columns = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns or DEFAULT_WIDTH
            bar = bars[phase] = tqdm(
                total=total, desc=phase, file=sys.stderr, leave=False, unit="step", ncols=min(columns, DEFAULT_WIDTH)
            )
        bar.total = total
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return report


def add_day_two_arguments(parser: argparse.ArgumentParser, *, previous: str | None) -> None:
    """``--console FILE``, ``--refresh``, ``--replace URN``: what happened to the org after the
    previous run, and how the new ``pulumi up`` is run (``simulate``, ``review``).
    ``previous``: the option these need (``simulate``'s ``--previous``), or ``None`` when the
    previous run is always there (``review``'s BASE)."""
    after = "BASE's run" if previous is None else "the previous run"
    needs = "" if previous is None else f"; needs {previous}"
    parser.add_argument(
        "--console",
        metavar="FILE",
        help=f"a YAML list of Admin Console actions made after {after} ({', '.join(CONSOLE_ACTIONS)}: "
        f"config/README.md, 'The console file'){needs}",
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        help=f"run the change as `pulumi up --refresh` (each resource read first){needs}",
    )
    parser.add_argument(
        "--replace",
        metavar="URN",
        action="append",
        default=[],
        help="run the change as `pulumi up --replace URN` (repeatable; a URN of this stack or the resource name "
        f"that ends it){needs}",
    )


def add_deactivation_argument(parser: argparse.ArgumentParser) -> None:
    """``--deactivation remove|keep``: what the receiver started here does with a user Okta
    deactivates (:class:`~ownscim_infra.receiver.settings.ReceiverSettings`' ``deactivation``)."""
    from ownscim_infra.receiver.settings import DEACTIVATIONS  # the receiver's light face: stdlib only

    parser.add_argument(
        "--deactivation",
        choices=DEACTIVATIONS,
        default=DEACTIVATIONS[0],
        help="what the receiver started here (Own) does with a user Okta deactivates: remove (Own's documented "
        "deprovisioning, default: a move re-creates the user, role and business unit reset) or keep (kept "
        "inactive: a move reactivates the user with its old regions)",
    )
