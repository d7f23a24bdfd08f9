"""``review-changes --base REF``: review every config a branch changes, for a CI job.

The pull-request workflow (``.github/workflows/review.yml``) runs this command, installed from
the merge base, in a checkout of the pull request. No shell ever sees a file name: the changed
files come from git NUL-separated (``git diff -z``), each side of a config is read from git's
objects (``git cat-file``), never from the work tree, and written to a private temporary folder
under a name of ours, so a config named ``x|;touch PWNED;#.yaml`` or with spaces is a file
like any other.

What is reviewed (BASE is ``git merge-base REF HEAD``):

- each ``config/NAME.yaml`` that changed, or whose directory ``config/NAME-directory.yaml``
  changed, reviewed BASE -> HEAD by :func:`ownscim_infra.offline.review.review`;
- **every** config when a file that changes what ``pulumi up`` does to every config changed
  (:data:`EVERY_CONFIG_WHEN`: the program, ``Pulumi*.yaml``, the dependencies or the lock);
- a config new in HEAD is reviewed against itself with no group and nobody (the org before
  it); a config deleted in HEAD needs attention (its stack has no config any more).

The directory (the Okta users and their groups) is the committed ``config/NAME-directory.yaml``
of each side, and the review says how old HEAD's is (its ``generatedAt`` and ``source``, as
``directory pull`` writes them: :func:`directory_note`). With a read-only Okta credential, CI
pulls it instead: ``--pull-directories DIR`` (the only step given the credential) reads both
sides of every changed config from git and writes, for each, the directory ``directory pull``
makes of the two (``DIR/N.json``, and ``DIR/manifest.json``: config path -> file), and
``--directories DIR`` reviews BASE and NEW on that same pulled directory, so that no personal
data has to live in git.

It writes the full report (Markdown), a comment that fits GitHub's limit (:data:`COMMENT_LIMIT`
bytes: the verdict, the counts, the first rows, the rest folded, then cut with a pointer to
the full report), the verdict as JSON, and appends the report to a job summary. Exit code: the
worst over the configs (:mod:`ownscim_infra.cli`): 3 blocked, 2 a config that cannot be read,
1 needs attention, 0 safe.
"""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ownscim_infra import __version__
from ownscim_infra.cli import EXIT_ATTENTION, EXIT_BAD_INPUT, EXIT_BLOCKED, EXIT_OK
from ownscim_infra.cli.options import DIRECTORY_SUFFIX
from ownscim_infra.domain import markdown
from ownscim_infra.domain.errors import InputError

HELP = "review every config a branch changes against the merge base (for CI): report, comment, verdict JSON"

#: Where the configs are, relative to the repository's root.
CONFIG_DIR = "config"
#: Files whose change changes what ``pulumi up`` does to every config: then every config is
#: reviewed (``fnmatch`` patterns on the repository path; ``*`` crosses ``/``).
EVERY_CONFIG_WHEN = (
    "ownscim_infra/*",
    "__main__.py",
    "Pulumi*.yaml",
    "pyproject.toml",
    "requirements*.txt",
    "setup.cfg",
    "setup.py",
)
#: GitHub refuses an issue comment over 65,536 characters; this many UTF-8 bytes is never more
#: characters, in any way of counting them.
COMMENT_LIMIT = 65_536
#: The comment's first line: how the posting job finds the comment to update.
COMMENT_MARKER = "<!-- ownscim-review -->"
#: The file of ``--pull-directories``' folder that says which directory is which config's.
MANIFEST = "manifest.json"
#: People rows shown before the rest folds under ``<details>``.
FIRST_ROWS = 10
#: A job summary over 1 MiB is refused by GitHub Actions: then the comment goes there instead.
SUMMARY_LIMIT = 1024 * 1024

