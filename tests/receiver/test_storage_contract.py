"""scim2-server's own storage contract, run against the SQLite storage."""

from __future__ import annotations

import pytest
from scim2_server.testing import ScimStorageContract
from scim2_server.utils import load_default_provider

from ownscim_infra.receiver.storage import SqliteStorage


class TestSqliteStorageContract(ScimStorageContract):
    @pytest.fixture(scope="class")
    @classmethod
    def provider(cls):
        """The contract's provider, built once for the class (it rebuilt the models for every test,
        most of the time the contract took); the tests only read it."""
        return load_default_provider()

    @pytest.fixture
    def storage(self, provider, tmp_path):
        store = SqliteStorage(tmp_path / "contract.db", provider)
        yield store
        store.close()
