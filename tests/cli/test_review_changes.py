"""``review-changes --base REF``: the configs a branch changes found through git, each reviewed
against the merge base, and a comment that fits GitHub's 65,536 characters however big the
change."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from ownscim_infra.cli import main
from ownscim_infra.cli.review_changes import COMMENT_LIMIT, COMMENT_MARKER, Changes, Outcome, render_comment
from ownscim_infra.domain import markdown
from tests.conftest import REPO, example_data

GIT_USER = ["-c", "user.email=t@example.com", "-c", "user.name=t"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *GIT_USER, *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def write(repo: Path, files: dict[str, object]) -> None:
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.unlink()
        else:
            path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: config/acme.yaml and config/beta.yaml (the example), their directories; on branch pr."""
    repo = tmp_path / "repo"
    example = (REPO / "config" / "example.yaml").read_text()
    directory = (REPO / "config" / "example-directory.yaml").read_text()
    write(
        repo,
        {
            "config/acme.yaml": example,
            "config/acme-directory.yaml": directory,
            "config/beta.yaml": example,
            "config/beta-directory.yaml": directory,
            "README.md": "x\n",
        },
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-q", "-b", "pr")
    return repo


def commit(repo: Path, files: dict[str, object]) -> None:
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "change")


def run(repo: Path, tmp_path: Path, *extra: str) -> tuple[int, dict, str, str]:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    code = main(
        ["review-changes", "--repo", str(repo), "--base", "main", "--report", str(out / "report.md")]
        + ["--comment", str(out / "comment.md"), "--verdict", str(out / "verdict.json"), *extra]
    )
    return (
        code,
        json.loads((out / "verdict.json").read_text()),
        (out / "report.md").read_text(),
        (out / "comment.md").read_text(),
    )


def test_only_the_changed_config_is_reviewed_against_the_merge_base(repo, tmp_path):
    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]
    commit(repo, {"config/acme.yaml": data, "README.md": "y\n"})
    git(repo, "checkout", "-q", "main")
    commit(repo, {"README.md": "main moved on\n"})  # the base branch advances: BASE stays the merge base
    git(repo, "checkout", "-q", "pr")
    code, verdict, report, comment = run(repo, tmp_path)
    assert code == 1 and verdict["verdict"] == "needs attention"
    assert [c["path"] for c in verdict["configs"]] == ["config/acme.yaml"]
    assert verdict["base"] == git(repo, "merge-base", "main", "pr") != git(repo, "rev-parse", "main")
    assert verdict["everyConfigBecause"] == []
    assert "jordan.kim@example.com" in report and "jordan.kim@example.com" in comment
    assert "## Review of `config/acme.yaml` against `config/acme.yaml at " in report
    assert comment.startswith(COMMENT_MARKER)


def test_a_change_to_a_directory_file_reviews_its_config(repo, tmp_path):
    directory = yaml.safe_load((REPO / "config" / "example-directory.yaml").read_text())
    directory["users"][0]["groups"] = []
    commit(repo, {"config/beta-directory.yaml": directory})
    _, verdict, _, _ = run(repo, tmp_path)
    assert [c["path"] for c in verdict["configs"]] == ["config/beta.yaml"]


def test_a_change_to_the_program_or_the_lock_reviews_every_config(repo, tmp_path):
    commit(repo, {"requirements.txt": "pulumi==3.999.0\n"})
    code, verdict, _, comment = run(repo, tmp_path)
    assert [c["path"] for c in verdict["configs"]] == ["config/acme.yaml", "config/beta.yaml"]
    assert verdict["everyConfigBecause"] == ["requirements.txt"] and code == 0
    assert "every config (2)" in comment and "`requirements.txt`" in comment


def test_an_invalid_config_names_its_repository_path_and_exits_2(repo, tmp_path):
    data = example_data()
    data["groups"][0]["regions"] = ["mars1"]
    commit(repo, {"config/acme.yaml": data})
    code, verdict, report, comment = run(repo, tmp_path)
    assert code == 2 and verdict["verdict"] == "cannot be reviewed"
    assert "config/acme.yaml:" in report and ".regions[0]: region 'mars1'" in report
    assert "ownscim-review-" not in report + comment  # no temporary path


