"""The terminal tables of every text report: they fit the width, and the names in them stay whole."""

from __future__ import annotations

from ownscim_infra.domain.tables import aligned, wrapped

NAME = "own-scim-group-assignment-own-admins-global"
OPTIONS = "protect; deleteBeforeReplace; beforeDelete hook ownscim-regions-attribute-guard"


def test_cells_are_padded_and_trailing_spaces_dropped():
    assert aligned(["A", "Bee"], [["x", "y"], ["long", "z"]]) == ["A     Bee", "----  ---", "x     y", "long  z"]


def test_a_table_that_fits_with_whole_words_breaks_none():
    lines = aligned(
        ["Type", "Name", "Options"], [["GroupAssignment", NAME, "ignoreChanges=profile; x; y"]], "  ", max_width=90
    )
    assert all(len(line) <= 90 for line in lines)
    assert any(NAME in line for line in lines)


def test_a_name_stays_whole_when_the_last_column_can_break_after_a_hyphen():
    # 100 columns cannot hold the name, and the hook name, whole: the plan broke the resource
    # name ("...-own-admins-globa" / "l"); now the options column breaks after a hyphen
    lines = aligned(["Type", "Name", "Options"], [["AppUserSchemaProperty", NAME, OPTIONS]], "  ", max_width=100)
    assert all(len(line) <= 100 for line in lines), lines
    assert any(NAME in line for line in lines), lines
    assert "ownscim-" in "".join(lines) and any(line.rstrip().endswith("ownscim-") for line in lines)


def test_nothing_is_cut_even_when_words_must_break():
    cells = [["a" * 40, "b" * 40, "c" * 40]]
    lines = aligned(None, cells, max_width=60)
    text = "".join(line.replace(" ", "") for line in lines)
    assert sorted(text) == sorted("a" * 40 + "b" * 40 + "c" * 40)
    assert all(len(line) <= 60 for line in lines)


def test_prose_wraps_under_its_indent():
    lines = wrapped("word " * 30, 40, "    ")
    assert lines[0].startswith("    word") and all(line.startswith("      ") for line in lines[1:])
    assert all(len(line) <= 40 for line in lines)
