"""The ``regions`` value codec: Own's comma-separated list, one text for every order of a set."""

from __future__ import annotations

from ownscim_infra.domain.regions import canonical_regions, join_regions, split_regions


def test_every_order_of_the_same_regions_is_one_text():
    assert canonical_regions(["us1", "emea2"]) == canonical_regions(["emea2", "us1"]) == "emea2,us1"
    assert canonical_regions(["uk1", "emea2", "us1"]) == "emea2,uk1,us1"
    assert split_regions(canonical_regions(["us1", "emea2"])) == ["emea2", "us1"]


def test_join_keeps_the_order_given():
    assert join_regions(["us1", "emea2"]) == "us1,emea2"