def test_a_blocked_change_wins_over_an_invalid_one_and_a_deleted_config_needs_attention(repo, tmp_path):
    data = example_data()
    data["people"][0]["regions"] = ["uk1"]  # dana.lee: Okta refuses (E0000046)
    commit(repo, {"config/acme.yaml": data, "config/beta.yaml": None, "config/beta-directory.yaml": None})
    code, verdict, _, _ = run(repo, tmp_path)
    assert code == 3 and verdict["verdict"] == "blocked"
    by_path = {c["path"]: c for c in verdict["configs"]}
    assert by_path["config/beta.yaml"]["verdict"] == "needs attention"
    assert "deleted" in by_path["config/beta.yaml"]["reasons"][0]


def test_a_name_with_backticks_and_quotes_stays_a_name_in_markdown_and_json(repo, tmp_path):
    name = 'config/we`ird "name\\.yaml'
    directory = (REPO / "config" / "example-directory.yaml").read_text()
    commit(
        repo,
        {name: (REPO / "config" / "example.yaml").read_text(), name.replace(".yaml", "-directory.yaml"): directory},
    )
    code, verdict, report, comment = run(repo, tmp_path)
    # new: against the org before it; the example assigns dana.lee directly while in Own US (a warning plan
    # gives), and her direct assignment is created: her regions are not guaranteed (#264)
    assert [c["path"] for c in verdict["configs"]] == [name] and code == 1, verdict
    # and its rule (Own France) is new: Okta runs it on users the directory file does not hold
    assert verdict["configs"][0]["reasons"] == [
        "warnings: rule-matches-unknown, assignment-blocked-by-group, regions-not-guaranteed"
    ]
    assert f"## Review of {markdown.code(name)} against {markdown.code(name + ' (new)')}" in report
    assert f"### {markdown.code(name)}: " in comment


def test_no_config_changed_is_safe_and_says_so(repo, tmp_path):
    commit(repo, {"README.md": "only the readme\n"})
    code, verdict, report, comment = run(repo, tmp_path)
    assert code == 0 and verdict["configs"] == [] and verdict["verdict"] == "safe"
    assert "No config changed." in report and "No config changed." in comment


def test_an_unknown_base_is_bad_input(repo, tmp_path, capsys):
    assert main(["review-changes", "--repo", str(repo), "--base", "no-such-branch"]) == 2
    assert "no-such-branch" in capsys.readouterr().err


def test_a_3000_person_move_gives_a_comment_under_githubs_limit_with_the_full_report_beside(repo, tmp_path):
    people = 3000
    config = example_data()
    config["regions"] = ["us1", "emea2"]
    config["groups"] = [{"name": "Own Everyone", "regions": ["us1"]}]
    config["people"] = []
    logins = [f"person{i:04d}@example.com" for i in range(people)]
    directory = {
        "users": [{"login": login, "first_name": "P", "last_name": "Q", "groups": ["Own Everyone"]} for login in logins]
    }
    commit(repo, {"config/big.yaml": config, "config/big-directory.yaml": directory})
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", "pr")
    git(repo, "checkout", "-q", "pr")
    config["groups"][0]["regions"] = ["emea2"]
    commit(repo, {"config/big.yaml": config})

    summary = tmp_path / "summary.md"
    code, verdict, report, comment = run(repo, tmp_path, "--summary", str(summary))
    assert code == 1 and verdict["configs"][0]["people"] == people
    assert len(comment.encode()) <= COMMENT_LIMIT and len(comment) < 65_536
    assert len(report) > COMMENT_LIMIT  # the whole report would not have fitted
    assert all(login in report for login in logins)
    assert "⚠️ NEEDS ATTENTION" in comment and logins[0] in comment
    assert "<details>" in comment and comment.count("<details>") == comment.count("</details>")
    assert "see the full report" in comment and "`ownscim-review` artifact" in comment
    assert summary.read_text() == report


def outcome(path: str, rows: int) -> Outcome:
    people = [
        {
            "login": f"someone.with.a.long.login.{i:05d}@example.com",
            "changes": ["re-provisioned"],
            "before": {"active": True, "regions": ["us1"]},
            "after": {"active": True, "regions": ["emea2"]},
            "configMeans": "active in emea2",
        }
        for i in range(rows)
    ]
    doc = {"people": people, "resources": [{}], "warnings": []}
    return Outcome(path, "needs attention", ["many people move"], "section", doc, people)


