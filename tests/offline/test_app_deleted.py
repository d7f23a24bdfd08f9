"""Deleting the app in Okta (issue 17): Okta documents that deactivating an app removes its
users' assignments ("Deactivate app integrations": "a reconciliation being performed for all
users who were assigned to the app through group assignments. The reconciliation process
removes the app assignment"), not whether Own then receives a SCIM deactivation. A review or
a simulation of an app deletion names both outcomes and is never safe."""

from __future__ import annotations

import pytest
import yaml

from ownscim_infra.domain.findings import Code
from ownscim_infra.offline.review import SAFE, review
from ownscim_infra.offline.simulate import simulate
from ownscim_infra.program.component import ALLOW_APP_DELETE_ENV
from tests.conftest import EXAMPLE, REPO, example_data

DIRECTORY = REPO / "config" / "example-directory.yaml"
BOTH_OUTCOMES = "either all deactivated (Own removes them, with their roles and business units) or left active"


def deleted_by_hand(tmp_path, *, refresh: bool):
    console = tmp_path / "console.yaml"
    console.write_text("- {action: delete-app}\n")
    return review(EXAMPLE, EXAMPLE, DIRECTORY, console=console, refresh=refresh)


@pytest.mark.parametrize("refresh", [False, True], ids=["pulumi up", "pulumi up --refresh"])
def test_the_review_of_an_app_deleted_by_hand_names_both_outcomes_in_own_and_is_not_safe(tmp_path, refresh):
    rv = deleted_by_hand(tmp_path, refresh=refresh)
    assert rv.verdict != SAFE
    (deleted,) = [w for w in rv.warnings if w.code == Code.APP_DELETED]
    assert BOTH_OUTCOMES in deleted.message
    assert "not documented" in deleted.message
    assert "priya.nair@example.com" in deleted.logins and "sam.rivera@example.com" in deleted.logins
    assert "app-deleted" in "; ".join(rv.reasons)
    if not refresh:  # a plain pulumi up fails at the app: the drift says what Own may hold
        (app,) = [d for d in rv.report.drift if d.resource == "own-scim-app"]
        assert "all deactivated, or left active and no longer managed; Okta does not document which" in app.what


def test_a_run_that_deletes_the_app_reports_who_had_it(tmp_path, monkeypatch):
    monkeypatch.setenv(ALLOW_APP_DELETE_ENV, "1")  # the guard lets it through: the deletion is deliberate
    data = example_data()
    data["people"] = [p for p in data["people"] if p["login"] != "dana.lee@example.com"]
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    report = simulate(config, DIRECTORY, previous=(config, DIRECTORY), replace=["own-scim-app"])
    assert report.update_failed is None
    (deleted,) = [f for f in report.findings if f.code == Code.APP_DELETED]
    assert "pulumi up deletes it (own-scim-app, replace)" in deleted.message
    assert BOTH_OUTCOMES in deleted.message
    # the five group members, mia.schmidt (Own DACH's members), louis.martin (Own France's rule),
    # dana.lee (through Own US) and sam.rivera
    assert len(deleted.logins) == 9
    assert not report.ok
