"""Command line: ``ownscim <command> [options]``, or ``python -m ownscim_infra <command>``.

One module a command (:mod:`.plan`, :mod:`.simulate`, :mod:`.verify`, :mod:`.adopt`,
:mod:`.receiver`), each thin: ``register(subparsers)`` adds its parser and sets
``handler``, a callable taking the parsed ``argparse.Namespace`` and returning the process
exit code (0 ok, 1 a finding/difference, 2 bad input or usage); the handler imports the
work it calls. Options several commands share are in :mod:`.options`. Only the module of
the command named on the command line is imported, so ``plan`` never loads the receiver and
``simulate --help`` loads neither Pulumi nor uvicorn.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from ownscim_infra import __version__
from ownscim_infra.domain.errors import InputError

#: command name -> (module that implements it, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "plan": ("ownscim_infra.cli.plan", "render the offline plan of the Pulumi program (no credentials)"),
    "simulate": ("ownscim_infra.cli.simulate", "provision the config's users through an emulated Okta into a receiver"),
    "review": (
        "ownscim_infra.cli.review",
        "review a config change: verdict, people before -> after, resources, warnings",
    ),
    "receiver": ("ownscim_infra.cli.receiver", "serve a SCIM 2.0 receiver that behaves like Own's endpoint"),
    "verify": ("ownscim_infra.cli.verify", "check a live Okta org against the config (read-only)"),
    "adopt": ("ownscim_infra.cli.adopt", "write the 'pulumi import' file for an app set up by hand (read-only)"),
}


def _prog() -> str:
    """``ownscim`` when run as the console script, else ``python -m ownscim_infra``."""
    return "ownscim" if Path(sys.argv[0]).name == "ownscim" else "python -m ownscim_infra"


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    """Build the parser; only the module of the command named in ``argv`` is imported."""
    parser = argparse.ArgumentParser(
        prog=_prog(),
        description="The Okta side of Own's SCIM 2.0 provisioning, as code: the offline plan, the simulation, "
        "the review of a config change, the SCIM receiver, and read-only checks of a live Okta org.",
    )
    parser.add_argument("--version", action="version", version=f"ownscim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in COMMANDS.items():
        if name == chosen:
            importlib.import_module(module).register(sub)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code (2 for a usage error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(handler(args))
    except InputError as exc:  # the one exit point of bad input: one line a problem, no traceback
        print(f"{args.command}: {exc}" if exc.named else exc, file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (``... | head``): stop quietly, as a Unix filter does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
