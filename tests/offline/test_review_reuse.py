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
    assert reads[1:] == [str(DIRECTORY), str(copy)]
    assert (shared.verdict, shared.reasons) == (twice.verdict, twice.reasons)
    assert [u.to_json() for u in shared.report.users] == [u.to_json() for u in twice.report.users]
