"""Text from the reviewed files, made inert in the Markdown and Mermaid that reviewers read.

Group names, logins and labels come from a pull request; the plan (``plan --format
markdown``) and the review report show them on the pull-request page. There, a name must
read as the text it is, never as markup:

- :func:`inline`: Markdown's inline syntax (CommonMark and GitHub's extensions) escaped:
  emphasis and strike-through (``*`` ``_`` ``~``), code spans (`````), HTML and autolinks
  in angle brackets (``<`` ``>``), entities (``&``), backslashes, and links, images and
  footnotes: a ``]`` followed by ``(`` or ``[`` (``[text](url)``, ``![alt](src)``,
  ``[text][ref]``) and a ``[`` followed by ``^`` (``[^note]``). Text left as it is cannot
  start markup: an ``_`` between two letters or digits (``USER_PROVISIONING``) cannot open
  or close emphasis, and a bracket pair alone (``[secret]``) is a link only where the
  document defines that label (these documents define none). Bare URLs and e-mail
  addresses are left to GitHub's autolinking: their link text is the address itself.
- :func:`cell`: :func:`inline` plus ``|``, for a table cell.
- :func:`mermaid_label`: the text of a quoted Mermaid label (``g0["..."]``): quotes, ``%``
  (``%%{init}%%`` directives), ``{ }``, ``#`` (entity codes), backticks (Markdown strings
  and the end of the code fence), ``< > &`` become Mermaid entity codes.
- :func:`code`: a code span that no backtick inside the text can close.
- :func:`prose`: a sentence of ours that quotes names, for a list item or a paragraph: its
  `` `code` `` spans stay code spans (inert: CommonMark renders nothing inside them), the rest
  is :func:`cell`.

Line breaks (which would end a table row or a label) become spaces in every function.
Stdlib only: every layer may use it.
"""

from __future__ import annotations

import re

#: Characters that start or end inline Markdown wherever they are, escaped with a backslash.
_INLINE_PUNCTUATION = "\\`*_~"
#: HTML-significant characters, written as entities (a backslash does not stop raw HTML in
#: every renderer; an entity does).
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
#: Mermaid entity codes (``#quot;``, or a decimal code point ``#35;``).
_MERMAID = {
    "#": "#35;",
    '"': "#quot;",
    "'": "#39;",
    "`": "#96;",
    "%": "#37;",
    "{": "#123;",
    "}": "#125;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
}
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85\x0b\x0c]+")


def _one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text)


def inline(text: str) -> str:
    """``text`` as literal inline Markdown: ``[x](y)`` -> ``[x\\](y)``, ``*a*`` -> ``\\*a\\*``,
    ``<b>`` -> ``&lt;b&gt;``; ``USER_PROVISIONING`` and ``[secret]`` are kept."""
    text = _one_line(text)
    out = []
    for n, char in enumerate(text):
        following = text[n + 1 : n + 2] or " "
        if char in _ENTITIES:
            out.append(_ENTITIES[char])
        elif char == "_" and 0 < n < len(text) - 1 and text[n - 1].isalnum() and text[n + 1].isalnum():
            out.append(char)  # intraword: cannot open or close emphasis (CommonMark 6.2)
        elif char in _INLINE_PUNCTUATION or (char == "]" and following in "([") or (char == "[" and following == "^"):
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def cell(text: str) -> str:
    """``text`` for a GitHub table cell: :func:`inline`, and ``|`` escaped."""
    return inline(text).replace("|", "\\|")


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A GitHub table, one line each: ``header`` as written (the caller's constant words),
    then the separator, then each row's cells escaped by :func:`cell`."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]


def mermaid_label(text: str) -> str:
    """``text`` for a double-quoted Mermaid label: ``Evil"] %%{init}%%`` ->
    ``Evil#quot;] #37;#37;#123;init#125;#37;#37;``, so a name cannot close the label, add
    nodes, edges or ``click`` lines, or carry a directive."""
    return "".join(_MERMAID.get(c, c) for c in _one_line(text))


def code(text: str) -> str:
    """``text`` as an inline code span, fenced with one more backtick than its longest run
    of backticks (CommonMark 6.1)."""
    text = _one_line(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_CODE_SPAN = re.compile(r"`([^`]+)`")


def prose(text: str) -> str:
    """A message of this project (which may hold names from the files) for a list item or a
    paragraph, not a table cell: each `` `x` `` stays a code span, shown as written; every other
    character as :func:`cell` escapes it. Text in a code span is inert, so a name that pairs
    backticks differently only changes what is shown in code."""
    text = _one_line(text)
    out, end = [], 0
    for span in _CODE_SPAN.finditer(text):
        out += [cell(text[end : span.start()]), "`" + span.group(1) + "`"]
        end = span.end()
    out.append(cell(text[end:]))
    return "".join(out)
