"""scim2-server's own storage contract, run against the SQLite storage."""

from __future__ import annotations

import pytest
from scim2_server.testing import ScimStorageContract

from ownscim_infra.receiver.storage import SqliteStorage


class TestSqliteStorageContract(ScimStorageContract):
    @pytest.fixture
    def storage(self, provider, tmp_path):
        store = SqliteStorage(tmp_path / "contract.db", provider)
        yield store
        store.close()
