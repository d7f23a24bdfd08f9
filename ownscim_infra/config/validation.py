"""Validating a parsed document against a pydantic model, reporting every problem at once.

Shared by the config and the directory: pydantic's errors become
:class:`~ownscim_infra.config.errors.ConfigIssue` items with key paths
(``groups[1].regions[0]``), the name of each list item on the way
(``groups[1] (Own EMEA).regions[0]``) and, for a file, the line and column of the node;
cross-item checks (:func:`duplicate_issues`) are merged in; an unknown key gets the closest
allowed key as a suggestion; credential-like keys are reported without their value, and a
URL's credentials are never echoed.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ownscim_infra.config.errors import MISSING, ConfigError, ConfigIssue, key_path, shown
from ownscim_infra.config.lookalike import confusable_keys, describe
from ownscim_infra.config.yaml_reader import Positions
from ownscim_infra.domain import naming
from ownscim_infra.domain.own_setup import okta_fold
from ownscim_infra.domain.regions import split_regions

M = TypeVar("M", bound=BaseModel)

#: Keys that look like credentials; they never belong in the YAML.
_SECRET_KEY = re.compile(r"token|secret|passw(or)?d|api[_-]?key|credential|authori[sz]ation|bearer", re.IGNORECASE)
_SECRET_HINT = (
    "secrets never go in the config file: set the SCIM token with "
    "`pulumi config set --secret ownscim:scimToken` and the Okta API token with "
    "`pulumi config set --secret okta:apiToken` (or OKTA_API_TOKEN)"
)
#: The keys of a list item that name it in a key path: ``groups[3] (Own US)``.
_NAME_KEYS = ("name", "login")
#: At most this many characters of an item's name in a key path.
_NAME_CHARS = 40


@dataclass(frozen=True)
class Problem:
    """A problem found before it is placed in the file: ``loc`` the key path as a tuple,
    ``value`` the offending value (:data:`MISSING` for none), ``message``; ``is_key`` when
    the problem is the key itself (an unknown key), not its value."""

    loc: tuple[Any, ...]
    value: Any
    message: str
    is_key: bool = False


def _lookup(data: Any, loc: tuple[Any, ...]) -> Any:
    """The raw value at ``loc``; a comma-separated region string is indexed by region."""
    for part in loc:
        if isinstance(data, str) and isinstance(part, int):
            data = split_regions(data)
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return MISSING
    return data


def _redact(value: Any) -> Any:
    """A URL's userinfo and query may carry credentials: never echo them in an error. Only a
    value with a scheme (``https://...``) or with ``user:password@`` is treated as a URL: a
    login's ``@`` is not a credential. A URL that cannot be parsed is not echoed at all."""
    if not isinstance(value, str):
        return value
    has_scheme = "://" in value
    if not has_scheme and not re.match(r"^[^\s/@:]+:[^\s/@]*@", value):
        return value
    try:
        parts = urlsplit(value if has_scheme else "//" + value)
        host = parts.hostname or ""
    except ValueError:
        return "[redacted]"
    if parts.username or parts.password or parts.query or parts.fragment:
        scheme = f"{parts.scheme}://" if parts.scheme else ""
        userinfo = "[redacted]@" if parts.username or parts.password else ""
        query = "?[redacted]" if parts.query or parts.fragment else ""
        return f"{scheme}{userinfo}{host}{parts.path}{query}"
    return value


def _secret_keys(data: Any, loc: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Locations of keys that look like credentials, anywhere in the document, in document
    order. Each distinct key is matched once, and only mappings and lists are walked into (a
    directory of 50,000 users is 250,000 keys, a few dozen distinct)."""
    found: list[tuple[Any, ...]] = []
    secret: dict[str, bool] = {}

    def walk(node: Any, at: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str):
                    hit = secret.get(key)
                    if hit is None:
                        hit = secret[key] = _SECRET_KEY.search(key) is not None
                    if hit:
                        found.append((*at, key))
                        continue
                if isinstance(value, dict | list):
                    walk(value, (*at, key))
        else:
            for i, value in enumerate(node):
                if isinstance(value, dict | list):
                    walk(value, (*at, i))

    if isinstance(data, dict | list):
        walk(data, loc)
    return found


def _lookalike_message(section: str, key: str, value: str, first: int, other: str) -> str:
    odd = [describe(c) for c in dict.fromkeys(value) if c not in other][:3]
    return (
        f"looks like {section}[{first}].{key} ({shown(other)}) but is a different name to Okta "
        f"(look-alike characters: {', '.join(odd) or 'see Unicode confusables'}); rename one of them"
    )


def duplicate_issues(
    data: dict[str, Any], checks: list[tuple[str, str, str]], *, resource_names: bool = True
) -> list[Problem]:
    """Cross-item checks pydantic's per-field validation cannot see: for each
    ``(section, key, what)``, two items of ``data[section]`` whose ``key`` values are equal
    case-insensitively (as Okta compares them), or that differ but look alike (Unicode
    confusables: ``Own EMEA`` and ``Own \\u0415MEA`` with a Cyrillic E). With
    ``resource_names``, also two values that differ but reduce to the same resource name
    (:func:`naming.slug`)."""
    issues: list[Problem] = []
    for section, key, what in checks:
        items = data.get(section)
        if not isinstance(items, list):
            continue
        folded_at: dict[str, int] = {}
        slug_at: dict[str, int] = {}
        looks_at: dict[str, int] = {}
        for i, item in enumerate(items):
            value = item.get(key) if isinstance(item, dict) else None
            if not isinstance(value, str) or not value.strip():
                continue
            folded, looks = okta_fold(value), confusable_keys(value)
            slugged = naming.slug(value) if resource_names else ""
            loc = (section, i, key)
            if folded in folded_at:
                issues.append(
                    Problem(
                        loc,
                        value,
                        f"duplicate {what}: {section}[{folded_at[folded]}].{key} already names it "
                        "(compared case-insensitively, as Okta does)",
                    )
                )
            elif resource_names and slugged in slug_at:
                issues.append(
                    Problem(
                        loc,
                        value,
                        f"{section}[{slug_at[slugged]}].{key} reduces to the same resource name "
                        f"({shown(slugged)}: punctuation and accents are dropped); rename one of them",
                    )
                )
            elif any(k in looks_at for k in looks):
                first = next(looks_at[k] for k in looks if k in looks_at)
                issues.append(Problem(loc, value, _lookalike_message(section, key, value, first, items[first][key])))
            folded_at.setdefault(folded, i)
            if resource_names:
                slug_at.setdefault(slugged, i)
            for k in looks:
                looks_at.setdefault(k, i)
    return issues


#: What an empty region list, or a ``regions:`` with no value, is told: the same for both
#: (a person's omitted ``regions`` means all regions; an empty one means nothing).
NO_REGIONS = "must list at least one region (omit `regions` on a person to mean all regions)"

#: pydantic error type -> the message shown for it, where one message fits every location.
_MESSAGES = {
    "missing": "required key is missing",
    "invalid_key": "a key must be a string; see config/README.md for the keys allowed here",
    "model_type": "must be a mapping of keys to values",
    "dict_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
    "string_type": "must be a string (quote it in YAML if it looks like a number or a boolean)",
    "bool_type": "must be true or false (unquoted; yes, no, on, off, 1 and 0 are not booleans here)",
    "bool_parsing": "must be true or false",
    "string_pattern_mismatch": "must be an Okta login without spaces, e.g. ann@example.com",
    "string_unicode": "must be Unicode text (a lone surrogate, such as the escape \\ud800, is not a character)",
}


def _error_message(err: ErrorDetails) -> str:
    """The message of one pydantic error: what is wrong and what is allowed."""
    kind, msg, loc = err["type"], err["msg"], tuple(err["loc"])
    on_regions = bool(loc) and loc[-1] == "regions"
    if kind == "string_pattern_mismatch" and loc and loc[-1] == "key":
        return "must be lower-case letters, digits and . _ @ -, starting with a letter or digit, e.g. own-emea"
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "too_short":
        if loc == ("regions",):
            return "must list the Own account's regions, e.g. [us1, emea2]"
        if on_regions:
            return NO_REGIONS
        if loc and loc[-1] == "members":
            return "must list at least one login; omit `members` to leave the group's membership to Okta"
        return "must not be empty"
    if kind == "list_type":
        if on_regions and err["input"] is None and loc != ("regions",):
            return NO_REGIONS
        return "must be a list, e.g. [us1, emea2]" if on_regions else "must be a list"
    if kind == "literal_error":
        return msg.replace("Input should be", "must be")
    return msg.removeprefix("Value error, ")


def _unwrap(annotation: Any, index: bool) -> Any:
    """The model or list type inside an annotation (``X | None``, ``Annotated[...]``); with
    ``index``, the type of a list's items."""
    for _ in range(8):
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        elif index and origin is list:
            annotation, index = typing.get_args(annotation)[0], False
        else:
            break
    return annotation


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys the model allows in the mapping at ``loc`` (``("groups", 2)`` -> the keys of
    a group), ``[]`` when ``loc`` is not a mapping of the model."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            current = _unwrap(current, index=True)
        elif isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = _unwrap(current.model_fields[part].annotation, index=False)
        else:
            return []
    current = _unwrap(current, index=False)
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


#: Plurals that adding or dropping an ``s`` does not make (``person:`` for ``people:``).
_PLURALS = {"person": "people", "persons": "people", "peoples": "people"}


def closest_key(key: Any, allowed: Sequence[str]) -> str | None:
    """The allowed key that ``key`` most likely misspells: the same in another case, its
    singular or plural (``group`` -> ``groups``, ``person`` -> ``people``), or the closest
    by difflib's ratio (at least 0.6); ``None`` when none is close."""
    text = str(key).lower()
    for form in (text, _PLURALS.get(text, text + "s"), text.removesuffix("s")):
        if form in allowed:
            return form
    close = difflib.get_close_matches(text, list(allowed), n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown_key_message(model: type[BaseModel], loc: tuple[Any, ...], missing: bool = False) -> str:
    """What to say of the unknown key at ``loc``; ``missing``: the key it misspells is a
    required one that is missing (said here, not in a second line)."""
    other_file: dict[str, str] = getattr(model, "other_file_keys", {})
    if len(loc) == 1 and loc[0] in other_file:
        return f"unknown key; {other_file[loc[0]]}"
    allowed = allowed_keys(model, loc[:-1])
    if not allowed:
        return "unknown key; see config/README.md for the keys allowed here"
    close = closest_key(loc[-1], allowed)
    hint = f"did you mean `{close}`{' (required, and missing)' if missing else ''}? " if close else ""
    return f"unknown key; {hint}allowed here: {', '.join(allowed)} (see config/README.md)"


def _misspelt_required(model: type[BaseModel], errors: list[ErrorDetails]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The unknown keys that misspell a required key reported missing in the same mapping
    (``last_nam`` for ``last_name``): unknown key's location -> the missing key's."""
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    found = {}
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden" and loc:
            close = closest_key(loc[-1], allowed_keys(model, loc[:-1]))
            if close is not None and (*loc[:-1], close) in missing:
                found[loc] = (*loc[:-1], close)
    return found


def _item_name(item: Any) -> str | None:
    """The name or login of a list item, short and printable, for a key path."""
    if not isinstance(item, dict):
        return None
    name = next((item[k] for k in _NAME_KEYS if isinstance(item.get(k), str)), None)
    if name is None or not name.strip():
        return None
    name = name.strip()
    if len(name) > _NAME_CHARS or not name.isprintable():
        return shown(name, _NAME_CHARS)
    return name


def display_path(data: Any, loc: tuple[Any, ...], last_is_key: bool = False) -> str:
    """The key path with each list item's name: ``groups[3] (Own US).regions[0]``. An item
    whose own name is the subject (``groups[3].name``) is not annotated."""
    parts: list[str] = []
    node = data
    for n, part in enumerate(loc):
        parts.append(key_path(loc[n : n + 1], last_is_key=last_is_key and n == len(loc) - 1))
        child = _lookup(node, (part,)) if node is not MISSING else MISSING
        rest = loc[n + 1 :]
        if isinstance(part, int) and not (len(rest) == 1 and rest[0] in _NAME_KEYS):
            name = _item_name(child)
            if name is not None:
                parts[-1] += f" ({name})"
        node = child
    out = ""
    for text in parts:
        out += text if (not out or text.startswith("[")) else "." + text
    return out


def validate_document(
    model: type[M],
    data: Any,
    file: str | Path,
    *,
    context: dict[str, Any] | None = None,
    extra_issues: Sequence[Problem] = (),
    sections: tuple[str, ...] = (),
    positions: Positions | None = None,
) -> M:
    """Validate ``data`` against ``model`` and report every problem at once.

    Credential-like keys anywhere are reported with :data:`_SECRET_HINT` (never their value);
    pydantic's errors become :class:`ConfigIssue` items with key paths; ``extra_issues``
    (cross-item checks) are merged in; an unknown key that misspells a missing required key
    is one issue (on the unknown key), and in a file of the other kind (a key of the model's
    ``other_file_keys``) the missing top-level keys are not reported. With ``positions``
    (the file's, from :func:`~ownscim_infra.config.yaml_reader.read_document`) each issue
    carries its line and column, and the issues are in the order of their lines; without,
    in document order (``sections`` gives the order of top-level keys). ``None`` (an empty
    file) is one issue saying so. Raises :class:`ConfigError`; returns the model otherwise.
    """
    top = ", ".join(sections) or "the documented keys"
    where = positions.of(()) if positions else None
    if data is None:  # no document, or only comments
        message = f"the file is empty: it must be a mapping with keys {top} (see config/README.md)"
        raise ConfigError(file, [ConfigIssue("", MISSING, message)])
    if not isinstance(data, dict):
        raise ConfigError(
            file,
            [
                ConfigIssue(
                    "",
                    data,
                    f"the document must be a mapping with keys {top}",
                    where.line if where else None,
                    where.column if where else None,
                )
            ],
        )
    problems: list[Problem] = list(extra_issues)
    secret_locs = _secret_keys(data)
    problems += [Problem(loc, MISSING, _SECRET_HINT, is_key=True) for loc in secret_locs]
    result: M | None = None
    try:
        result = model.model_validate(data, context=context)
    except ValidationError as exc:
        errors = exc.errors()
        misspelt = _misspelt_required(model, errors)
        other_kind = any(key in getattr(model, "other_file_keys", {}) for key in data)
        for err in errors:
            loc = tuple(err["loc"])
            if err["type"] == "invalid_key":
                loc = _key_as_written(data, loc)
            if err["type"] == "extra_forbidden" and loc in secret_locs:
                continue  # already reported with the hint
            if err["type"] == "missing" and loc in misspelt.values():
                continue  # said on the line of the key that misspells it
            if err["type"] == "missing" and len(loc) == 1 and other_kind:
                continue  # the file is the other kind: its missing keys are not the news
            is_key = err["type"] in ("extra_forbidden", "invalid_key")
            # an unknown key's value is not echoed: it may be a credential under a name we do not know
            value = MISSING if is_key else _redact(_lookup(data, loc))
            message = (
                _unknown_key_message(model, loc, missing=loc in misspelt)
                if err["type"] == "extra_forbidden"
                else _error_message(err)
            )
            problems.append(Problem(loc, value, message, is_key))
    if problems:
        order = {id(p): n for n, p in enumerate(problems)}
        problems.sort(key=lambda p: (_sort_key(p.loc, sections), order[id(p)]))
        issues = [_placed(p, data, positions) for p in problems]
        # in the order of the file's lines where they are known (a stable sort keeps the
        # document order of the rest, and of two problems on one node)
        issues.sort(key=lambda i: (i.line is None, i.line or 0, i.column or 0))
        raise ConfigError(file, issues)
    assert result is not None
    return result


def _key_as_written(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The key path ``loc`` with its last key as the file has it, so that its line and column
    are found: pydantic names a key that is not a string by its ``str`` (``"None"``)."""
    container = _lookup(data, loc[:-1]) if loc else None
    if isinstance(container, dict):
        for key in container:
            if not isinstance(key, str) and str(key) == loc[-1]:
                return (*loc[:-1], key)
    return loc


def _placed(problem: Problem, data: Any, positions: Positions | None) -> ConfigIssue:
    """The issue of ``problem``: its key path, its display path and, when known, its position."""
    path = key_path(problem.loc, last_is_key=problem.is_key)
    where = display_path(data, problem.loc, last_is_key=problem.is_key)
    pos = positions.of(problem.loc, key=problem.is_key) if positions else None
    line, column = (pos.line, pos.column) if pos else (None, None)
    return ConfigIssue(path, problem.value, problem.message, line, column, "" if where == path else where)


def _sort_key(loc: tuple[Any, ...], sections: tuple[str, ...]) -> tuple[Any, ...]:
    head = loc[0] if loc else ""
    rank = sections.index(head) if head in sections else len(sections)
    nums = tuple(p for p in loc if isinstance(p, int) and not isinstance(p, bool))
    return (rank, nums, key_path(loc))