#: The verdicts, worst last, with their exit codes and icons.
SAFE, ATTENTION, INVALID, BLOCKED = "safe", "needs attention", "cannot be reviewed", "blocked"
_EXIT = {SAFE: EXIT_OK, ATTENTION: EXIT_ATTENTION, INVALID: EXIT_BAD_INPUT, BLOCKED: EXIT_BLOCKED}
_ICON = {SAFE: "✅", ATTENTION: "⚠️", INVALID: "❌", BLOCKED: "⛔"}
_ORDER = [SAFE, ATTENTION, INVALID, BLOCKED]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``review-changes`` command."""
    p = subparsers.add_parser(
        "review-changes",
        help=HELP,
        description="Review, offline, every config that HEAD changes against the merge base of REF and HEAD "
        "(every config when the program, Pulumi*.yaml, the dependencies or the lock change), reading both sides "
        "from git's commits (a config file not committed is named on stderr, not reviewed). Writes the report "
        "(Markdown), a pull-request comment within GitHub's 65,536 characters and the "
        "verdict (JSON). Exit 0 safe, 1 needs attention, 2 a config cannot be reviewed, 3 blocked, 70 a crash.",
    )
    p.add_argument("--base", required=True, metavar="REF", help="the branch or commit to compare with (its merge base)")
    p.add_argument("--head", default="HEAD", metavar="REF", help="the commit to review (default HEAD)")
    p.add_argument("--repo", default=".", metavar="DIR", help="the git repository (default: the current folder)")
    p.add_argument("--report", metavar="FILE", help="write the full report (Markdown) here (default: stdout)")
    p.add_argument("--comment", metavar="FILE", help="write the pull-request comment (at most 65,536 bytes) here")
    p.add_argument("--verdict", metavar="FILE", help="write the verdict and the counts of each config (JSON) here")
    p.add_argument("--summary", metavar="FILE", help="append the report to this job summary ($GITHUB_STEP_SUMMARY)")
    p.add_argument(
        "--pull-directories",
        metavar="DIR",
        help="only pull, read-only, each changed config's directory from the Okta org (OKTA_* credentials, as "
        "`directory pull`) into DIR for --directories; review nothing",
    )
    p.add_argument(
        "--directories",
        metavar="DIR",
        help="review BASE and NEW on the directories --pull-directories wrote into DIR (default: the committed "
        "NAME-directory.yaml of each side)",
    )
    p.set_defaults(handler=handle)


# --------------------------------------------------------------------------- git


class GitError(InputError):
    """git refused: an unknown ref, not a repository."""


def _git(repo: Path, *args: str) -> bytes:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=120, check=False)
    if result.returncode != 0:
        raise GitError(f"git {args[0]}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def _names(raw: bytes) -> list[str]:
    return [n.decode("utf-8", "surrogateescape") for n in raw.split(b"\0") if n]


def _tree(repo: Path, commit: str) -> dict[str, str]:
    """The files under :data:`CONFIG_DIR` at ``commit``: path -> blob id (``ls-tree -z``: any
    name, spaces, ``|``, ``;``, newlines, comes back as it is)."""
    entries = _names(_git(repo, "ls-tree", "-r", "-z", "--full-tree", commit, "--", CONFIG_DIR + "/"))
    tree = {}
    for entry in entries:
        meta, _, path = entry.partition("\t")
        kind, blob = meta.split()[1:3]
        if kind == "blob":
            tree[path] = blob
    return tree


def _blob(repo: Path, tree: dict[str, str], path: str) -> bytes | None:
    """The content of ``path`` in ``tree``, or ``None`` when it has none."""
    blob = tree.get(path)
    return None if blob is None else _git(repo, "cat-file", "blob", blob)


def _is_config(path: str) -> bool:
    folder, _, name = path.rpartition("/")
    return folder == CONFIG_DIR and name.endswith(".yaml") and not name.endswith(DIRECTORY_SUFFIX + ".yaml")


def _config_of(path: str) -> str | None:
    """The config a changed file belongs to: itself, or the config its directory file serves."""
    if _is_config(path):
        return path
    suffix = DIRECTORY_SUFFIX + ".yaml"
    if path.startswith(CONFIG_DIR + "/") and path.endswith(suffix) and "/" not in path[len(CONFIG_DIR) + 1 :]:
        return path[: -len(suffix)] + ".yaml"
    return None


def _directory_of(config: str) -> str:
    return config[: -len(".yaml")] + DIRECTORY_SUFFIX + ".yaml"


@dataclass
class Changes:
    """What a branch changes: the merge ``base`` and ``head`` commits, the configs to review,
    the files that made every config reviewed (empty: only the changed ones), and the config
    folder's files at each commit (path -> blob id)."""

    base: str
    head: str
    configs: list[str]
    every_config_because: list[str]
    base_files: dict[str, str] = field(default_factory=dict)
    head_files: dict[str, str] = field(default_factory=dict)


