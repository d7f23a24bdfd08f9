"""Terminal tables: the one renderer behind every text report (plan, simulate, verify, adopt).

Columns are padded to their widest cell and separated by two spaces; trailing spaces are
dropped, so the last column is never padded. Plain text only: no colour, no box drawing.
"""

from __future__ import annotations

from collections.abc import Sequence


def aligned(
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
    indent: str = "",
    *,
    rule: bool = True,
    details: Sequence[Sequence[str]] | None = None,
) -> list[str]:
    """Render a table as lines (no trailing newline).

    :param header: the column titles, or ``None`` for a table without a header.
    :param rows: the cells, one sequence per row, as many cells as ``header`` (or as the
        first row); every cell is rendered with ``str``.
    :param indent: prefixed to every line.
    :param rule: a dashed line under the header (ignored without a header).
    :param details: for each row, extra lines printed under it, aligned with the start of
        its last column (``verify`` puts the manual steps there).
    :returns: the header, the rule, then each row followed by its detail lines.
    """
    table = [list(map(str, row)) for row in rows]
    if header is not None:
        table.insert(0, list(header))
    if not table:
        return []
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines: list[str] = []
    body_start = 0
    if header is not None:
        lines.append(_line(table[0], widths, indent))
        if rule:
            lines.append(_line(["-" * w for w in widths], widths, indent))
        body_start = 1
    last_column = len(indent) + sum(w + 2 for w in widths[:-1])
    for n, row in enumerate(table[body_start:]):
        lines.append(_line(row, widths, indent))
        if details is not None:
            lines += [" " * last_column + line for line in details[n]]
    return lines


def _line(cells: Sequence[str], widths: Sequence[int], indent: str) -> str:
    return indent + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
