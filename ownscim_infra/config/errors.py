"""The config's error type: every problem of a file, each with its key path and position.

A :class:`ConfigError` is what every reader of a reviewed YAML file raises (the config, the
directory); the commands print it and exit 2. Nothing here imports the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ownscim_infra.domain.errors import InputError

#: The value of a :class:`ConfigIssue` about a missing key (nothing to echo).
MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "<missing>"})()

#: At most this many characters of a value are echoed in a message (a 10 MB description
#: must not produce 10 MB on stderr).
SHOWN_CHARS = 80


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` cut to about ``limit`` characters, saying how long the value was:
    ``'aaaa…' (10485760 characters)``. ``repr`` escapes control and format characters, so
    the text is safe for a terminal. Lists and mappings are cut the same way (``… (N items)``).
    """
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + f"… ({len(value)} characters)"
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f" ({len(value)} items)" if isinstance(value, list | tuple | dict | set) else ""
    return text[:limit] + "…" + size


def key_path(loc: tuple[Any, ...], last_is_key: bool = False) -> str:
    """``("groups", 1, "regions", 0)`` -> ``groups[1].regions[0]``; with ``last_is_key`` the
    last part is a mapping key even when it is a number (``groups[0].3``). A key is cut to
    :data:`SHOWN_CHARS` characters."""
    out = ""
    for n, part in enumerate(loc):
        if last_is_key and n == len(loc) - 1 and not isinstance(part, str):
            out += ("." if out else "") + shown(part)
        elif isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            text = str(part)
            out += ("." if out else "") + (text if len(text) <= SHOWN_CHARS else shown(text))
    return out


@dataclass(frozen=True)
class ConfigIssue:
    """One validation problem.

    ``path`` is the key path (``groups[1].regions[0]``, ``""`` for the document); ``value``
    the offending value (:data:`MISSING` when there is none to show); ``message`` what is
    wrong and what is allowed; ``line`` and ``column`` (1-based) where the offending node is
    in the file, when known; ``where`` the key path as shown, with each list item's name
    (``groups[1] (Own EMEA).regions[0]``), ``""`` to show ``path``.
    """

    path: str
    value: Any
    message: str
    line: int | None = None
    column: int | None = None
    where: str = ""

    def render(self, file: str) -> str:
        """``file:line:column: path: message (got 'value')`` on one line (the position only
        when known; the value cut to :data:`SHOWN_CHARS` characters; YAML's null, an empty
        ``key:``, as ``(got no value)``)."""
        head = file
        if self.line is not None:
            head += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        path = self.where or self.path
        where = f"{head}: {path}" if path else head
        got = (
            "" if self.value is MISSING else " (got no value)" if self.value is None else f" (got {shown(self.value)})"
        )
        return f"{where}: {self.message}{got}"


class ConfigError(InputError):
    """The config file cannot be used. ``issues`` lists every problem, in the order of its lines;
    ``str()`` renders them one a line, each naming the file and the key path."""

    named = False

    def __init__(self, file: str | Path, issues: list[ConfigIssue]):
        self.file = str(file)
        self.issues = issues
        lines = [f"{len(issues)} problem(s) in {self.file}:"] + ["  " + i.render(self.file) for i in issues]
        super().__init__("\n".join(lines))

    @classmethod
    def unreadable(cls, file: str | Path, reason: str) -> ConfigError:
        """The file cannot be read at all: ``reason`` is the system's (``No such file or
        directory``), the same words from every command."""
        return cls(file, [ConfigIssue("", MISSING, f"cannot read the file: {reason}")])