@pytest.mark.parametrize("limit", [4_000, 20_000, COMMENT_LIMIT])
def test_the_comment_is_cut_at_a_row_within_any_limit_and_stays_well_formed(limit):
    changes = Changes("a" * 40, "b" * 40, ["config/a.yaml", "config/b.yaml"], [])
    comment = render_comment(changes, [outcome("config/a.yaml", 2000), outcome("config/b.yaml", 5)], limit=limit)
    assert len(comment.encode()) <= limit
    assert comment.count("<details>") == comment.count("</details>")
    assert "someone.with.a.long.login.00000@example.com" in comment
    assert comment.rstrip().endswith("job summary.</sub>")
    for line in comment.splitlines():
        assert not line.startswith("| someone") or line.endswith(" |")  # never half a row
    if limit >= 20_000:  # every config's verdict and first rows before any config's folded rows
        assert "### `config/a.yaml`: ⚠️ NEEDS ATTENTION" in comment and "### `config/b.yaml`: ⚠️" in comment
        shown = comment.count("| someone")
        left_out = sum(int(n) for n in re.findall(r"… (\d+) more people", comment))
        assert shown + left_out == 2000 + 5  # each row is shown or counted as left out


def test_the_comment_s_rows_say_what_to_do_and_why_someone_is_deactivated():
    """Issue 22.7: the comment's rows, read from the review's JSON, carry the cause and the action."""
    person = {
        "login": "lukas.weber@example.com",
        "changes": ["deactivated"],
        "before": {"active": True, "regions": ["emea2"]},
        "after": None,
        "configMeans": "inactive",
        "cause": "group assignment 'Own EMEA' was removed",
        "action": "confirm the person is meant to lose Own",
    }
    doc = {"people": [person], "resources": [{}], "warnings": []}
    comment = render_comment(
        Changes("a" * 40, "b" * 40, ["config/a.yaml"], []),
        [Outcome("config/a.yaml", "needs attention", ["1 person deactivated in Own"], "section", doc, [person])],
    )
    assert "| Person | Change | Own before | Own after | The new config means | What to do |" in comment
    assert (
        "| lukas.weber@example.com | deactivated because group assignment 'Own EMEA' was removed | active, emea2 | "
        "absent | inactive | confirm the person is meant to lose Own |"
    ) in comment


# --------------------------------------------------------------------------- the directory: pulled, or its age


def test_the_committed_directory_says_how_old_it_is(repo, tmp_path):
    directory = yaml.safe_load((REPO / "config" / "example-directory.yaml").read_text())
    dated = {"source": "https://acme.okta.com", "generatedAt": "2026-11-01T09:00:00Z", **directory}
    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]
    commit(repo, {"config/acme.yaml": data, "config/acme-directory.yaml": dated, "config/beta.yaml": data})
    _, verdict, report, comment = run(repo, tmp_path)
    notes = {c["path"]: c["directory"] for c in verdict["configs"]}
    age = re.fullmatch(
        r"directory config/acme-directory\.yaml generated (\d+) days ago from https://acme\.okta\.com",
        notes["config/acme.yaml"],
    )
    assert age and int(age.group(1)) >= 32  # 2026-11-01 to the day this test runs, at the earliest 2026-12-03
    assert notes["config/beta.yaml"] == (
        "directory config/beta-directory.yaml has no generatedAt: its age is unknown "
        "(`ownscim directory pull` writes it)"
    )
    assert "generated " in report and "has no generatedAt: its age is unknown" in comment


def test_the_age_is_counted_in_whole_days_from_generated_at():
    from datetime import UTC, datetime

    from ownscim_infra.cli.review_changes import directory_note

    content = b'{"source": "https://acme.okta.com", "generatedAt": "2026-12-01T10:00:00Z", "users": []}'
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert (
        directory_note(content, "d.json", False, now)
        == "directory d.json generated 1 day ago from https://acme.okta.com"
    )
    assert directory_note(content, "d.json", True, now) == (
        "directory pulled from https://acme.okta.com at 2026-12-01T10:00:00+00:00 for this review "
        "(BASE and NEW reviewed on it)"
    )


