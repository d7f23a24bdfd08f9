"""``heap.bulk``: the cyclic collector paused for a block, and as it was after it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ownscim_infra.config.directory import load_directory
from ownscim_infra.domain import heap


@pytest.fixture(autouse=True)
def _collector_enabled() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_paused_inside_and_enabled_again_after() -> None:
    with heap.bulk():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_enables_it_again() -> None:
    with pytest.raises(ValueError, match="bad record"), heap.bulk():
        raise ValueError("bad record")
    assert gc.isenabled()


def test_a_caller_that_disabled_the_collector_keeps_it_disabled() -> None:
    gc.disable()
    with heap.bulk():
        pass
    assert not gc.isenabled()


def test_nested_blocks_enable_it_when_the_outer_one_ends() -> None:
    with heap.bulk():
        with heap.bulk():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_blocks_in_two_threads_enable_it_when_the_last_one_ends() -> None:
    first_in, second_done, first_may_end = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with heap.bulk():
            first_in.set()
            first_may_end.wait(5)
        seen["after first"] = gc.isenabled()

    def second() -> None:
        first_in.wait(5)
        with heap.bulk():
            pass
        seen["after second, first still inside"] = gc.isenabled()
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    second_done.wait(5)
    first_may_end.set()
    for t in threads:
        t.join(5)
    assert seen == {"after second, first still inside": False, "after first": True}


def test_no_automatic_collection_runs_inside_however_much_is_built() -> None:
    threshold = gc.get_threshold()[0]
    collections = [0]

    def count(phase: str, info: dict[str, int]) -> None:
        collections[0] += phase == "start"

    gc.callbacks.append(count)
    try:
        with heap.bulk():
            built = [[i] for i in range(threshold * 20)]
            assert collections == [0]
        more = [[i] for i in range(threshold * 20)]
        assert collections[0] >= 1  # after it, the collector runs again
    finally:
        gc.callbacks.remove(count)
    assert len(built) == len(more)


def test_reading_a_directory_leaves_the_collector_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "directory.json"
    path.write_text('{"users": [{"login": "ann@example.com"}]}')
    assert [u.login for u in load_directory(path).users] == ["ann@example.com"]
    assert gc.isenabled()
    path.write_text('{"users": [{"login": "ann@example.com", "login": "bob@example.com"}]}')
    with pytest.raises(Exception, match="given twice"):
        load_directory(path)
    assert gc.isenabled()
