"""What a review does once and reuses: the directory BASE and NEW share is read once."""

from __future__ import annotations

import copy
import functools
import json
import re

import yaml

from ownscim_infra.offline import expectations, report, rollout, simulate
from ownscim_infra.offline.review import render_json, render_markdown, render_text, review
from tests import generated
from tests.conftest import EXAMPLE, REPO, example_data

DIRECTORY = REPO / "config" / "example-directory.yaml"


def _new_config(tmp_path):
    data = example_data()
    data["groups"][0]["regions"] = list(reversed(data["groups"][0]["regions"]))
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(data, sort_keys=False))
    return new


def _counting_reads(monkeypatch) -> list[str]:
    reads: list[str] = []
    load = simulate.load_directory

    def counted(path):
        reads.append(str(path))
        return load(path)

    monkeypatch.setattr(simulate, "load_directory", counted)
    return reads


def test_a_review_reads_the_directory_base_and_new_share_once(tmp_path, monkeypatch):
    reads = _counting_reads(monkeypatch)
    shared = review(EXAMPLE, _new_config(tmp_path), DIRECTORY)
    assert reads == [str(DIRECTORY)]
    # the same review, the directory read twice: the same result
    copy = tmp_path / "before-directory.yaml"
    copy.write_bytes(DIRECTORY.read_bytes())
    twice = review(EXAMPLE, _new_config(tmp_path), DIRECTORY, base_directory=copy)
    assert reads[1:] == [str(copy), str(DIRECTORY)]  # BASE first: NEW's program reads its outputs
    assert (shared.verdict, shared.reasons) == (twice.verdict, twice.reasons)
    assert [u.to_json() for u in shared.report.users] == [u.to_json() for u in twice.report.users]


def test_own_before_the_change_is_read_for_the_users_it_touches_only(tmp_path, monkeypatch):
    """Own before the change: read just before Okta's first request for a user in the change's
    run; a user Okta sends nothing is the same before and after (one read)."""
    reads: list[str] = []
    read = simulate.OwnReader.read

    def counted(self, login):
        reads.append(login)
        return read(self, login)

    monkeypatch.setattr(simulate.OwnReader, "read", counted)
    data = example_data()
    # Own US's members lose the app (jordan.kim: deactivated; alex.morgan keeps it directly), and
    # chris.doe, never assigned before, is provisioned
    data["groups"] = [g for g in data["groups"] if g["name"] != "Own US"]
    data["people"].append({"login": "chris.doe@example.com"})
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(data, sort_keys=False))
    report = simulate.simulate(new, DIRECTORY, previous=(EXAMPLE, DIRECTORY))
    changed = {u.login: [str(c) for c in u.changes] for u in report.users if u.changes}
    assert changed == {"jordan.kim@example.com": ["deactivated"], "chris.doe@example.com": ["provisioned"]}
    at_end = [u.login for u in report.users if u.login != "chris.doe@example.com"]
    # once at the end each user Okta ever sent a request for (chris.doe: none before this run, so
    # absent before it without asking), and once before the change the one it deactivated
    assert sorted(reads) == sorted([*at_end, "chris.doe@example.com", "jordan.kim@example.com"])
    assert all(u.before == u.own for u in report.users if u.login not in changed)


OUTSIDERS = 30


def _org_with_outsiders(tmp_path):
    """BASE (6 people, 3 groups), NEW (group 0 moved, group 1 and the last person gone) and a
    directory with :data:`OUTSIDERS` more users in groups the configs do not assign (one a typo
    of a configured group's name)."""
    base_data = generated.config_data(6, 3)
    users = generated.directory_data(6, 3, extra_users=4, others=("Everyone",))["users"]
    users += [
        {"login": f"outsider{i:02d}@example.com", "groups": ["Everyone", "Contractors" if i % 3 else "Own Team 00O"]}
        for i in range(OUTSIDERS)
    ]
    new_data = copy.deepcopy(base_data)
    new_data["groups"][0]["regions"] = ["au1"]
    del new_data["groups"][1]
    new_data["people"].pop()
    files = []
    for name, data in (("base.yaml", base_data), ("new.yaml", new_data), ("directory.yaml", {"users": users})):
        (tmp_path / name).write_text(yaml.safe_dump(data, sort_keys=False))
        files.append(tmp_path / name)
    return files


def _every_user_asked(monkeypatch) -> None:
    """The review without its shortcuts: the configs asked about every user, each user's line built."""
    monkeypatch.setattr(simulate, "expectations", functools.partial(expectations.expectations, every=True))
    monkeypatch.setattr(simulate, "Judge", functools.partial(report.Judge, quiet=False))


def _line(user):
    """A user's line, every field; the receiver's ids in the requests (random) left out."""
    return user.__dict__ | {"requests": [re.sub("/Users/[0-9a-f]+", "/Users/ID", r) for r in user.requests]}


