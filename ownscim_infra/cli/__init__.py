"""Command line: ``ownscim <command> [options]``, or ``python -m ownscim_infra <command>``.

One module a command (:mod:`.plan`, :mod:`.simulate`, :mod:`.review`, :mod:`.review_changes`,
:mod:`.verify`, :mod:`.adopt`, :mod:`.directory`, :mod:`.receiver`), each thin:
``register(subparsers)`` adds its parser and sets
``handler``, a callable taking the parsed ``argparse.Namespace`` and returning the process
exit code (:data:`EXIT_OK` 0 ok or safe, :data:`EXIT_ATTENTION` 1 a finding, a difference or a
review that needs attention, :data:`EXIT_BAD_INPUT` 2 bad input or usage, :data:`EXIT_BLOCKED` 3
a review whose ``pulumi up`` would fail, :data:`EXIT_CRASH` 70 a bug); the handler imports the
work it calls. Options several commands share are in :mod:`.options`. Only the module of
the command named on the command line is imported, so ``plan`` never loads the receiver and
``simulate --help`` loads neither Pulumi nor uvicorn.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from pathlib import Path

from ownscim_infra import PULUMI_OKTA_VERSION, __version__
from ownscim_infra.domain.errors import InputError

#: Exit codes of every command (README, "Exit codes"). 1 is something for a person to read;
#: 2 and 3 fail a CI job; 70 (BSD sysexits' EX_SOFTWARE) is a crash, never confused with a
#: verdict: the traceback is on stderr.
EXIT_OK, EXIT_ATTENTION, EXIT_BAD_INPUT, EXIT_BLOCKED, EXIT_CRASH = 0, 1, 2, 3, 70

#: command name -> (module that implements it, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "plan": ("ownscim_infra.cli.plan", "render the offline plan of the Pulumi program (no credentials)"),
    "simulate": ("ownscim_infra.cli.simulate", "provision the config's users through an emulated Okta into a receiver"),
    "review": (
        "ownscim_infra.cli.review",
        "review a config change: verdict, people before -> after, resources, warnings",
    ),
    "review-changes": (
        "ownscim_infra.cli.review_changes",
        "review every config a branch changes against the merge base (for CI): report, comment, verdict JSON",
    ),
    "receiver": ("ownscim_infra.cli.receiver", "serve a SCIM 2.0 receiver that behaves like Own's endpoint"),
    "verify": ("ownscim_infra.cli.verify", "check a live Okta org against the config (read-only)"),
    "adopt": ("ownscim_infra.cli.adopt", "write the 'pulumi import' file for an app set up by hand (read-only)"),
    "directory": (
        "ownscim_infra.cli.directory",
        "directory pull CONFIG... --output FILE: write the directory file from a live Okta org (read-only)",
    ),
}


def _prog() -> str:
    """``ownscim`` when run as the console script, else ``python -m ownscim_infra``."""
    return "ownscim" if Path(sys.argv[0]).name == "ownscim" else "python -m ownscim_infra"


def version_line() -> str:
    """``ownscim RELEASE (pulumi-okta PINNED)``, and the installed pulumi-okta when it is another."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("pulumi-okta")
    except PackageNotFoundError:
        installed = "not installed"
    other = "" if installed == PULUMI_OKTA_VERSION else f"; installed: {installed}"
    return f"ownscim {__version__} (pulumi-okta {PULUMI_OKTA_VERSION}{other})"


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    """Build the parser; only the module of the command named in ``argv`` is imported."""
    parser = argparse.ArgumentParser(
        prog=_prog(),
        description="The Okta side of Own's SCIM 2.0 provisioning, as code: the offline plan, the simulation, "
        "the review of a config change, the SCIM receiver, and read-only checks of a live Okta org.",
    )
    parser.add_argument("--version", action="version", version=version_line())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in COMMANDS.items():
        if name == chosen:
            importlib.import_module(module).register(sub)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code (2 for a usage error, 70 for a crash: an
    exception that is not bad input, its traceback printed on stderr)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    # the command as typed, for the messages: ``directory pull`` (a subcommand sets ``command_name``)
    name = getattr(args, "command_name", args.command)
    try:
        return int(handler(args))
    except InputError as exc:  # the one exit point of bad input: one line a problem, no traceback
        print(f"{name}: {exc}" if exc.named else exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # the reader went away (``... | head``): stop quietly, as a Unix filter does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ATTENTION
    except Exception:  # a bug: never an exit code a verdict uses (a CI job must not read it as "reviewed")
        traceback.print_exc()
        print(f"{name}: internal error (a bug in ownscim, please report it)", file=sys.stderr)
        return EXIT_CRASH
