"""What a review does once and reuses: the directory BASE and NEW share is read once."""

from __future__ import annotations

import yaml

from ownscim_infra.offline import simulate
from ownscim_infra.offline.review import review
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
    read = simulate.read_own_state

    def counted(reader, login):
        reads.append(login)
        return read(reader, login)

    monkeypatch.setattr(simulate, "read_own_state", counted)
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
