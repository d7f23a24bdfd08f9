"""Reading a reviewed YAML file (the config, the directory) with ruamel.yaml, within bounds.

Why ruamel.yaml (round-trip mode, pure Python): it keeps the line and column of every key
and item (so each problem names its line), refuses a key given twice in one mapping, reads
merge keys (``<<: *defaults``; a key written in the mapping overrides a merged one), reads
YAML 1.2 as editors do (``no``, ``yes``, ``on`` are strings; only ``true``/``false`` are
booleans) and bounds the nesting depth itself (``YAML().max_depth``).

Bounds, each refused with one line naming the file (a ``ConfigError``), before any
validation walks the data:

- the file is at most :data:`MAX_FILE_BYTES` (``/dev/zero`` is refused, not read to the end);
- nesting is at most :data:`MAX_DEPTH` levels (the files need 5);
- the document has at most :data:`MAX_NODES` nodes (keys, values, items), each alias
  counting as the whole node it names: a "billion laughs" file of a few hundred bytes is
  refused as soon as its aliases cross the bound, in milliseconds; an alias may not refer
  to the node that contains it (a recursive structure).

What is returned is plain Python data (``dict``, ``list``, ``str``, ``int``, ``float``,
``bool``, ``None``, dates) and the :class:`Positions` of its nodes. A tag other than YAML's
own (``!foo``, ``!!python/...``, ``!!binary``, ``!!set``) is refused.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.composer import Composer, MaxDepthExceededError
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode
from ruamel.yaml.scalarbool import ScalarBoolean

from ownscim_infra.config.errors import MISSING, SHOWN_CHARS, ConfigError, ConfigIssue, key_path, shown

#: Largest file read, in bytes (a config of 10,000 people is about 600 KB).
MAX_FILE_BYTES = 1024 * 1024
#: Deepest nesting (a document, ``groups``, an item, ``regions``, a region: 5 levels).
MAX_DEPTH = 20
#: Most nodes in a document, aliases expanded: a config of 10,000 people has about 50,000,
#: a directory of 8,000 users about 100,000. The reader takes about 90 µs a node.
MAX_NODES = 100_000

#: A key path: ``("groups", 1, "regions", 0)``.
Loc = tuple[Any, ...]


@dataclass(frozen=True)
class Position:
    """Where a node starts in the file: ``line`` and ``column``, both 1-based."""

    line: int
    column: int


@dataclass
class Positions:
    """The position of every key and value of a document, by key path."""

    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)

    def of(self, loc: Iterable[Any], *, key: bool = False) -> Position | None:
        """Where the node at ``loc`` is: its key with ``key`` (an unknown key), else its
        value; for a path that is not in the file (a missing key), the nearest enclosing node
        that is. ``None`` when nothing is known (data that was not read from a file)."""
        loc = tuple(loc)
        if key and loc in self.keys:
            return self.keys[loc]
        while loc:
            if loc in self.values:
                return self.values[loc]
            loc = loc[:-1]
        return self.values.get(())


@dataclass
class YamlDocument:
    """A file's data (plain Python, see the module) and the positions of its nodes."""

    data: Any
    positions: Positions


