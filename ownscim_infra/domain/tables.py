"""Terminal tables: the one renderer behind every text report (plan, simulate, verify, adopt, review).

Columns are padded to their widest cell and separated by two spaces; trailing spaces are
dropped, so the last column is never padded. With ``max_width``, columns are narrowed
until the table fits (see :func:`_fit`), and their cells wrap onto continuation lines (nothing
is cut; a word breaks only after a hyphen, and only when whole words cannot fit).
Plain text only: no colour, no box drawing.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

#: The width text reports fit by default (``--wide`` turns it off).
DEFAULT_WIDTH = 100
#: A column is never narrowed below this many characters.
MIN_COLUMN = 12
#: The pieces a word may break into: up to and including each hyphen.
_HYPHENATED = re.compile(r"[^\s-]*-|[^\s-]+")


def aligned(
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
    indent: str = "",
    *,
    rule: bool = True,
    details: Sequence[Sequence[str]] | None = None,
    max_width: int | None = None,
) -> list[str]:
    """Render a table as lines (no trailing newline).

    :param header: the column titles, or ``None`` for a table without a header.
    :param rows: the cells, one sequence per row, as many cells as ``header`` (or as the
        first row); every cell is rendered with ``str``.
    :param indent: prefixed to every line.
    :param rule: a dashed line under the header (ignored without a header).
    :param details: for each row, extra lines printed under it, aligned with the start of
        its last column (``verify`` puts the manual steps there); with ``max_width`` they wrap.
    :param max_width: fit the table in this many characters (``None``: as wide as it takes):
        the widest columns are narrowed, down to :data:`MIN_COLUMN`, and wrap.
    :returns: the header, the rule, then each row (one line or more) followed by its detail lines.
    """
    table = [[str(c) for c in row] for row in rows]
    if header is not None:
        table.insert(0, list(header))
    if not table:
        return []
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    if max_width is not None:
        columns = range(len(widths))
        words = [max((len(w) for row in table for w in row[i].split()), default=0) for i in columns]
        parts = [max((len(p) for row in table for p in _HYPHENATED.findall(row[i])), default=0) for i in columns]
        widths = _fit(widths, words, parts, max_width - len(indent))
    lines: list[str] = []
    body_start = 0
    if header is not None:
        lines += _row_lines(table[0], widths, indent)
        if rule:
            lines.append(_line(["-" * w for w in widths], widths, indent))
        body_start = 1
    last_column = len(indent) + sum(w + 2 for w in widths[:-1])
    for n, row in enumerate(table[body_start:]):
        lines += _row_lines(row, widths, indent)
        if details is not None:
            room = None if max_width is None else max(max_width, last_column + MIN_COLUMN)
            lines += [part for line in details[n] for part in wrapped(line, room, " " * last_column)]
    return lines


def _fit(widths: list[int], words: list[int], parts: list[int], room: int) -> list[int]:
    """Narrow columns, one character at a time, until they fit ``room``:

    1. the widest first, down to ``words`` (each column's longest word): words stay whole;
    2. then the rightmost first (the left columns name things: a login, a resource), down to
       ``parts`` (the longest piece of a word between hyphens): a word breaks after a hyphen;
    3. then the widest first, down to :data:`MIN_COLUMN`.
    """
    widths = list(widths)
    passes = (
        (words, lambda i: (widths[i], -i)),
        (parts, lambda i: i),
        ([MIN_COLUMN] * len(widths), lambda i: (widths[i], -i)),
    )
    for floor, first in passes:
        while sum(widths) + 2 * (len(widths) - 1) > room:
            narrowable = [i for i in range(len(widths)) if widths[i] > max(floor[i], MIN_COLUMN)]
            if not narrowable:
                break
            widths[max(narrowable, key=first)] -= 1
    return widths


def _row_lines(cells: Sequence[str], widths: Sequence[int], indent: str) -> list[str]:
    wrapped = [_wrap_cell(c, w) if len(c) > w else [c] for c, w in zip(cells, widths, strict=True)]
    height = max(len(w) for w in wrapped)
    return [_line([w[n] if n < len(w) else "" for w in wrapped], widths, indent) for n in range(height)]


def _wrap_cell(cell: str, width: int) -> list[str]:
    """A cell's lines: at spaces; a word longer than ``width`` breaks after its hyphens
    (``own-scim-group-assignment-`` / ``salesforce-admins``), and only if that is not enough
    anywhere else."""
    hyphens = any(len(word) > width for word in cell.split())
    return textwrap.wrap(cell, width, break_on_hyphens=hyphens) or [""]


def _line(cells: Sequence[str], widths: Sequence[int], indent: str) -> str:
    return indent + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


def wrapped(text: str, width: int | None, indent: str = "", hanging: str = "  ") -> list[str]:
    """One line of prose as lines of at most ``width`` characters (``None``: one line):
    the first prefixed with ``indent``, the next ones with ``indent + hanging``."""
    if width is None or len(indent) + len(text) <= width:
        return [indent + text]
    return textwrap.wrap(
        text, width, initial_indent=indent, subsequent_indent=indent + hanging, break_on_hyphens=False
    ) or [indent]
