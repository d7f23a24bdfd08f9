"""Reading a reviewed YAML file: PyYAML's safe loader, refusing a key given twice.

Errors are :class:`~ownscim_infra.config.errors.ConfigError` naming the file, and the line
and column of a syntax error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ownscim_infra.config.errors import MISSING, ConfigError, ConfigIssue


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is an error (the
    reviewer would read the first value, the program would use the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:
                continue  # an unhashable key: construct_mapping reports it
            if first != key_node.start_mark.line + 1:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice (first on line {first}); keep one", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file. Raises :class:`ConfigError` (naming the file, and the line and
    column of a syntax error) when it cannot be read, is not UTF-8, is not YAML, or gives a
    key twice in one mapping."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            path,
            [ConfigIssue("", MISSING, f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} at offset {exc.start}")],
        ) from None
    except OSError as exc:
        raise ConfigError(path, [ConfigIssue("", MISSING, f"cannot read the file: {exc.strerror}")]) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, [ConfigIssue("", MISSING, f"not valid YAML: {where}{problem}")]) from None
    return data
