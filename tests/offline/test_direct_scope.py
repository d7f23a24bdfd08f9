"""A direct assignment for a member of an assigned group (issue 17 item 5): the provider never
sends ``scope`` (``getAppUser``), and a public report (articulate/terraform-provider-okta #264)
says Okta then keeps the user ``GROUP``-scoped. Both readings are modelled until a real org
settles it: ``simulate --direct-scope user|group``."""

from __future__ import annotations

import yaml

from ownscim_infra.domain.findings import Code
from ownscim_infra.offline.report_text import render_text
from ownscim_infra.offline.review import SAFE, review
from ownscim_infra.offline.review import render_text as review_text
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


# --------------------------------------------------------------------------- the label


def test_the_default_run_labels_dana_regions_not_guaranteed_with_the_reason_and_the_check():
    report = simulate(EXAMPLE, DIRECTORY)
    labelled = {u.login: u.not_guaranteed for u in report.users if u.not_guaranteed}
    assert list(labelled) == [DANA], "the only person of the example assigned directly and in an assigned group"
    text = labelled[DANA]
    assert text.startswith(f"regions not guaranteed: {DANA} is assigned directly (emea2) and is in assigned group")
    assert "Own US's regions (us1)" in text and "#264" in text
    assert "python -m ownscim_infra verify" in text and "Applications > Own > Assignments" in text
    dana = next(u for u in report.users if u.login == DANA)
    assert dana.to_json()["regionsNotGuaranteed"] == text
    assert dana.ok and report.ok, "a label, not a difference: Own holds what the config means in this reading"
    rendered = render_text(report, width=None)
    assert "Regions not guaranteed (assigned directly and in an assigned group):" in rendered
    assert "10 users: 10 as the config means, 0 differ; 1 with regions not guaranteed; 0 finding(s)" in rendered


def test_a_review_that_assigns_dana_is_not_safe_and_says_why(tmp_path):
    data = example_data()
    data["people"] = [p for p in data["people"] if p["login"] != DANA]
    before = tmp_path / "before.yaml"
    before.write_text(yaml.safe_dump(data, sort_keys=False))
    rv = review(before, EXAMPLE, DIRECTORY)
    assert rv.verdict != SAFE
    (caveat,) = [w for w in rv.warnings if w.code == Code.REGIONS_NOT_GUARANTEED]
    assert caveat.logins == (DANA,)
    assert "regions-not-guaranteed" in "; ".join(rv.reasons)


def test_a_review_that_leaves_dana_as_she_is_lists_her_apart_from_the_verdict():
    rv = review(EXAMPLE, EXAMPLE, DIRECTORY)
    assert rv.verdict == SAFE
    assert [w.logins for w in rv.already_warnings if w.code == Code.REGIONS_NOT_GUARANTEED] == [(DANA,)]
    assert "regions not guaranteed: dana.lee@example.com" in review_text(rv)


def test_a_person_an_evaluable_rule_puts_in_an_assigned_group_is_labelled_too(tmp_path):
    """louis.martin is in Own France through its rule (countryCode FR), here not through the
    directory's listing (a directory pulled before the rule ran): a direct assignment for him is
    not guaranteed either. The label counted the directory's groups and ``members`` only, while
    assignment-blocked-by-group, its twin, counted rules too."""
    data = example_data()
    data["people"].append({"login": "louis.martin@example.com", "regions": ["us1"]})
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    users = yaml.safe_load(DIRECTORY.read_text())
    next(u for u in users["users"] if u["login"] == "louis.martin@example.com")["groups"] = []
    directory = tmp_path / "directory.yaml"
    directory.write_text(yaml.safe_dump(users, sort_keys=False))
    report = simulate(config, directory)
    louis = next(u for u in report.users if u.login == "louis.martin@example.com")
    assert louis.not_guaranteed is not None and "assigned group(s) Own France" in louis.not_guaranteed
    assert "with Own France's regions (emea2)" in louis.not_guaranteed