def test_the_review_is_the_same_without_its_shortcuts_for_users_outside_the_app(tmp_path, monkeypatch):
    """What the configs mean is asked only for the users they may assign, and the line of a
    user outside the app is built once for each set of states: the review says the same, to
    the byte, as when every user is asked and judged."""
    base, new, directory = _org_with_outsiders(tmp_path)
    fast = review(base, new, directory)
    _every_user_asked(monkeypatch)
    slow = review(base, new, directory)
    assert render_json(fast, show_all=True) == render_json(slow, show_all=True)
    assert render_markdown(fast, show_all=True) == render_markdown(slow, show_all=True)
    assert render_text(fast, show_all=True) == render_text(slow, show_all=True)
    assert [_line(u) for u in fast.report.users] == [_line(u) for u in slow.report.users]
    outsiders = [u for u in fast.report.users if u.login.startswith("outsider")]
    assert len(outsiders) == OUTSIDERS and all(u.ok and u.expected.render() == "absent" for u in outsiders)
    assert {f.code for f in fast.already_warnings} >= {"directory-group-typo"}
    # no two lines share a list
    assert len({id(u.changes) for u in fast.report.users}) == len(fast.report.users)


def test_the_configs_are_asked_only_about_the_users_they_may_assign(tmp_path, monkeypatch):
    base, new, directory = _org_with_outsiders(tmp_path)
    asked: list[str] = []
    answer = expectations._ConfigAnswer.__call__

    def counted(self, user):
        asked.append(user.login)
        return answer(self, user)

    monkeypatch.setattr(expectations._ConfigAnswer, "__call__", counted)
    rv = review(base, new, directory)
    assert asked and not [login for login in asked if login.startswith("outsider")]
    assert {u.login for u in rv.report.users if u.expected.render() != "absent"} <= set(asked)


def test_a_full_sync_resolves_the_users_who_may_have_the_app_only_and_provisions_the_same(tmp_path, monkeypatch):
    """A new directory, or a change that reaches everyone, resolves the app's users, not the
    org's: the review is the same, to the byte, as when every directory user is resolved."""
    base, new, directory = _org_with_outsiders(tmp_path)
    resolved: list[str] = []
    resolve_user = rollout.resolve_user

    def counted(org, app_id, user):
        resolved.append(user.login)
        return resolve_user(org, app_id, user)

    monkeypatch.setattr(rollout, "resolve_user", counted)
    fast = review(base, new, directory)
    assert resolved and not [login for login in resolved if login.startswith("outsider")]
    monkeypatch.setattr(rollout.Rollout, "every_user", True)
    slow = review(base, new, directory)
    assert [login for login in resolved if login.startswith("outsider")]  # the same review, every user resolved
    assert render_json(fast, show_all=True) == render_json(slow, show_all=True)
    assert [_line(u) for u in fast.report.users] == [_line(u) for u in slow.report.users]


def _without_ids(report) -> str:
    """The report's JSON, Own's user ids (random, a new one a create) left out of the requests."""
    return re.sub(r"/Users/[0-9a-f]{32}", "/Users/ID", json.dumps(report.to_json()))


def test_each_order_run_from_bases_kept_run_is_the_run_from_scratch(tmp_path):
    """BASE's run (and the console's actions after it) is made once and kept (``change_runs``):
    the change's run in each order, on a copy of Okta, the engine and Own as BASE left them,
    reports what a simulation from scratch in that order reports, field for field."""
    from ownscim_infra.offline.simulate import Console, DayTwo, change_runs, load_state, simulate_states

    data = example_data()
    # Own US moves to emea2 while jordan.kim, one of its members, is assigned directly: two
    # steps with no dependency that touch him (a conflict set, explored in both orders)
    next(g for g in data["groups"] if g["name"] == "Own US")["regions"] = ["emea2"]
    data["people"].append({"login": "jordan.kim@example.com", "regions": ["uk1"]})
    new_file = tmp_path / "new.yaml"
    new_file.write_text(yaml.safe_dump(data, sort_keys=False))
    console_file = tmp_path / "console.yaml"
    console_file.write_text(
        "- {action: add-member, group: Own EMEA, login: chris.doe@example.com}\n"
        "- {action: set-regions, person: dana.lee@example.com, regions: us1}\n"
    )
    base, new = load_state(EXAMPLE, DIRECTORY), load_state(new_file, DIRECTORY)
    day_two = DayTwo(console=Console.read(console_file))
    kept = [base.directory.model_dump(), new.directory.model_dump()]  # shared by the copies: never changed
    with change_runs(new, base, day_two=day_two) as run:
        first = run(None)
        assert first.conflicts, "the change must have steps whose order matters"
        (group,) = first.conflicts
        orders: list[list[str] | None] = [list(reversed(group)), list(group), None]
        reports = [first, *(run(order) for order in orders)]
    scratch = [simulate_states(new, base, day_two=day_two, order=order) for order in [None, *orders]]
    assert [_without_ids(r) for r in reports] == [_without_ids(r) for r in scratch]
    assert [base.directory.model_dump(), new.directory.model_dump()] == kept
    outcomes = {tuple(sorted(u.own.regions)) for r in reports for u in r.users if u.login == "jordan.kim@example.com"}
    assert len(outcomes) == 2, "the orders end differently for jordan.kim: each copy is its own"
    assert reports[1].console_changes == first.console_changes and first.console_changes
