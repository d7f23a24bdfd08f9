"""No secret anywhere, end to end: the SCIM token, the Okta API token and the password Okta
sends in a create body never appear in any output, log or file, in clear or in base64.

One run goes through every command that could show them: ``plan`` (every format),
``simulate`` (text and JSON, against a receiver that logs to a file and keeps its SQLite
database), the ``review`` report (every format), ``verify`` and ``adopt`` against the fake
Okta API (whose token is the Okta API token), and the receiver's log lines.
"""

from __future__ import annotations

import base64
import json
import logging

import pytest

from ownscim_infra.cli import main
from ownscim_infra.config.directory import load_directory
from ownscim_infra.offline import okta_provisioning
from ownscim_infra.offline.plan import RENDERERS, build_plan
from ownscim_infra.offline.report_text import render_text
from ownscim_infra.offline.review import render_json as review_json
from ownscim_infra.offline.review import render_markdown as review_markdown
from ownscim_infra.offline.review import render_text as review_text
from ownscim_infra.offline.review import review
from ownscim_infra.offline.simulate import State, run_simulation
from ownscim_infra.receiver import ReceiverSettings, serve_in_background
from tests.conftest import EXAMPLE, REPO, example_data
from tests.live.okta_fake import TOKEN as OKTA_API_TOKEN

SCIM_TOKEN = "scim-token-e2e-4f1d9c0b7a"
PASSWORD = "create-body-password-e2e-8k2m"
DIRECTORY = REPO / "config" / "example-directory.yaml"


def forms(secret: str) -> list[str]:
    """The secret in clear, and every base64 rendering of it (standard and URL-safe) whatever
    its offset in a longer encoded string: the characters that depend on the secret alone."""
    found = [secret]
    raw = secret.encode()
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * offset + raw).decode().rstrip("=")
            lead = (offset * 8 + 5) // 6  # characters that also hold the padding bytes
            core = text[lead : len(text) - 2]  # the last characters may mix with what follows
            if len(core) >= 8:
                found.append(core)
    return found


def assert_clean(where: str, text: str) -> None:
    for secret in (SCIM_TOKEN, OKTA_API_TOKEN, PASSWORD):
        for form in forms(secret):
            assert form not in text, f"{where} holds {secret!r} as {form!r}"


def test_forms_find_a_base64_secret():
    """The check itself can fail: a secret inside base64 of a longer text is found."""
    for prefix in (b"", b"a", b"ab", b"Basic x:"):
        encoded = base64.b64encode(prefix + SCIM_TOKEN.encode() + b" and more").decode()
        assert any(form in encoded for form in forms(SCIM_TOKEN)), prefix


@pytest.fixture
def known_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """Okta's create bodies carry :data:`PASSWORD` (Okta always sends one)."""
    monkeypatch.setattr(okta_provisioning.secrets, "token_urlsafe", lambda n=None: PASSWORD)


def test_no_secret_in_any_output_log_or_file(tmp_path, app_id, capsys, known_password, api_example):
    outputs: dict[str, str] = {}

    # plan, every format, with the SCIM token as the stack's secret
    plan = build_plan(api_example, scim_token=SCIM_TOKEN)
    outputs |= {f"plan {fmt}": render(plan) for fmt, render in RENDERERS.items()}

    # simulate, against a receiver that logs every request to a file and keeps its database
    log_file = tmp_path / "receiver.log"
    handler = logging.FileHandler(log_file)
    logger = logging.getLogger("ownscim_infra.receiver")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    settings = ReceiverSettings(regions=("us1", "emea2", "uk1"), token=SCIM_TOKEN, db_path=tmp_path / "own.db")
    try:
        with serve_in_background(settings) as receiver:
            current = State(build_plan(api_example, scim_token=SCIM_TOKEN), load_directory(DIRECTORY), "dir")
            report = run_simulation(current, receiver.base_url, SCIM_TOKEN, previous=current)
            created = [u for u in report.users if any("POST /Users -> 201" in r for r in u.requests)]
            assert created, "the run must have sent create bodies with the password"
    finally:
        logger.removeHandler(handler)
        handler.close()
    outputs["simulate text"] = render_text(report, width=None)
    outputs["simulate json"] = json.dumps(report.to_json())

    # the review report
    moved = example_data()
    moved["groups"][2]["regions"] = ["emea2"]
    new = tmp_path / "new.yaml"
    new.write_text(json.dumps(moved))
    rv = review(EXAMPLE, new, DIRECTORY)
    outputs |= {"review text": review_text(rv), "review markdown": review_markdown(rv), "review json": review_json(rv)}

    # verify and adopt against the fake Okta API, whose token is OKTA_API_TOKEN
    capsys.readouterr()
    assert main(["verify", str(EXAMPLE), "--format", "json"]) in (0, 1)
    import_file = tmp_path / "import.json"
    assert main(["adopt", str(EXAMPLE), "--app-id", app_id, "--output", str(import_file)]) in (0, 1)
    captured = capsys.readouterr()
    outputs["verify and adopt stdout"] = captured.out
    outputs["verify and adopt stderr"] = captured.err

    files = [log_file, import_file, *sorted(tmp_path.glob("own.db*"))]
    assert log_file.read_text(), "the receiver logged its requests"
    for name, text in outputs.items():
        assert text or name.endswith("stderr"), name
        assert_clean(name, text)
    for path in files:
        assert_clean(str(path), path.read_bytes().decode("latin-1"))


def test_a_leak_would_be_caught(tmp_path):
    """The assertion the test relies on, on a log line that does leak."""
    with pytest.raises(AssertionError, match="holds"):
        assert_clean("a bad log", f"Authorization: Basic {base64.b64encode(f'x:{SCIM_TOKEN}'.encode()).decode()}")
    with pytest.raises(AssertionError, match="holds"):
        assert_clean("a bad body", json.dumps({"password": PASSWORD}))