def find_changes(repo: Path, base_ref: str, head_ref: str = "HEAD") -> Changes:
    """The configs to review between the merge base of ``base_ref`` and ``head_ref``.

    :raises GitError: a ref git does not know, or ``repo`` is not a git repository.
    """
    head = _git(repo, "rev-parse", "--verify", "--end-of-options", f"{head_ref}^{{commit}}").decode().strip()
    base = _git(repo, "merge-base", "--end-of-options", base_ref, head).decode().strip()
    changed = _names(_git(repo, "diff", "--name-only", "--no-renames", "-z", base, head, "--"))
    because = [p for p in changed if any(fnmatch.fnmatchcase(p, pattern) for pattern in EVERY_CONFIG_WHEN)]
    head_files = _tree(repo, head)
    configs = {c for c in map(_config_of, changed) if c}
    if because:
        configs |= {p for p in head_files if _is_config(p)}
    return Changes(base, head, sorted(configs), because, _tree(repo, base), head_files)


# --------------------------------------------------------------------------- one config


@dataclass
class Outcome:
    """The review of one config: its ``verdict`` (:data:`SAFE` ... :data:`BLOCKED`), the
    ``reasons``, the section of the report (Markdown), and the ``review --format json``
    document (``None`` when it could not be reviewed)."""

    path: str
    verdict: str
    reasons: list[str]
    section: str
    document: dict[str, Any] | None = None
    people: list[dict[str, Any]] = field(default_factory=list)
    #: where the directory came from and how old it is (:func:`directory_note`)
    directory: str = ""

    def counts(self) -> dict[str, int]:
        """People the change affects, resources it changes, warnings."""
        doc = self.document or {}
        return {k: len(doc.get(k, [])) for k in ("people", "resources", "warnings")}