class _Refused(YAMLError):
    """A bound of this module was crossed (``mark``: where)."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message, self.mark = message, mark


class _BoundedComposer(Composer):
    """ruamel.yaml's composer, counting nodes as they are composed: each alias counts as
    the size of the node it names (measured once per node). An alias to a node still open
    (its own parent) would make a recursive structure: refused."""

    #: the bound on nodes (:data:`MAX_NODES`; a reader may set a smaller one: :func:`read_document`)
    max_nodes = MAX_NODES

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self._sizes: dict[int, int] = {}
        self._nodes = 0

    def compose_document(self) -> Any:
        self._sizes, self._nodes = {}, 0
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        if not self.parser.check_event(AliasEvent):
            self._nodes += 1
            if self._nodes > self.max_nodes:
                raise _Refused(
                    f"more than {self.max_nodes:,} keys and values in one file, the limit; split it",
                    self.parser.peek_event().start_mark,
                )
        return super().compose_node(parent, index)

    def return_alias(self, a: Any) -> Any:
        if isinstance(a, SequenceNode | MappingNode) and a.end_mark is None:
            raise _Refused("an alias may not refer to a node that contains it (a recursive structure)", a.start_mark)
        self._nodes += self._size(a)
        if self._nodes > self.max_nodes:
            raise _Refused(
                f"aliases expand the document beyond {self.max_nodes:,} keys and values, the limit "
                "(an alias bomb?); write the values out",
                a.start_mark,
            )
        return a

    def _size(self, root: Node) -> int:
        """Nodes under ``root``, aliases expanded; each node measured once (no recursion)."""
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, children_done = stack.pop()
            if id(node) in self._sizes:
                continue
            kids = _children(node)
            if children_done or not kids:
                self._sizes[id(node)] = 1 + sum(self._sizes[id(k)] for k in kids)
            else:
                stack.append((node, True))
                stack += [(k, False) for k in kids if id(k) not in self._sizes]
        return self._sizes[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _composer(max_nodes: int) -> type[_BoundedComposer]:
    """:class:`_BoundedComposer` with ``max_nodes`` as its bound."""
    if max_nodes == MAX_NODES:
        return _BoundedComposer

    class Bounded(_BoundedComposer):
        pass

    Bounded.max_nodes = max_nodes
    return Bounded


def _yaml(max_nodes: int = MAX_NODES) -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.Composer = _composer(max_nodes)
    yaml.max_depth = MAX_DEPTH
    return yaml


def _issue(mark: Any, message: str) -> ConfigIssue:
    if mark is None:
        return ConfigIssue("", MISSING, message)
    return ConfigIssue("", MISSING, message, line=mark.line + 1, column=mark.column + 1)


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of ``path``, at most ``max_bytes`` (read no further than one byte past).

    :raises ConfigError: the file cannot be read, is larger than ``max_bytes``, or is not UTF-8.
    """
    try:
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError.unreadable(path, exc.strerror or str(exc)) from None
    if len(raw) > max_bytes:
        raise ConfigError(
            path, [ConfigIssue("", MISSING, f"the file is larger than {max_bytes // 1024} KiB, the limit")]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            path,
            [ConfigIssue("", MISSING, f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} at offset {exc.start}")],
        ) from None


def _parse(path: Path, text: str, max_nodes: int = MAX_NODES) -> Any:
    try:
        return _yaml(max_nodes).load(text)
    except _Refused as exc:
        raise ConfigError(path, [_issue(exc.mark, exc.message)]) from None
    except DuplicateKeyError as exc:
        # ruamel's message echoes both values (a secret, 10 MB): only the key and the lines
        key = str(exc.problem).removeprefix('found duplicate key "').split('" with value "', 1)[0]
        first = _first_key_line(text, exc.context_mark, exc.problem_mark)
        message = f"key {shown(key)} is given twice{f' (first on line {first})' if first else ''}; keep one"
        raise ConfigError(path, [_issue(exc.problem_mark, message)]) from None
    except MaxDepthExceededError as exc:
        message = f"nested deeper than {MAX_DEPTH} levels (the files need 5)"
        raise ConfigError(path, [_issue(exc.problem_mark, message)]) from None
    except MarkedYAMLError as exc:
        problem = str(exc.problem or "cannot be parsed")
        if "'\\t'" in problem:  # ruamel: "found character '\t' that cannot start any token"
            problem = "a tab in the indentation (YAML forbids tabs for indentation; indent with spaces)"
        problem = problem if len(problem) <= SHOWN_CHARS else problem[:SHOWN_CHARS] + "…"
        raise ConfigError(path, [_issue(exc.problem_mark, f"not valid YAML: {problem}")]) from None
    except (YAMLError, RecursionError, ValueError) as exc:
        raise ConfigError(path, [ConfigIssue("", MISSING, f"not valid YAML: {type(exc).__name__}")]) from None


def _first_key_line(text: str, mapping_mark: Any, second_mark: Any) -> int | None:
    """The line of the first of two equal keys: the key of the mapping at ``mapping_mark``
    whose text is that of the key at ``second_mark`` (the text is composed again, within the
    same bounds; only on this error)."""
    if mapping_mark is None or second_mark is None:
        return None
    stack = [_yaml().compose(text)]
    while stack:
        node = stack.pop()
        if isinstance(node, MappingNode) and node.start_mark.index == mapping_mark.index:
            keys = [k for k, _ in node.value]
            second = next((k for k in keys if k.start_mark.index == second_mark.index), None)
            first = next((k for k in keys if second is not None and k.value == second.value), None)
            return first.start_mark.line + 1 if first is not None and first is not second else None
        stack += _children(node)
    return None


_SCALARS = (str, bool, int, float, datetime.date, type(None))
#: The tags of YAML's core schema (``!!str 123`` is fine; ``!!python/object``, ``!foo`` are not).
_CORE_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}


