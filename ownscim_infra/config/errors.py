"""The config's error type: every problem of a file, each with its key path.

A :class:`ConfigError` is what every reader of a reviewed YAML file raises (the config, the
directory); the commands print it and exit 2. Nothing here imports the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The value of a :class:`ConfigIssue` about a missing key (nothing to echo).
MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "<missing>"})()


@dataclass(frozen=True)
class ConfigIssue:
    """One validation problem: ``path`` is the key path (``groups[1].regions[0]``, ``""`` for
    the document), ``value`` the offending value (:data:`MISSING` when there is none to
    show), ``message`` what is wrong and what is allowed."""

    path: str
    value: Any
    message: str

    def render(self, file: str) -> str:
        """``file: path: message (got 'value')`` on one line."""
        where = f"{file}: {self.path}" if self.path else file
        got = "" if self.value is MISSING else f" (got {self.value!r})"
        return f"{where}: {self.message}{got}"


class ConfigError(Exception):
    """The config file cannot be used. ``issues`` lists every problem, in document order;
    ``str()`` renders them one a line, each naming the file and the key path."""

    def __init__(self, file: str | Path, issues: list[ConfigIssue]):
        self.file = str(file)
        self.issues = issues
        lines = [f"{len(issues)} problem(s) in {self.file}:"] + ["  " + i.render(self.file) for i in issues]
        super().__init__("\n".join(lines))
