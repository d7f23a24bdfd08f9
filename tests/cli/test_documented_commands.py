"""The commands the README and the docs show are the CLI's: every ``ownscim COMMAND …`` (or
``python -m ownscim_infra COMMAND …``) written in README.md, config/README.md and docs/*.md
parses with the real parser, and the README lists every command the CLI has."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from ownscim_infra.cli import COMMANDS, build_parser
from tests.cli.runner import ownscim
from tests.conftest import REPO

DOCS = [REPO / "README.md", REPO / "config" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
INVOCATION = re.compile(r"(?:\bownscim|-m ownscim_infra) (?P<command>[a-z][a-z-]*)(?P<rest>(?: .*)?)$")


def documented(path: Path) -> list[tuple[str, str, str]]:
    """``(where, command, arguments)`` of each invocation in ``path``: a line of a fenced block
    (``\\`` continuations joined, ``# comment`` left out) or an inline code span."""
    found: list[tuple[str, str, str]] = []
    fenced = False
    lines = path.read_text().splitlines()
    number = 0
    while number < len(lines):
        line, at = lines[number], number + 1
        number += 1
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            while line.endswith("\\") and number < len(lines):
                line, number = line[:-1] + " " + lines[number].strip(), number + 1
            spans = [re.split(r"\s#\s", line, maxsplit=1)[0].rstrip()]
        else:
            spans = re.findall(r"`([^`]+)`", line)
        for span in spans:
            match = INVOCATION.search(span)
            if match and match["command"] in COMMANDS:
                found.append((f"{path.relative_to(REPO)}:{at}", match["command"], match["rest"].strip()))
    return found


INVOCATIONS = [i for path in DOCS for i in documented(path)]


def parse(command: str, argv: list[str]) -> str:
    """What argparse says about ``ownscim COMMAND ARGV`` ('' when it parses)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            build_parser([command]).parse_args([command, *argv])
        except SystemExit as exc:
            return err.getvalue() or f"exit {exc.code}"
    return ""


def options_of(command: str) -> set[str]:
    parser = build_parser([command])
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    subs = [sub] + [p for a in sub._actions if a.dest and a.choices and a.nargs == "A..." for p in a.choices.values()]
    return {o for p in subs for a in p._actions for o in a.option_strings}


def test_the_docs_show_commands_of_every_kind():
    assert len(INVOCATIONS) > 15
    assert {command for _, command, _ in INVOCATIONS} >= {"plan", "simulate", "review", "verify", "directory"}


@pytest.mark.parametrize(("where", "command", "rest"), INVOCATIONS, ids=[i[0] for i in INVOCATIONS])
def test_every_documented_command_parses(where, command, rest):
    if "[" in rest or "|" in rest:  # a synopsis: its options exist, and it parses without the optional parts
        named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest))
        assert named <= options_of(command), f"{where}: unknown options {named - options_of(command)}"
        while re.search(r"\[[^\[\]]*\]", rest):
            rest = re.sub(r"\s*\[[^\[\]]*\]", "", rest)
        rest = re.sub(r"(\S+?)\|\S+", r"\1", rest)
    argv = [token.replace("…", "X") for token in shlex.split(rest)]
    assert parse(command, argv) == "", f"{where}: ownscim {command} {rest}"


def test_the_readme_lists_every_command():
    readme = (REPO / "README.md").read_text()
    listed = readme.split("Every command is also `ownscim <command>`", 1)[1].split(":", 1)[1].split(";", 1)[0]
    assert re.findall(r"`([a-z-]+)`", listed) == list(COMMANDS)


def test_the_readme_first_run_step_says_to_remove_manual_steps_done():
    """The example carries ``manual_steps_done: true``, which a fresh stack's first ``pulumi up``
    refuses: the step that copies it says so, not only a section further down."""
    assert "manual_steps_done: true" in (REPO / "config" / "example.yaml").read_text()
    lines = (REPO / "README.md").read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("cp config/example.yaml config/acme-prod.yaml"))
    step = [lines[at]] + [line for line in lines[at + 1 : at + 4] if line.lstrip().startswith("#")]
    assert "remove app.manual_steps_done for the first run" in " ".join(" ".join(step).split())


def test_the_console_file_example_runs_against_the_example_directory(tmp_path):
    """config/README.md's console file, as written, is accepted by ``simulate --console`` on the
    example and its directory: every action reaches the org (a login it names is an Okta user)."""
    text = (REPO / "config" / "README.md").read_text()
    section = text.split("## The console file", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    console = tmp_path / "console.yaml"
    console.write_text(example)
    ran = ownscim("simulate", "config/example.yaml", "--previous", "config/example.yaml", "--console", str(console))
    assert ran.returncode in (0, 1), ran.stderr
    assert ran.stderr == ""
    done = [line for line in ran.stdout.splitlines() if line.startswith("Admin Console, before this run:")]
    assert len(done) == len([line for line in example.splitlines() if line.startswith("- ")]), ran.stdout


def test_the_readme_day_two_example_does_what_the_readme_says(tmp_path):
    """The README's day-two try-out, as written (its console file and both commands): the
    plain run leaves three drifts, the --refresh run repairs all three, and both exit 1 on
    app-deactivated, as the paragraph after it says."""
    readme = (REPO / "README.md").read_text()
    block = readme.split("cat > /tmp/console.yaml <<'EOF'\n", 1)[1]
    example, commands = block.split("EOF\n", 1)
    console = tmp_path / "console.yaml"
    console.write_text(example)
    runs = [shlex.split(line) for line in commands.split("```", 1)[0].splitlines()]
    assert [r[:2] for r in runs] == [[".venv/bin/ownscim", "simulate"]] * 2 and runs[1][-1] == "--refresh"
    plain, refreshed = (ownscim(*[str(console) if a == "/tmp/console.yaml" else a for a in r[1:]]) for r in runs)
    assert plain.returncode == refreshed.returncode == 1, plain.stderr + refreshed.stderr
    assert "(3 left, 0 repaired)" in plain.stdout and "(0 left, 3 repaired)" in refreshed.stdout
    assert refreshed.stdout.count("Repaired by this run.") == 3
    assert all("[app-deactivated]" in r.stdout for r in (plain, refreshed))


README_SYNOPSES = [i for i in INVOCATIONS if i[0].startswith("README.md:") and "[" in i[2]]


@pytest.mark.parametrize(("where", "command", "rest"), README_SYNOPSES, ids=[i[0] for i in README_SYNOPSES])
def test_a_readme_synopsis_names_every_option_of_its_command(where, command, rest):
    """A newcomer reads the README's synopsis of a command as its whole surface: each names
    every option ``--help`` has (``review``'s lacked the day-two ones, ``verify``'s ``--stack``)."""
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest))
    assert (
        sorted(options_of(command) - named - {"--help", "-h"} - {o for o in options_of(command) if len(o) == 2}) == []
    )