class _Converter:
    """Round-trip data -> plain data, recording where each key and value is."""

    def __init__(self) -> None:
        self.positions = Positions()
        self.problems: list[tuple[Loc, str]] = []

    def value(self, obj: Any, loc: Loc) -> Any:
        tag = getattr(getattr(obj, "tag", None), "value", None)
        if isinstance(obj, TaggedScalar) and tag == "tag:yaml.org,2002:str":
            return str(obj.value)  # !!str 12
        if isinstance(obj, TaggedScalar) or (tag is not None and tag not in _CORE_TAGS):
            self.problems.append((loc, f"the YAML tag {shown(str(tag))} is not supported; remove it"))
            return MISSING
        if isinstance(obj, CommentedMap):
            return self._mapping(obj, loc)
        if isinstance(obj, CommentedSeq):
            out = []
            for i, item in enumerate(obj):
                self._record(self.positions.values, loc + (i,), obj.lc.data.get(i) if obj.lc.data else None)
                out.append(self.value(item, loc + (i,)))
            return out
        if isinstance(obj, bool | ScalarBoolean):
            return bool(obj)
        if isinstance(obj, str):
            return str(obj)
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return float(obj)
        if isinstance(obj, _SCALARS):
            return obj
        self.problems.append((loc, f"a YAML {type(obj).__name__} value is not supported here"))
        return MISSING

    def _mapping(self, obj: CommentedMap, loc: Loc) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key, item in obj.items():
            plain_key = key if isinstance(key, _SCALARS) else self._key(key)
            where = _merged_lc(obj, key)
            self._record(self.positions.keys, loc + (plain_key,), where)
            if where and item is None and where[2] > where[0]:
                where = where[:2] * 2  # `key:` with no value: ruamel gives the next token's place; the key's
            self._record(self.positions.values, loc + (plain_key,), where[2:] if where else None)
            out[plain_key] = self.value(item, loc + (plain_key,))
        return out

    @staticmethod
    def _key(key: Any) -> Any:
        """A key that is a collection (``? [a, b]``) stays a hashable, plain value."""
        return tuple(key) if isinstance(key, tuple | list) else str(key)

    @staticmethod
    def _record(table: dict[Loc, Position], loc: Loc, where: Any) -> None:
        if where:
            table[loc] = Position(where[0] + 1, where[1] + 1)


def _merged_lc(obj: CommentedMap, key: Any) -> list[int] | None:
    """``[key line, key column, value line, value column]`` (0-based) of ``key`` in ``obj``,
    or in the mapping it was merged from (``<<: *defaults``)."""
    data = obj.lc.data or {}
    if key in data:
        return list(data[key])
    for source in getattr(obj, "merge", None) or ():
        if isinstance(source, CommentedMap) and key in source:
            return _merged_lc(source, key)
    return None


def read_document(path: str | Path, *, max_nodes: int = MAX_NODES) -> YamlDocument:
    """Parse a YAML file within the bounds of this module (``max_nodes``: the bound on
    nodes, :data:`MAX_NODES` unless a caller, a test, wants a smaller one).

    :returns: the data (plain Python) and the positions of its keys and values.
    :raises ConfigError: naming the file, and the line and column where known: the file
        cannot be read, is larger than :data:`MAX_FILE_BYTES`, is not UTF-8, is not YAML,
        gives a key twice in one mapping, nests deeper than :data:`MAX_DEPTH`, has aliases
        that expand beyond ``max_nodes`` nodes or refer to themselves, or uses a
        tag that is not YAML's own.
    """
    path = Path(path)
    loaded = _parse(path, read_text(path), max_nodes)
    converter = _Converter()
    data = converter.value(loaded, ())
    if isinstance(loaded, CommentedMap | CommentedSeq):
        converter.positions.values[()] = Position(loaded.lc.line + 1, loaded.lc.col + 1)
    if converter.problems:
        issues = []
        for loc, message in converter.problems:
            where = converter.positions.of(loc)
            line, column = (where.line, where.column) if where else (None, None)
            issues.append(ConfigIssue(key_path(loc), MISSING, message, line, column))
        raise ConfigError(path, issues)
    return YamlDocument(data, converter.positions)


def read_yaml(path: str | Path) -> Any:
    """The data of :func:`read_document` (plain Python), without the positions.

    :raises ConfigError: as :func:`read_document`.
    """
    return read_document(path).data
