"""The ``regions`` value codec: Own's comma-separated list, one text for every order of a set."""

from __future__ import annotations

from ownscim_infra.domain.regions import RecordedRegions, canonical_regions, join_regions, same_regions, split_regions


def test_every_order_of_the_same_regions_is_one_text():
    assert canonical_regions(["us1", "emea2"]) == canonical_regions(["emea2", "us1"]) == "emea2,us1"
    assert canonical_regions(["uk1", "emea2", "us1"]) == "emea2,uk1,us1"
    assert split_regions(canonical_regions(["us1", "emea2"])) == ["emea2", "us1"]


def test_join_keeps_the_order_given():
    assert join_regions(["us1", "emea2"]) == "us1,emea2"


# --------------------------------------------------------------------------- the text a stack recorded (issue 21.5)


def test_the_same_set_in_any_order_is_the_same_regions():
    assert same_regions("us1,emea2", "emea2, us1") and same_regions(None, None)
    assert not same_regions("us1,emea2", "us1") and not same_regions(None, "us1") and not same_regions("us1", None)


def test_a_recorded_text_is_kept_for_the_same_set_of_regions():
    recorded = RecordedRegions(by_assignment={"a": "us1,emea2"})
    assert recorded.text("a", ["emea2", "us1"]) == "us1,emea2"  # a reorder: the recorded text, verbatim
    assert recorded.text("a", ["us1", "uk1"]) == "uk1,us1"  # another set: a new text (canonical)
    assert recorded.text("b", ["us1", "emea2"]) == "emea2,us1"  # a new assignment


def test_a_stack_of_before_keeps_the_written_order_and_its_groups_texts():
    """The program of before declared the config's written order; its ``regionsByGroup`` holds
    the groups' texts, so a group reordered in the upgrade's own change keeps its text."""
    before = RecordedRegions(by_group={"Own EMEA": "emea2,uk1"}, from_before=True)
    assert before.text("a", ["us1", "emea2"]) == "us1,emea2"  # written order, not sorted
    assert before.text("g", ["uk1", "emea2"], "Own EMEA") == "emea2,uk1"
    assert before.text("g", ["uk1"], "Own EMEA") == "uk1"
    assert RecordedRegions().text("a", ["us1", "emea2"]) == "emea2,us1"  # a new stack: canonical
