"""The transport at the edge, over real HTTP on 127.0.0.1 (uvicorn): raw request targets and header
bytes (control characters, non-ASCII Host, tokens compared as UTF-8 bytes), the Location header,
and the one log line per request (no query string, no traceback)."""

from __future__ import annotations

import http.client
import logging

import pytest

from ownscim_infra.receiver import serve_in_background
from ownscim_infra.receiver.app import token_matches

from .conftest import TOKEN


def _raw(receiver, method: str, target: str, headers: dict[str, bytes | str] | None = None):
    """Send a request with a raw target and raw header bytes (httpx would re-encode them)."""
    conn = http.client.HTTPConnection(receiver.host, receiver.port, timeout=5)
    try:
        conn.putrequest(method, target, skip_host="Host" in (headers or {}), skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        # header names are case-insensitive (RFC 9110 §5.1): httptools sends them in lower case
        return response.status, response.msg, response.read()
    finally:
        conn.close()


# -- 1. control characters in the path ------------------------------------------------------


@pytest.mark.parametrize("encoded", ["%0A2026-01-01%20INFO%20x", "%00x", "%0D%0Ax"])
@pytest.mark.parametrize(("authorization", "status"), [(f"Bearer {TOKEN}", 404), (None, 401)])
def test_control_characters_in_the_path_get_a_scim_error_and_one_escaped_log_line(
    served, caplog, encoded, authorization, status
):
    headers = {"Authorization": authorization} if authorization else {}
    with caplog.at_level(logging.DEBUG):
        got, response_headers, body = _raw(served, "GET", f"/scim/v2/Users/{encoded}", headers)

    assert got == status
    assert b"urn:ietf:params:scim:api:messages:2.0:Error" in body
    assert "Location" not in response_headers
    lines = [r.getMessage() for r in caplog.records if r.name == "ownscim_infra.receiver"]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"GET /scim/v2/Users/{encoded} {status} ")
    assert lines[0].isprintable()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_successful_responses_keep_an_ascii_location(okta):
    response = okta.get("/Users")
    assert response.status_code == 200
    assert response.headers["Location"].endswith("/scim/v2/Users")


def test_a_non_ascii_host_header_does_not_break_the_server(served):
    status, headers, _ = _raw(
        served, "GET", "/scim/v2/Users", {"Host": b"ex\xffample:1", "Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 200
    assert headers["Location"].isascii()


# -- 7. token comparison on bytes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "sent"),
    [
        ("tökén-✓", "Bearer tökén-✓".encode()),
        ("tökén-✓", "tökén-✓".encode()),
        ("Bearer abc", b"Bearer abc"),
        ("Bearer abc", b"Bearer Bearer abc"),
    ],
)
def test_tokens_are_compared_as_utf8_bytes(make_settings, token, sent):
    with serve_in_background(make_settings(token=token)) as receiver:
        assert _raw(receiver, "GET", "/scim/v2/Users", {"Authorization": sent})[0] == 200
        wrong = sent[:-1] + b"x"
        assert _raw(receiver, "GET", "/scim/v2/Users", {"Authorization": wrong})[0] == 401


def test_token_matches_on_surrogate_escaped_headers():
    assert token_matches(b"Bearer t\xc3\xb6k".decode("utf-8", "surrogateescape"), "tök")
    assert not token_matches(
        b"Bearer t\xf6k".decode("utf-8", "surrogateescape"), "tök"
    )  # Latin-1 bytes are not the token
    assert token_matches("Bearer x", "Bearer x") and token_matches("Bearer Bearer x", "Bearer x")


# -- 8. one log line per request, no query string, no traceback ------------------------------------


def test_a_500_is_one_log_line_naming_the_exception(receiver, okta, caplog, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(receiver.store, "search", broken)
    with caplog.at_level(logging.INFO):
        response = okta.get("/Users", params={"filter": 'password eq "hunter2"'})

    assert response.status_code == 500
    assert "secret detail" not in response.text
    records = [r for r in caplog.records if not r.name.startswith("httpx")]
    assert [r.name for r in records] == ["ownscim_infra.receiver"], [r.getMessage() for r in records]
    line = records[0].getMessage()
    assert line.startswith("GET /scim/v2/Users 500 ") and line.endswith(" error=RuntimeError")
    assert records[0].exc_info is None
    server_log = "\n".join(r.getMessage() for r in records)  # (httpx, the client, logs its own URL)
    assert "hunter2" not in server_log and "secret detail" not in server_log and "Traceback" not in caplog.text


def test_the_traceback_of_a_500_is_logged_at_debug(receiver, okta, caplog, monkeypatch):
    monkeypatch.setattr(receiver.store, "search", lambda *a, **k: 1 / 0)
    with caplog.at_level(logging.DEBUG, logger="ownscim_infra.receiver"):
        assert okta.get("/Users").status_code == 500
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG and r.name == "ownscim_infra.receiver"]
    assert len(debug) == 1 and debug[0].exc_info is not None