def test_a_directory_dated_in_the_future_says_its_age_is_unknown():
    """Not "generated 0 days ago" (an adversarial test: a year ahead read as fresh)."""
    from datetime import UTC, datetime

    from ownscim_infra.cli.review_changes import directory_note

    content = b'{"source": "https://acme.okta.com", "generatedAt": "2027-12-01T00:00:00+14:00", "users": []}'
    note = directory_note(content, "d.json", False, datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    assert note == (
        "directory d.json is dated in the future (2027-12-01T00:00:00+14:00) from https://acme.okta.com: "
        "its age is unknown (`ownscim directory pull` writes the time it ran)"
    )


def test_a_pulled_directory_reviews_base_and_new_on_the_same_users(repo, tmp_path, fake_org, okta_server):
    """CI with a read-only credential: the pull reads the org (both sides' configs), and the
    review runs BASE and NEW on that one directory, whatever the committed files say."""
    data = example_data()
    next(g for g in data["groups"] if g["name"] == "Own DACH")["members"].append("chris.doe@example.com")
    # the committed directory of the pull request lists nobody: the pulled one is reviewed
    commit(repo, {"config/acme.yaml": data, "config/acme-directory.yaml": {"users": []}})
    pulled = tmp_path / "pulled"
    assert main(["review-changes", "--repo", str(repo), "--base", "main", "--pull-directories", str(pulled)]) == 0
    manifest = json.loads((pulled / "manifest.json").read_text())
    assert manifest == {"config/acme.yaml": "0.json"}
    users = {u["login"] for u in json.loads((pulled / "0.json").read_text())["users"]}
    assert {"chris.doe@example.com", "mia.schmidt@example.com", "louis.martin@example.com"} <= users  # NEW's member
    assert {m for m, _, _ in okta_server.fake.requests} == {"GET"}  # read-only
    code, verdict, report, _ = run(repo, tmp_path, "--directories", str(pulled))
    (acme,) = verdict["configs"]
    assert acme["directory"].startswith(f"directory pulled from {okta_server.url} at ")
    assert code == 0 and acme["verdict"] == "safe" and acme["people"] == 1  # chris provisioned, nobody else moves
    assert "chris.doe@example.com" in report and "the directory pulled from Okta" not in report


def test_directories_that_were_not_pulled_are_bad_input_in_one_line(repo, tmp_path, capsys):
    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]
    commit(repo, {"config/acme.yaml": data})
    empty = tmp_path / "not-pulled"
    empty.mkdir()
    code = main(["review-changes", "--repo", str(repo), "--base", "main", "--directories", str(empty)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert f"--directories {empty}: not a folder that --pull-directories wrote (manifest.json" in err


def test_the_report_names_the_ownscim_that_reviewed_it(repo, tmp_path):
    """Run on a laptop, the reviewer is the checkout's ownscim, not the merge base's: the report
    names the version that reviewed (in CI, the merge base's, as review.yml installs it) rather
    than claiming the merge base's reviewer whoever ran it."""
    from ownscim_infra import __version__

    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]
    commit(repo, {"config/acme.yaml": data})
    _, verdict, report, comment = run(repo, tmp_path)
    title = next(line for line in report.splitlines() if line.startswith("Reviewed "))
    assert f"by ownscim {markdown.code(__version__)}" in title
    assert f"against the merge base {markdown.code(verdict['base'][:12])}" in title
    assert "reviewed by the reviewer of the merge base" not in report + comment
    assert "not the pull request's code" in title


def test_a_config_not_committed_is_named_on_stderr_not_silently_safe(repo, tmp_path, capsys):
    """review-changes reads commits: a newcomer who edits a config and forgets to commit got
    "No config changed", safe, and nothing else. The report is still of the commits, but
    stderr names each file not committed, new ones included."""
    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]
    write(repo, {"config/acme.yaml": data, "config/new one.yaml": data})
    code, verdict, report, _ = run(repo, tmp_path)
    assert code == 0 and verdict["verdict"] == "safe" and "No config changed." in report
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("review-changes: not reviewed, not committed: config/acme.yaml, config/new one.yaml (")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "committed")
    run(repo, tmp_path)
    assert "not committed" not in capsys.readouterr().err
