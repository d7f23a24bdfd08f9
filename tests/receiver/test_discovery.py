"""Discovery as strict SCIM clients do it: /ServiceProviderConfig is RFC 7643 §5's document, and the
peers' suites (python-scim's ``scim2 --url URL test``, scim-sanity's ``probe``) run against a real
receiver on 127.0.0.1 exactly as a user runs them (issue 16 item 5)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from scim2_models import Context, ServiceProviderConfig

from ownscim_infra.receiver import serve_in_background

from .conftest import OWN_SCHEMA, TOKEN

#: The CLIs installed beside this interpreter (the ``test`` extra).
BIN = Path(sys.executable).parent
#: The checks of ``scim2 test`` that meet a refusal Own makes on purpose (docs/receiver.md): a
#: PATCH of Own's read-only extension (kept as it is: the tester expects it changed), and the
#: removal of ``active`` or of Own's extension (400). None of them is discovery.
INTENDED_REFUSALS = {
    ("check_add_attribute", OWN_SCHEMA),
    ("check_replace_attribute", OWN_SCHEMA),
    ("check_remove_attribute", "active"),
    ("check_remove_attribute", OWN_SCHEMA),
}


def test_the_service_provider_config_is_rfc_7643_and_nothing_more(okta):
    response = okta.get("/ServiceProviderConfig", headers={"Authorization": ""})  # RFC 7644 §4: no auth
    assert response.status_code == 200
    document = response.json()

    # scim2-models' client model refuses any attribute RFC 7643 §5 does not define
    config = ServiceProviderConfig.model_validate(document, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    assert document["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert document["meta"]["resourceType"] == "ServiceProviderConfig"
    assert config.patch.supported and config.sort.supported and config.etag.supported
    assert config.filter.supported and config.filter.max_results == 200
    assert config.bulk.supported is False and config.change_password.supported is False
    schemas = [s["id"] for s in okta.get("/Schemas").json()["Resources"]]
    assert all("ServiceProviderConfig" not in s for s in schemas), schemas


def _run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, stdin=subprocess.DEVNULL)


def _failed_checks(output: str) -> set[tuple[str, str]]:
    """``(check, subject)`` of each ``ERROR check_...`` block of ``scim2 test``'s report: the subject
    is the attribute the next line names in quotes."""
    lines = output.splitlines()
    failed = set()
    for i, line in enumerate(lines):
        if line.startswith("ERROR "):
            detail = lines[i + 1] if i + 1 < len(lines) else ""
            quoted = detail.split("'")
            failed.add((line.removeprefix("ERROR ").strip(), quoted[1] if len(quoted) > 2 else detail.strip()))
    return failed


@pytest.mark.parametrize("mode", ["apply", "refuse"])
def test_scim2_cli_test_discovers_the_receiver_and_fails_only_on_owns_refusals(make_settings, mode):
    # deactivation "keep": scim2-tester sets ``active`` to random values and reads each user back
    with serve_in_background(make_settings(attribute_updates=mode, deactivation="keep")) as receiver:
        env = {**os.environ, "SCIM_CLI_HEADERS": f"Authorization: Bearer {TOKEN}"}
        result = _run(str(BIN / "scim2"), "--url", receiver.base_url, "test", env=env)
    output = result.stdout + result.stderr

    assert "Could not discover" not in output and "validation error" not in output, output[-3000:]
    assert "Resource types available are: 'User'" in output
    failed = _failed_checks(output)
    if mode == "apply":
        assert failed <= INTENDED_REFUSALS, output[-3000:]
    else:  # Own refuses attribute updates: only the update checks fail, with Own's message
        assert {check for check, _ in failed} <= {
            "check_add_attribute",
            "check_replace_attribute",
            "check_remove_attribute",
            "object_replacement",
        }, output[-3000:]
        assert "Own does not support Update User Attributes" in output
    assert "object_creation" not in {check for check, _ in failed}


#: What scim-sanity reports as failed once Own removed the account its PATCH deactivated
#: (``deactivation="remove"``, Own's documented deprovisioning): the GET after it finds nothing
#: (404), and so do its DELETEs (it asks for 204).
_REMOVED_ON_DEACTIVATION = {"GET /Users/{id} after PATCH", "DELETE /Users/{id}", "DELETE /Users/<id>"}


@pytest.mark.parametrize(("mode", "deactivation"), [("apply", "keep"), ("refuse", "remove")])
def test_scim_sanity_probe_passes_except_owns_refused_put(make_settings, mode, deactivation):
    with serve_in_background(make_settings(attribute_updates=mode, deactivation=deactivation)) as receiver:
        result = _run(
            str(BIN / "scim-sanity"), "probe", receiver.base_url, "--token", TOKEN,
            "--i-accept-side-effects", "--json-output",
        )  # fmt: skip
    report = json.loads(result.stdout)
    failed = {
        re.sub(r"^DELETE /Users/[0-9a-f]{32}$", "DELETE /Users/<id>", r["name"])
        for r in report["results"]
        if r["status"] not in ("pass", "skip")
    }
    passed = {r["name"] for r in report["results"] if r["status"] == "pass"}

    assert {"GET /ServiceProviderConfig", "GET /Schemas", "GET /ResourceTypes", "POST /Users"} <= passed
    assert "PATCH /Users/{id}" in passed
    if mode == "apply":  # and the deactivated user kept: every check passes
        assert not failed, report["results"]
    else:  # Own refuses a PUT changing displayName (400 mutability), so it stays as it was; and
        # Own removes the account the PATCH deactivated
        assert failed == {"PUT /Users/{id}", "GET /Users/{id} after PUT", *_REMOVED_ON_DEACTIVATION}, report["results"]
