"""One Markdown table builder for plan and review: names from a pull request cannot break a row."""

from __future__ import annotations

from ownscim_infra.domain.markdown import table


def test_a_table_escapes_its_cells_and_keeps_one_line_a_row():
    lines = table(["Group", "Regions"], [["Own | US\nnext", "us1"], ["`x`", "emea2"]])
    assert lines[:2] == ["| Group | Regions |", "|---|---|"]
    assert len(lines) == 4 and all(line.startswith("| ") and line.endswith(" |") for line in lines[2:])
    assert lines[2].count(" | ") == 1 and "Own \\| US next" in lines[2]
