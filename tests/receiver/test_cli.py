"""``python -m ownscim_infra receiver``: usage errors, and a real run served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import subprocess

import httpx

from ownscim_infra.cli import main

from .conftest import TOKEN, deactivate, free_port, interrupt, okta_user, start_receiver, wait_until_serving


def test_missing_token_is_a_usage_error(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("OWN_SCIM_TOKEN", raising=False)
    assert main(["receiver", "--regions", "us1,emea2", "--db", str(tmp_path / "db")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "OWN_SCIM_TOKEN" in err and "Traceback" not in err


def test_empty_regions_is_a_usage_error(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("OWN_SCIM_TOKEN", TOKEN)
    assert main(["receiver", "--regions", " , ", "--db", str(tmp_path / "db")]) == 2
    assert "--regions" in capsys.readouterr().err


def test_cli_serves_on_localhost_with_the_token_from_a_file(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    port = free_port()
    base = f"http://127.0.0.1:{port}/scim/v2"
    args = ["--regions", "us1,emea2", "--port", str(port), "--db", str(tmp_path / "own.db")]
    proc = start_receiver(
        *args, "--token-file", str(token_file), token=None, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_until_serving(proc, base)
        headers = {"Authorization": TOKEN, "User-Agent": "Okta SCIM Client 1.0.0"}
        created = httpx.post(f"{base}/Users", json=okta_user(), headers=headers)
        assert created.status_code == 201
        assert created.json()["urn:ownscim:params:scim:schemas:extension:own:2.0:User"]["regions"] == ["us1", "emea2"]
        user = f"{base}/Users/{created.json()['id']}"
        assert httpx.patch(user, json=deactivate(False), headers=headers).status_code == 200
        assert httpx.get(user, headers=headers).status_code == 404  # Own removes a deactivated user (default)
    finally:
        _, stderr = interrupt(proc)
    assert proc.returncode == 0
    assert "POST /scim/v2/Users 201" in stderr and "Okta SCIM Client 1.0.0" in stderr
    assert TOKEN not in stderr and okta_user()["password"] not in stderr
    assert "Traceback" not in stderr


def test_cli_durability_normal_is_announced(tmp_path):
    port = free_port()
    args = ["--regions", "us1", "--port", str(port), "--db", str(tmp_path / "own.db"), "--durability", "normal"]
    args += ["--deactivation", "keep"]
    proc = start_receiver(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not lines or "serving SCIM" not in lines[-1]:
            lines.append(proc.stderr.readline())
            assert lines[-1], "".join(lines)
        announced = lines[-1]
        assert announced.startswith(f"receiver: serving SCIM 2.0 at http://127.0.0.1:{port}/scim/v2"), announced
        assert "durability normal" in announced and "deactivation keep" in announced
        assert httpx.get(f"http://127.0.0.1:{port}/scim/v2/ServiceProviderConfig").status_code == 200
    finally:
        interrupt(proc)
    assert proc.returncode == 0


def test_a_host_beyond_this_machine_is_warned_about(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("OWN_SCIM_TOKEN", TOKEN)
    missing = str(tmp_path / "missing" / "own.db")  # the start-up check fails: nothing listens
    for host, warned in (("0.0.0.0", True), ("::", True), ("127.0.0.1", False), ("::1", False), ("localhost", False)):
        assert main(["receiver", "--regions", "us1", "--host", host, "--db", missing]) == 2
        err = capsys.readouterr().err
        assert ("warning: listening on" in err) is warned, (host, err)
        assert "folder" in err and "does not exist" in err
