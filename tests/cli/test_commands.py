"""The command line as a newcomer meets it: the console script, --version, help for every
option without reST markup, the directory beside the config, progress only on a terminal,
a closed pipe without a traceback. Commands run in this process (:mod:`tests.cli.runner`)
except where the test is about the process: the console script, a terminal, a pipe, the exit."""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from ownscim_infra import PULUMI_OKTA_VERSION, __version__
from ownscim_infra.cli import COMMANDS, build_parser
from tests.cli.runner import ownscim
from tests.conftest import REPO

SCRIPT = Path(sys.executable).with_name("ownscim")
MARKUP = re.compile(r"``|:(func|class|mod|data|meth|attr):")


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKTA_")}
    return subprocess.run(
        [sys.executable, "-m", "ownscim_infra", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        **kwargs,
    )


def test_console_script_and_version():
    result = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True, timeout=60)
    line = f"ownscim {__version__} (pulumi-okta {PULUMI_OKTA_VERSION})"
    assert result.returncode == 0 and result.stdout.strip() == line
    assert run("--version").stdout.strip() == line


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_has_a_help_line_and_no_markup(command):
    parser = build_parser([command])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    for action in sub._actions:
        assert action.help, f"{command} {action.option_strings or action.dest} has no help"
    text = ownscim(command, "--help").stdout
    assert text.startswith("usage: ") and not MARKUP.search(text), text
    assert not MARKUP.search(ownscim("--help").stdout)


def test_simulate_needs_a_directory_unless_one_sits_beside_the_config(tmp_path):
    config = tmp_path / "acme.yaml"
    config.write_text((REPO / "config" / "example.yaml").read_text())
    result = ownscim("simulate", str(config))
    assert result.returncode == 2
    assert "pass --directory FILE" in result.stderr and "acme-directory.yaml" in result.stderr
    (tmp_path / "acme-directory.yaml").write_text((REPO / "config" / "example-directory.yaml").read_text())
    result = ownscim("simulate", str(config), "--wide")
    assert result.returncode == 0, result.stderr
    assert f"with directory {tmp_path / 'acme-directory.yaml'}" in result.stdout


def test_no_progress_when_stderr_is_not_a_terminal():
    result = ownscim("simulate")
    assert result.returncode == 0 and result.stderr == ""


def test_progress_bars_on_a_terminal():
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "ownscim_infra", "simulate"],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=secondary,
            env={**os.environ, "COLUMNS": "100"},
        )
        os.close(secondary)
        seen = b""
        while True:
            ready, _, _ = select.select([primary], [], [], 120)
            if not ready:
                break
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        assert process.wait(timeout=120) == 0
    finally:
        os.close(primary)
    assert b"pulumi up" in seen and b"reading Own" in seen and b"step" in seen


def test_a_closed_pipe_is_not_a_traceback():
    plan = subprocess.Popen(
        [sys.executable, "-m", "ownscim_infra", "plan", "--format", "json"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert plan.stdout is not None and plan.stderr is not None
    plan.stdout.read(10)
    plan.stdout.close()  # as `| head -c 10` does
    err = plan.stderr.read().decode()
    plan.wait(timeout=120)
    assert "Traceback" not in err


def test_plan_leaves_no_event_loop_behind():
    """Pulumi's mock monitor opens an event loop in each executor thread; left to the garbage
    collector at exit they print "Exception ignored in BaseEventLoop.__del__" (seen in about
    one run of two with --directory before they were closed)."""
    for _ in range(4):
        result = run("plan", "config/example.yaml", "--directory", "config/example-directory.yaml")
        assert result.returncode == 0 and result.stderr == ""


@pytest.mark.parametrize("command", [["plan"], ["simulate"], ["review", "config/example.yaml"]])
def test_a_missing_config_reads_the_same_in_every_command(command, tmp_path):
    missing = str(tmp_path / "nope.yaml")
    res = ownscim(*command[:1], missing, *command[1:])
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr == f"1 problem(s) in {missing}:\n  {missing}: cannot read the file: No such file or directory\n"