def _without_assignments(config: bytes) -> bytes:
    """A new config's BASE: the same app and regions with no group and nobody (the org before
    it). An unreadable one is returned as it is: the review of NEW reports its problems."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    try:
        data = yaml.load(config)
    except Exception:  # the review reads the same bytes and names every problem
        return config
    if not isinstance(data, dict):
        return config
    data["groups"], data["people"] = [], []
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue().encode()


def _before_the_groups(directory: bytes, config: bytes) -> bytes:
    """A new directory's BASE for a new config: the same users, out of the groups the config
    creates (those do not exist in Okta before it; a group a directory lists exists, and
    Okta refuses a second group of that name). Unreadable files are returned as they are."""
    import io

    from ruamel.yaml import YAML

    from ownscim_infra.domain.own_setup import okta_fold

    yaml = YAML(typ="safe", pure=True)
    try:
        data, conf = yaml.load(directory), yaml.load(config)
        created = {okta_fold(str(g["name"])) for g in conf.get("groups") or [] if g.get("create", True) is not False}
        for user in data["users"]:
            user["groups"] = [g for g in user.get("groups") or [] if okta_fold(str(g)) not in created]
    except Exception:  # the review reads the same bytes and names every problem
        return directory
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue().encode()


def directory_note(content: bytes | None, name: str, pulled: bool, now: datetime.datetime | None = None) -> str:
    """One line on the directory a review ran on: pulled from the org for this review, or the
    committed file with its age (``generatedAt``, ``source``: "generated N days ago from
    URL"), or that it has no ``generatedAt`` (its age unknown). A file that cannot be read
    says nothing here: the review reports its problems."""
    from ownscim_infra.config.directory import load_directory
    from ownscim_infra.config.errors import ConfigError

    if content is None:
        return f"no directory file {name}: nobody in Okta is known"
    with tempfile.TemporaryDirectory(prefix="ownscim-directory-") as tmp:
        file = Path(tmp) / ("directory.json" if content.lstrip().startswith(b"{") else "directory.yaml")
        file.write_bytes(content)
        try:
            directory = load_directory(file)
        except ConfigError:
            return ""
    source = f" from {directory.source}" if directory.source else ""
    if pulled:
        when = f" at {directory.generatedAt.isoformat()}" if directory.generatedAt else ""
        return f"directory pulled{source}{when} for this review (BASE and NEW reviewed on it)"
    if directory.generatedAt is None:
        return f"directory {name} has no generatedAt: its age is unknown (`ownscim directory pull` writes it)"
    age = (now or datetime.datetime.now(datetime.UTC)) - directory.generatedAt
    if age < -datetime.timedelta(minutes=5):  # beyond a clock's skew: the file's date cannot be trusted
        return (
            f"directory {name} is dated in the future ({directory.generatedAt.isoformat()}){source}: "
            "its age is unknown (`ownscim directory pull` writes the time it ran)"
        )
    days = max(0, age.days)
    return f"directory {name} generated {days} day{'' if days == 1 else 's'} ago{source}"


class PulledDirectoriesError(InputError):
    """``--directories DIR`` is not a folder ``--pull-directories`` wrote."""


def _pulled(directories: Path | None, path: str) -> bytes | None:
    """The directory ``--pull-directories`` wrote for the config ``path``, if any.

    :raises PulledDirectoriesError: no readable ``MANIFEST`` in ``directories``, or a file it
        names is missing."""
    if directories is None:
        return None
    try:
        manifest = json.loads((directories / MANIFEST).read_text(encoding="utf-8"))
        name = manifest.get(path) if isinstance(manifest, dict) else None
        return (directories / name).read_bytes() if isinstance(name, str) and "/" not in name else None
    except (OSError, ValueError) as exc:
        raise PulledDirectoriesError(
            f"--directories {directories}: not a folder that --pull-directories wrote ({MANIFEST} and the files it "
            f"names): {getattr(exc, 'strerror', None) or exc}"
        ) from None


def review_one(repo: Path, changes: Changes, path: str, work: Path, directories: Path | None = None) -> Outcome:
    """Review ``path`` from ``changes.base`` to ``changes.head``, both read from git into
    ``work`` (a private folder); with ``directories`` (``--directories``), BASE and NEW on the
    directory pulled for ``path``."""
    from ownscim_infra.offline.review import render_json, render_markdown, review

    new, base = _blob(repo, changes.head_files, path), _blob(repo, changes.base_files, path)
    if new is None:
        reason = "the config is deleted: the stack that reads it has no config any more; review it by hand"
        return Outcome(path, ATTENTION, [reason], f"## {markdown.code(path)}\n\n**{_ICON[ATTENTION]} {reason}**\n")
    directory = _directory_of(path)
    pulled = _pulled(directories, path)
    new_directory = pulled if pulled is not None else _blob(repo, changes.head_files, directory)
    base_directory = pulled if pulled is not None else _blob(repo, changes.base_files, directory)
    if pulled is not None and base is None:
        base_directory = None  # a new config: the pulled directory without its groups (below)
    note = directory_note(new_directory, directory, pulled is not None)
    base_of_new = new_directory if base is not None or new_directory is None else _before_the_groups(new_directory, new)
    files = {
        "new.yaml": new,
        "base.yaml": base if base is not None else _without_assignments(new),
        "new-directory.yaml": new_directory,
        "base-directory.yaml": base_directory if base_directory is not None else base_of_new,
    }
    for name, content in files.items():
        if content is not None:
            (work / name).write_bytes(content)
    names = {
        str(work / "new.yaml"): path,
        str(work / "base.yaml"): f"{path} at {changes.base[:12]}" if base is not None else f"{path} (new)",
        str(work / "new-directory.yaml"): directory if pulled is None else "the directory pulled from Okta",
        str(work / "base-directory.yaml"): f"{directory} at {changes.base[:12]}"
        if pulled is None
        else "the directory pulled from Okta",
    }
    try:
        rv = review(
            work / "base.yaml",
            work / "new.yaml",
            work / "new-directory.yaml",
            base_directory=work / "base-directory.yaml",
        )
    except InputError as exc:
        message = _renamed(str(exc), names)
        section = f"## {markdown.code(path)}: cannot be reviewed\n\n```\n{message.replace('```', '` ` `')}\n```\n"
        return Outcome(path, INVALID, message.splitlines(), section)
    document = _renamed_json(json.loads(render_json(rv)), names)
    heading, _, rest = _renamed_markdown(render_markdown(rv), names).partition("\n")
    return Outcome(
        path,
        rv.verdict,
        list(rv.reasons),
        f"{heading}\n\n{markdown.prose(note)}\n{rest}" if note else f"{heading}\n{rest}",
        document,
        list(document.get("people", [])),
        note,
    )


def _renamed(text: str, names: dict[str, str]) -> str:
    """``text`` with the temporary files' paths replaced by what they are."""
    for temp, name in sorted(names.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(temp, name)
    return text


def _renamed_markdown(text: str, names: dict[str, str]) -> str:
    """:func:`_renamed` for Markdown: a path in a code span becomes the name's own code span, and
    anywhere else the name as inert text (a name is the pull request's: it may hold backticks)."""
    for temp, name in sorted(names.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(markdown.code(temp), markdown.code(name)).replace(temp, markdown.cell(name))
    return text


def _renamed_json(value: Any, names: dict[str, str]) -> Any:
    """:func:`_renamed` in every string of a JSON document (never in its text: a name may hold
    quotes or backslashes)."""
    if isinstance(value, str):
        return _renamed(value, names)
    if isinstance(value, list):
        return [_renamed_json(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _renamed_json(v, names) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- the outputs


def worst(outcomes: list[Outcome]) -> str:
    """The worst verdict (:data:`SAFE` when nothing was reviewed)."""
    return max((o.verdict for o in outcomes), key=_ORDER.index, default=SAFE)


def _title(changes: Changes, outcomes: list[Outcome]) -> list[str]:
    verdict = worst(outcomes)
    lines = [f"## ownscim review: {_ICON[verdict]} {verdict.upper()}", ""]
    because = changes.every_config_because
    scope = (
        f"every config ({len(outcomes)}): the change touches "
        + ", ".join(markdown.code(p) for p in because[:5])
        + (f" and {len(because) - 5} more file(s)" if len(because) > 5 else "")
        + ", which changes what pulumi up does to every config"
        if because
        else f"{len(outcomes)} changed config(s)"
    )
    lines += [
        f"Reviewed {scope}. Commit {markdown.code(changes.head[:12])} against the merge base "
        f"{markdown.code(changes.base[:12])}, by ownscim {markdown.code(__version__)} (in CI, review.yml installs "
        "the merge base's reviewer: not the pull request's code).",
        "",
    ]
    if not outcomes:
        return [*lines, "No config changed.", ""]
    lines += ["| Config | Verdict | People | Resources | Warnings |", "|---|---|---|---|---|"]
    for o in outcomes:
        c = o.counts()
        lines.append(
            f"| {markdown.cell(o.path)} | {_ICON[o.verdict]} {o.verdict} | {c['people']} | {c['resources']} | "
            f"{c['warnings']} |"
        )
    return [*lines, ""]


def render_report(changes: Changes, outcomes: list[Outcome]) -> str:
    """The full report: the title and the table of configs, then each config's review."""
    out = _title(changes, outcomes)
    for o in outcomes:
        out += [o.section.rstrip("\n"), ""]
    return "\n".join(out) + "\n"


def _own(state: dict[str, Any] | None) -> str:
    if not state:
        return "absent"
    return f"{'active' if state.get('active') else 'inactive'}, {', '.join(state.get('regions') or []) or 'no regions'}"


def _row(person: dict[str, Any]) -> str:
    change = ", ".join(person.get("changes") or []) or "no change"
    cells = [
        person.get("login", ""),
        change + (f" because {person['cause']}" if person.get("cause") else ""),
        _own(person.get("before")),
        _own(person.get("after")),
        str(person.get("configMeans", "")),
        person.get("action") or "-",
    ]
    return "| " + " | ".join(markdown.cell(str(c)) for c in cells) + " |"


class _Budget:
    """Lines added while they fit ``limit`` UTF-8 bytes, ``reserve`` kept for the end."""

    def __init__(self, limit: int) -> None:
        self.lines: list[str] = []
        self.size = 0
        self.limit = limit

    def fits(self, line: str, reserve: int = 0) -> bool:
        return self.size + len(line.encode()) + 1 + reserve <= self.limit

    def add(self, line: str, reserve: int = 0) -> bool:
        if not self.fits(line, reserve):
            return False
        self.lines.append(line)
        self.size += len(line.encode()) + 1
        return True


def render_comment(changes: Changes, outcomes: list[Outcome], limit: int = COMMENT_LIMIT) -> str:
    """The pull-request comment, at most ``limit`` UTF-8 bytes: the marker, the verdict and
    the table of configs, then per config its verdict, reasons and first :data:`FIRST_ROWS`
    people, the rest under ``<details>``. Every config's first rows come before any config's
    folded rows; what does not fit is cut at a row, with the count left out and a pointer to
    the full report (the run's artifact and job summary)."""
    footer = (
        "\n<sub>The full report (every person, resource and warning, and the diagrams) is the "
        "`ownscim-review` artifact of this run and its job summary.</sub>\n"
    )
    cut = "\n*… the rest does not fit in a comment: see the full report.*"
    reserve = len((footer + cut + "\n</details>\n").encode()) + 200
    budget = _Budget(limit)
    heads = [_comment_head(o) for o in outcomes]
    later = sum(_size(h) for h in heads)  # what the heads still to come need
    for line in [COMMENT_MARKER, *_title(changes, outcomes)]:
        if not budget.add(line, reserve):
            return "\n".join(budget.lines) + cut + footer
    for o, head in zip(outcomes, heads, strict=True):
        later -= _size(head)
        if not all(budget.add(line, reserve) for line in head):
            return "\n".join(budget.lines) + cut + footer
        _comment_folded(budget, o, reserve + later)
    return "\n".join(budget.lines) + footer


def _size(lines: list[str]) -> int:
    return sum(len(line.encode()) + 1 for line in lines)


_PEOPLE_TABLE = [
    "| Person | Change | Own before | Own after | The new config means | What to do |",
    "|---|---|---|---|---|---|",
]


def _comment_head(o: Outcome) -> list[str]:
    """A config's verdict, reasons and first rows."""
    head = [f"### {markdown.code(o.path)}: {_ICON[o.verdict]} {o.verdict.upper()}", ""]
    head += [f"- {markdown.prose(r)}" for r in o.reasons[:20]] + [""]
    if o.directory:
        head += [markdown.prose(o.directory[0].upper() + o.directory[1:]) + ".", ""]
    if o.people:
        head += [*_PEOPLE_TABLE, *(_row(p) for p in o.people[:FIRST_ROWS]), ""]
    return head


def _comment_folded(budget: _Budget, o: Outcome, reserve: int) -> None:
    """Add the rest of ``o``'s people under ``<details>``, as many rows as fit, then how many
    were left out."""
    rest = [_row(p) for p in o.people[FIRST_ROWS:]]
    if not rest:
        return
    closing = ["\n</details>", ""]
    note = f"\n*… {len(rest)} more people: see the full report.*"
    end = _size(closing) + len(note.encode()) + 1
    opened = [f"<details><summary>{len(rest)} more people</summary>", "", *_PEOPLE_TABLE]
    if not budget.fits("\n".join(opened), reserve + end):
        budget.add(note)
        return
    for line in opened:
        budget.add(line, reserve + end)
    shown = 0
    while shown < len(rest) and budget.add(rest[shown], reserve + end):
        shown += 1
    if shown < len(rest):
        budget.add(f"\n*… {len(rest) - shown} more people: see the full report.*")
    for line in closing:
        budget.add(line)


def verdict_document(changes: Changes, outcomes: list[Outcome]) -> dict[str, Any]:
    """The verdict as JSON: ``verdict``, ``exitCode``, the commits, why every config was
    reviewed, and per config its verdict, reasons and counts."""
    verdict = worst(outcomes)
    return {
        "verdict": verdict,
        "exitCode": _EXIT[verdict],
        "base": changes.base,
        "head": changes.head,
        "everyConfigBecause": changes.every_config_because,
        "configs": [
            {"path": o.path, "verdict": o.verdict, "reasons": o.reasons, "directory": o.directory, **o.counts()}
            for o in outcomes
        ],
    }


def pull_directories(repo: Path, changes: Changes, out: Path, env: dict[str, str] | None = None) -> int:
    """``--pull-directories``: for each changed config, both sides read from git, the
    directory ``directory pull`` writes of them (read-only in Okta; credentials from ``env``,
    default ``os.environ``) as ``out/N.json``, and ``out/MANIFEST`` (config path -> file name).
    Returns how many were pulled.

    :raises ConfigError: a config cannot be read; the errors of
        :func:`ownscim_infra.live.directory_pull.pull` (credentials, Okta).
    """
    from ownscim_infra.live.directory_pull import pull

    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="ownscim-pull-") as tmp:
        for n, path in enumerate(changes.configs):
            sides = [_blob(repo, changes.head_files, path), _blob(repo, changes.base_files, path)]
            files = []
            for side, content in zip(("new", "base"), sides, strict=True):
                if content is not None:
                    (Path(tmp) / f"{n}-{side}.yaml").write_bytes(content)
                    files.append(str(Path(tmp) / f"{n}-{side}.yaml"))
            if files:
                pull(files, out / f"{n}.json", env)
                manifest[path] = f"{n}.json"
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return len(manifest)


def uncommitted(repo: Path) -> list[str]:
    """The files under :data:`CONFIG_DIR` that differ from ``HEAD`` in the work tree or the
    index, new ones included: ``review-changes`` reads commits, so it does not review them."""
    entries = iter(_names(_git(repo, "status", "--porcelain", "-z", "--untracked-files=all", "--", CONFIG_DIR + "/")))
    found = set()
    for entry in entries:  # "XY PATH"; a rename or copy is followed by its source path alone
        found.add(entry[3:])
        if entry[0] in "RC":
            next(entries, None)
    return sorted(found)


def handle(args: argparse.Namespace) -> int:
    """Review the changes and write the outputs; the exit code of the worst verdict. Files
    under ``config/`` not committed are named on stderr (reviewed they are not)."""
    import sys

    repo = Path(args.repo)
    changes = find_changes(repo, args.base, args.head)
    if args.head == "HEAD" and (pending := uncommitted(repo)):
        shown = ", ".join(pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
        print(
            f"review-changes: not reviewed, not committed: {shown} (it reads git's commits: commit first, "
            "or review the files with `ownscim review BASE NEW`)",
            file=sys.stderr,
        )
    if args.pull_directories:
        pulled = pull_directories(repo, changes, Path(args.pull_directories))
        print(f"pulled the directory of {pulled} config(s) into {args.pull_directories}", file=sys.stderr)
        return EXIT_OK
    directories = Path(args.directories) if args.directories else None
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="ownscim-review-") as tmp:
        for n, path in enumerate(changes.configs):
            work = Path(tmp) / str(n)
            work.mkdir()
            outcomes.append(review_one(repo, changes, path, work, directories))
    report = render_report(changes, outcomes)
    if args.report:
        Path(args.report).write_text(report, encoding="utf-8")
    else:
        sys.stdout.write(report)
    comment = render_comment(changes, outcomes)
    if args.comment:
        Path(args.comment).write_text(comment, encoding="utf-8")
    if args.verdict:
        Path(args.verdict).write_text(json.dumps(verdict_document(changes, outcomes), indent=2) + "\n", "utf-8")
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as summary:
            summary.write(report if len(report.encode()) < SUMMARY_LIMIT else comment)
    return _EXIT[worst(outcomes)]
