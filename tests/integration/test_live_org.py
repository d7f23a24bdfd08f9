"""End to end against a real Okta org: ``pulumi up`` the example config, ``verify``, a second
``pulumi preview`` that must show no change, destroy.

Run (see docs/live-org.md)::

    export OKTA_ORG_URL=https://dev-123456.okta.com OKTA_API_TOKEN=...   # a developer org
    export OWNSCIM_IT_RECEIVER_URL=https://<your receiver>/scim/v2      # https, reachable by Okta
    export OWNSCIM_IT_SCIM_TOKEN=...                                      # optional: the receiver's token
    .venv/bin/python -m pytest tests/integration -m integration -v -s

It uses Pulumi's Automation API with a local file backend in a temporary directory: a
throw-away stack of this project (``Pulumi.yaml`` at the repo root), configured with a copy of
``config/example.yaml`` whose ``scim_base_url`` is the receiver URL. It creates the app, the
groups and the assignments, runs :func:`ownscim_infra.live.verify.verify` and asserts no drift,
then unprotects the ``regions`` attribute (the program protects it) and destroys everything
with ``--run-program`` and ``OWNSCIM_ALLOW_REGIONS_ATTRIBUTE_DELETE=1`` (its delete hook)
and removes the stack, whatever happened. The two people of the example must exist in the
org (or the test removes them from its copy of the config when they do not).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from ownscim_infra.live import okta_api
from ownscim_infra.live.verify import render_text, verify
from ownscim_infra.program.component import ALLOW_ATTRIBUTE_DELETE_ENV

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "example.yaml"
RECEIVER_ENV = "OWNSCIM_IT_RECEIVER_URL"
SCIM_TOKEN_ENV = "OWNSCIM_IT_SCIM_TOKEN"

pytestmark = pytest.mark.integration


def _requirements() -> str | None:
    """Why the test cannot run here, or None."""
    if shutil.which("pulumi") is None:
        return "the `pulumi` CLI is not on PATH (install it: https://www.pulumi.com/docs/install/)"
    missing = [v for v in ("OKTA_ORG_URL", "OKTA_API_TOKEN", RECEIVER_ENV) if not os.environ.get(v)]
    if missing:
        return f"set {', '.join(missing)} to run against a real Okta org (see docs/live-org.md)"
    return None


def _org_settings(org_url: str) -> tuple[str, str]:
    """``https://dev-123.okta.com`` -> (``dev-123``, ``okta.com``): the okta provider's
    ``orgName`` and ``baseUrl``."""
    host = urlsplit(org_url).hostname or ""
    name, _, base = host.partition(".")
    return name, base


def _people_that_exist(people: list[dict]) -> list[dict]:
    async def lookup(reader: okta_api.OktaReader) -> list[dict]:
        return [p for p in people if await reader.get_user(p["login"]) is not None]

    return okta_api.run_with_reader(lookup, okta_api.credentials_from_env())


@pytest.fixture
def requirements() -> None:
    """Skip, printing why, when the CLI, the org or the receiver is missing."""
    reason = _requirements()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def live_config(requirements: None, tmp_path: Path) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    suffix = uuid.uuid4().hex[:6]
    data["app"]["label"] = f"Own IT {suffix}"
    # the run probes whether Okta manages this app's provisioning through its API (README,
    # "Provisioning: manual or api"): manual steps cannot be done by a test
    data["app"]["provisioning"] = "api"
    data["app"].pop("manual_steps_done", None)
    data["app"]["scim_base_url"] = os.environ[RECEIVER_ENV]
    # groups are created by the program: name them for this run; no existing group is needed
    data["groups"] = [dict(g, name=f"{g['name']} IT {suffix}", create=True) for g in data["groups"]]
    data["people"] = _people_that_exist(data.get("people", []))
    path = tmp_path / "it.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _unprotect_all(stack) -> None:
    """Clear ``protect`` on every resource in the stack's state (Automation API
    export/import; the equivalent of ``pulumi state unprotect --all``)."""
    deployment = stack.export_stack()
    for resource in deployment.deployment.get("resources", []):
        resource["protect"] = False
    stack.import_stack(deployment)


def test_up_verify_destroy(tmp_path: Path, live_config: Path) -> None:
    from pulumi import automation as auto

    backend = tmp_path / "backend"
    backend.mkdir()
    org_name, base_url = _org_settings(os.environ["OKTA_ORG_URL"])
    env = {
        "PULUMI_BACKEND_URL": f"file://{backend}",
        "PULUMI_CONFIG_PASSPHRASE": uuid.uuid4().hex,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        # the program guards the regions attribute with a before_delete hook; this run
        # deliberately destroys it (destroy runs the program so that the hook exists)
        ALLOW_ATTRIBUTE_DELETE_ENV: "1",
    }
    stack_name = f"it-{uuid.uuid4().hex[:8]}"
    stack = auto.create_stack(
        stack_name, work_dir=str(REPO), opts=auto.LocalWorkspaceOptions(work_dir=str(REPO), env_vars=env)
    )
    try:
        stack.set_config("ownscim:config", auto.ConfigValue(str(live_config)))
        stack.set_config(
            "ownscim:scimToken", auto.ConfigValue(os.environ.get(SCIM_TOKEN_ENV) or uuid.uuid4().hex, secret=True)
        )
        stack.set_config("okta:orgName", auto.ConfigValue(org_name))
        stack.set_config("okta:baseUrl", auto.ConfigValue(base_url))
        stack.set_config("okta:apiToken", auto.ConfigValue(os.environ["OKTA_API_TOKEN"], secret=True))

        up = stack.up(on_output=print)
        assert up.summary.result == "succeeded"
        # the connectionStatus output is ENABLED whatever Okta answers (the provider's Create sets
        # it: resource_okta_app_connection.go); verify reads the connection from Okta
        report = verify(str(live_config))
        assert not report.drift, render_text(report)
        assert report.app_id == up.outputs["appId"].value

        # the same program again changes nothing (docs/provider-semantics.md: the provider's
        # read-back must not make the engine replace any assignment)
        again = stack.preview(on_output=print)
        assert set(again.change_summary) <= {"same"}, again.change_summary
    finally:
        try:
            _unprotect_all(stack)
            stack.destroy(on_output=print, run_program=True)
        finally:
            stack.workspace.remove_stack(stack_name, force=True)
