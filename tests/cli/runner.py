"""Run a command of the CLI in this process, as a user runs it: ``cli.main(argv)`` from the
repository's root, its stdout and stderr captured, its exit code returned. A subprocess costs
a fresh interpreter and a fresh import of Pulumi each time; only the tests of what a process
does at its edges (the console script, a terminal, a closed pipe, the exit) and the golden
files start one."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ownscim_infra.cli import main
from tests.conftest import REPO


@dataclass(frozen=True)
class Ran:
    """What a command did: ``returncode``, ``stdout``, ``stderr`` (as ``subprocess.run`` names them)."""

    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def _environ(changes: Mapping[str, str | None]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in changes}
    try:
        for key, value in changes.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def ownscim(*argv: str, env: Mapping[str, str | None] | None = None) -> Ran:
    """``ownscim ARGV...`` in this process from the repository's root; ``env``: variables to
    set (``None``: to unset) while it runs. Every ``OKTA_*`` variable is unset, as a
    developer's shell may hold some."""
    out, err = io.StringIO(), io.StringIO()
    okta = {key: None for key in os.environ if key.startswith("OKTA_")}
    with (
        contextlib.chdir(REPO),
        _environ({**okta, **(env or {})}),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse: --help, a usage error
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return Ran(code, out.getvalue(), err.getvalue())
