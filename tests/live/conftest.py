"""Fixtures of the live-org tests: the fake Okta Management API (:mod:`tests.live.okta_fake`)."""

from __future__ import annotations

import pytest

from ownscim_infra.config import load_config
from tests.live.okta_fake import EXAMPLE, TOKEN, FakeOktaServer, FakeOrg, org_in_sync


@pytest.fixture(scope="session")
def okta_server():
    """The running fake (one per test session)."""
    server = FakeOktaServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_org(okta_server, monkeypatch) -> FakeOrg:
    """A fresh org in sync with ``config/example.yaml``; the okta provider's environment
    variables point at the fake (``OKTA_ORG_URL``, ``OKTA_API_TOKEN``), plus the okta SDK's
    test-only switch for an ``http://`` org URL."""
    org = org_in_sync(load_config(EXAMPLE))
    okta_server.fake.org = org
    for var in ("OKTA_ORG_NAME", "OKTA_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OKTA_ORG_URL", okta_server.url)
    monkeypatch.setenv("OKTA_API_TOKEN", TOKEN)
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")
    return org
