"""Credentials pasted badly (issue 10): a control character in OKTA_API_TOKEN (a line break
in the middle, a stray control byte) made ``verify`` and ``adopt`` end in a traceback from
the HTTP client's header check. Now: one line naming the variable, exit 2, never the token."""

from __future__ import annotations

import pytest

from ownscim_infra.cli import main
from ownscim_infra.live import okta_api
from tests.live.okta_fake import EXAMPLE

SECRET = "00aSECRETtokenVALUE"


@pytest.mark.parametrize(
    "token, kind",
    [
        (f"{SECRET[:8]}\n{SECRET[8:]}", "a control character"),
        (f"{SECRET[:8]}\x01{SECRET[8:]}", "a control character"),
        (f"{SECRET[:8]}\r\n{SECRET[8:]}", "a control character"),
    ],
)
@pytest.mark.parametrize("command", [["verify", str(EXAMPLE)], ["adopt", str(EXAMPLE), "--app-id", "0oa1"]])
def test_a_control_character_in_the_token_is_one_line_and_exit_2(
    fake_org, monkeypatch, capsys, tmp_path, token, kind, command
):
    monkeypatch.setenv("OKTA_API_TOKEN", token)
    if command[0] == "adopt":
        command = command + ["--output", str(tmp_path / "import.json")]
    assert main(command) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert f"OKTA_API_TOKEN must be one line of printable ASCII without spaces: character 9 is {kind}" in captured.err
    assert SECRET[:8] not in captured.err and SECRET[8:] not in captured.err


@pytest.mark.parametrize(
    "env, message",
    [
        ({"OKTA_ORG_URL": "https://dev-1.okta.com", "OKTA_API_TOKEN": "ab cd"}, "character 3 is a space"),
        ({"OKTA_ORG_URL": "https://dev-1.okta.com", "OKTA_API_TOKEN": "abcdé"}, "character 5 is not ASCII"),
        ({"OKTA_ORG_URL": "https://dev-1.okta.com\x00", "OKTA_API_TOKEN": "t"}, "OKTA_ORG_URL must be one line"),
        ({"OKTA_ORG_NAME": "dev\n1", "OKTA_API_TOKEN": "t"}, "OKTA_ORG_NAME must be one line"),
    ],
)
def test_credentials_from_env_refuses_unprintable_values(env, message):
    with pytest.raises(okta_api.CredentialsError, match=message):
        okta_api.credentials_from_env(env)


def test_a_line_break_inside_the_token_is_refused_a_trailing_one_is_trimmed():
    with pytest.raises(okta_api.CredentialsError, match="character 4 is a control character"):
        okta_api.credentials_from_env({"OKTA_ORG_URL": "https://dev-1.okta.com", "OKTA_API_TOKEN": "abc\ndef\n"})
    creds = okta_api.credentials_from_env({"OKTA_ORG_URL": "https://dev-1.okta.com", "OKTA_API_TOKEN": "abc\n"})
    assert creds.token == "abc"
