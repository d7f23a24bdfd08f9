"""Exit codes a CI job can trust (README, "Exit codes"): 0 safe, 1 needs attention, 3 blocked,
2 bad input, and a crash 70, never a code a verdict uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

import ownscim_infra.offline.review
from ownscim_infra.cli import EXIT_CRASH, main
from tests.conftest import EXAMPLE, REPO, example_data

DIRECTORY = REPO / "config" / "example-directory.yaml"


def review_exit(base: Path, new: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKTA_")}
    return subprocess.run(
        [sys.executable, "-m", "ownscim_infra", "review", str(base), str(new), "--directory", str(DIRECTORY)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def written(tmp_path: Path, edit) -> Path:
    data = example_data()
    edit(data)
    path = tmp_path / "new.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_blocked_change_exits_3_not_as_needs_attention(tmp_path):
    new = written(tmp_path, lambda d: d["people"][0].update(regions=["uk1"]))  # dana.lee: Okta refuses (E0000046)
    result = review_exit(EXAMPLE, new)
    assert result.returncode == 3, result.stderr
    assert "BLOCKED" in result.stdout


def test_needs_attention_exits_1_and_safe_0(tmp_path):
    moved = written(tmp_path, lambda d: d["groups"][2].update(regions=["emea2"]))
    assert review_exit(EXAMPLE, moved).returncode == 1
    assert review_exit(EXAMPLE, EXAMPLE).returncode == 0


def test_a_crash_exits_70_with_its_traceback(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom in the reviewer")

    monkeypatch.setattr(ownscim_infra.offline.review, "review", broken)
    code = main(["review", str(EXAMPLE), str(EXAMPLE), "--directory", str(DIRECTORY)])
    err = capsys.readouterr().err
    assert code == EXIT_CRASH == 70
    assert "Traceback" in err and "boom in the reviewer" in err and "internal error" in err


def _descriptions() -> dict[str, str]:
    import argparse

    from ownscim_infra.cli import COMMANDS, build_parser

    found = {}
    for command in COMMANDS:
        sub = next(a for a in build_parser([command])._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[command]
        nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        for name, p in nested[0].choices.items() if nested else [(None, parser)]:
            found[" ".join(filter(None, [command, name]))] = " ".join((p.description or "").split())
    return found


def test_every_command_s_help_says_its_exit_codes():
    """``COMMAND --help`` is where a newcomer looks first: each says which codes it exits with
    (README, "Exit codes"), 2 for bad input and 70 for a crash included."""
    helps = _descriptions()
    assert {"plan", "simulate", "verify", "adopt", "directory pull", "receiver"} <= set(helps)
    missing = {c: h for c, h in helps.items() if "Exit 0" not in h or " 2 " not in h or "70 a crash" not in h}
    assert missing == {}
    assert "1 drift" in helps["verify"] and "1 a user differs or a finding" in helps["simulate"]
