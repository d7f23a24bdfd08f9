"""A direct assignment for a member of an assigned group (issue 17 item 5): the provider never
sends ``scope`` (``getAppUser``), and a public report (articulate/terraform-provider-okta #264)
says Okta then keeps the user ``GROUP``-scoped. Both readings are modelled until a real org
settles it: ``simulate --direct-scope user|group``."""

from __future__ import annotations

import yaml

from ownscim_infra.offline.simulate import simulate
from tests.conftest import EXAMPLE, REPO, example_data

DIRECTORY = REPO / "config" / "example-directory.yaml"
DANA = "dana.lee@example.com"


def dana_added(tmp_path, direct_scope: str):
    """The example without dana.lee's direct assignment, then with it (she is in Own US)."""
    data = example_data()
    data["people"] = [p for p in data["people"] if p["login"] != DANA]
    before = tmp_path / "before.yaml"
    before.write_text(yaml.safe_dump(data, sort_keys=False))
    return simulate(EXAMPLE, DIRECTORY, previous=(before, DIRECTORY), direct_scope=direct_scope)


def test_the_direct_assignment_wins_in_okta_in_the_first_reading(tmp_path):
    report = dana_added(tmp_path, "USER")
    dana = next(u for u in report.users if u.login == DANA)
    assert dana.assignment == "direct"
    assert [d.resource for d in report.drift] == [], "Okta holds what the config declares"


def test_okta_keeps_the_group_scope_in_the_reading_of_264_and_the_drift_says_so(tmp_path):
    report = dana_added(tmp_path, "GROUP")
    dana = next(u for u in report.users if u.login == DANA)
    assert dana.assignment.startswith("group Own US")
    assert dana.own is not None and dana.own.regions == ("us1",)
    (drift,) = report.drift
    assert drift.resource == f"own-scim-user-{DANA}"
    assert "only through group 'Own US' (scope GROUP, regions us1)" in drift.what
    assert drift.repair is not None and "Assign to People: dana.lee@example.com, regions emea2" in drift.repair
