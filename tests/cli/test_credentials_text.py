"""Every command that reads a live org names the same credentials, in its ``--help`` and when
they are missing (exit 2), as docs/live-org.md's table does: the org URL, and a service app
(Okta's recommendation, the README's) or an API token."""

from __future__ import annotations

import pytest

from tests.cli.runner import ownscim
from tests.conftest import REPO

VARIABLES = (
    "OKTA_ORG_URL",
    "OKTA_ORG_NAME",
    "OKTA_BASE_URL",
    "OKTA_API_CLIENT_ID",
    "OKTA_API_PRIVATE_KEY",
    "OKTA_API_PRIVATE_KEY_ID",
    "OKTA_API_TOKEN",
)
LIVE = {
    "verify": ["verify", "config/example.yaml"],
    "adopt": ["adopt", "config/example.yaml", "--app-id", "0oa1abcd2EFGH3ijk4x7"],
    "directory pull": ["directory", "pull", "config/example.yaml"],
}


def named(text: str) -> set[str]:
    words = {w.strip("(),.;:`'") for w in text.split()}
    return {v for v in VARIABLES if v in words}


@pytest.mark.parametrize("command", LIVE)
def test_the_help_names_every_credential_variable(command):
    ran = ownscim(*command.split(), "--help")
    assert ran.returncode == 0
    assert named(ran.stdout) == set(VARIABLES)


@pytest.mark.parametrize("command", LIVE)
def test_missing_credentials_name_every_variable(command, tmp_path):
    ran = ownscim(*LIVE[command], *(["--output", str(tmp_path / "d.yaml")] if command == "directory pull" else []))
    assert ran.returncode == 2, ran.stdout
    [line] = ran.stderr.strip().splitlines()
    assert line.startswith(f"{command}: Okta credentials missing: the org URL, a service app or an API token; set ")
    assert named(line) == set(VARIABLES)
    assert not (tmp_path / "d.yaml").exists()


def test_the_docs_table_lists_every_variable():
    text = (REPO / "docs" / "live-org.md").read_text()
    table = text.split("| Variable | Meaning |", 1)[1].split("\n\n", 1)[0]
    rows = {cell.strip("` ") for line in table.splitlines()[2:] for cell in line.split("|")[1].split("+")}
    assert rows >= set(VARIABLES)


@pytest.mark.parametrize("command", LIVE)
def test_the_help_names_the_scopes_the_service_app_needs(command):
    """A service app needs its scopes granted before the first run: each command's help names
    the ones it reads with (README, "Credentials"), not only the variables."""
    from ownscim_infra.live.okta_api import READ_SCOPES

    needs = [s for s in READ_SCOPES if command != "directory pull" or s != "okta.schemas.read"]
    text = " ".join(ownscim(*command.split(), "--help").stdout.split())
    assert [s for s in needs if s not in text] == []
