"""Shared fixtures: config files written to tmp_path, and the program run under the mocks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from ownscim_infra.offline.mocks import OfflineMocks, ProgramRun, run_program
from ownscim_infra.offline.okta_org import OktaOrg
from ownscim_infra.program.stack import declare_stack
from tests.live.applied import app_id_of, org_after_up
from tests.live.okta_fake import TOKEN, FakeOktaServer

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "config" / "example.yaml"
#: A recognisable token: tests assert it appears nowhere it must not.
KNOWN_TOKEN = "own-scim-token-DO-NOT-LEAK-7f3a9c"


def example_data(provisioning: str | None = None) -> dict[str, Any]:
    """config/example.yaml as a dict, to derive variants from; ``provisioning="api"`` gives
    the same org set up through Okta's API (the example itself is ``manual``, steps done)."""
    data = yaml.safe_load(EXAMPLE.read_text())
    if provisioning == "api":
        data["app"]["provisioning"] = "api"
        data["app"].pop("manual_steps_done", None)
    return data


def example_variant(tmp_path: Path, edit: Callable[[dict[str, Any]], object], name: str = "new.yaml") -> Path:
    """config/example.yaml changed by ``edit`` (it edits the dict in place), written to
    ``tmp_path / name``: a NEW config for a review of the example."""
    data = example_data()
    edit(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def console_run(tmp_path: Path, console: str, config: Path = EXAMPLE, **options: Any) -> Any:
    """Day two on ``config``: ``simulate`` of it after its own run, with the Admin Console
    actions ``console`` (a console file's text, written to ``tmp_path``) in between, on the
    example directory; ``options`` as ``simulate``'s (``refresh=True``...)."""
    from ownscim_infra.offline.simulate import simulate

    path = tmp_path / "console.yaml"
    path.write_text(console)
    directory = REPO / "config" / "example-directory.yaml"
    return simulate(config, directory, previous=(config, directory), console=path, **options)


def example_group(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The group called ``name`` in a config's data."""
    return next(g for g in data["groups"] if g["name"] == name)


@pytest.fixture(scope="session")
def api_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """config/example.yaml with ``provisioning: api``, written once for the session."""
    path = tmp_path_factory.mktemp("config") / "example-api.yaml"
    path.write_text(yaml.safe_dump(example_data("api"), sort_keys=False))
    return path


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write a config dict as YAML and return its path."""
    counter = iter(range(1000))

    def write(data: dict[str, Any]) -> Path:
        path = tmp_path / f"config-{next(counter)}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return write


def run_config(path: Path | str, token: str | None = KNOWN_TOKEN, mocks: OfflineMocks | None = None) -> ProgramRun:
    """Run the real program on ``path`` under the mock runtime, as `pulumi preview` would
    (``mocks``: other answers to the Okta lookups)."""
    config = {"ownscim:config": str(path)}
    if token is not None:
        config["ownscim:scimToken"] = token
    return run_program(declare_stack, config=config, secret_keys=["ownscim:scimToken"], mocks=mocks)


# ------------------------------------------------------------------ the fake Okta API (tests/live/okta_fake.py)


@pytest.fixture(scope="session")
def okta_server():
    """The running fake (one per test session)."""
    server = FakeOktaServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_org(okta_server, monkeypatch) -> OktaOrg:
    """A fresh org in sync with ``config/example.yaml`` (its ``pulumi up`` applied through the
    emulated engine: tests/live/applied.py), served by the fake; the okta provider's
    environment variables point at it (``OKTA_ORG_URL``, ``OKTA_API_TOKEN``), plus the okta
    SDK's test-only switch for an ``http://`` org URL."""
    org = org_after_up(EXAMPLE)
    okta_server.fake.serve(org)
    for var in ("OKTA_ORG_NAME", "OKTA_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OKTA_ORG_URL", okta_server.url)
    monkeypatch.setenv("OKTA_API_TOKEN", TOKEN)
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")
    return org


@pytest.fixture
def app_id(fake_org: OktaOrg) -> str:
    """The id of the app ``pulumi up`` created in :func:`fake_org`."""
    return app_id_of(fake_org)
