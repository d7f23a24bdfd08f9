"""Validating a parsed document against a pydantic model, reporting every problem at once.

Shared by the config and the directory: pydantic's errors become
:class:`~ownscim_infra.config.errors.ConfigIssue` items with key paths
(``groups[1].regions[0]``), cross-item checks (:func:`duplicate_issues`) are merged in,
credential-like keys are reported without their value, and a URL's credentials are never
echoed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ownscim_infra.config.errors import MISSING, ConfigError, ConfigIssue
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


def _path(loc: tuple[Any, ...], last_is_key: bool = False) -> str:
    """``("groups", 1, "regions", 0)`` -> ``groups[1].regions[0]``; with ``last_is_key`` the
    last part is a mapping key even when it is a number (``groups[0].3``)."""
    out = ""
    for n, part in enumerate(loc):
        if last_is_key and n == len(loc) - 1 and not isinstance(part, str):
            out += ("." if out else "") + repr(part)
        elif isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


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
    """A URL's userinfo and query may carry credentials: never echo them in an error. A
    string that looks like a URL but cannot be parsed is not echoed at all."""
    if not isinstance(value, str) or not ("://" in value or "@" in value or "?" in value):
        return value
    try:
        parts = urlsplit(value if "://" in value else "//" + value)
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
    """Locations of keys that look like credentials, anywhere in the document."""
    found: list[tuple[Any, ...]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and _SECRET_KEY.search(key):
                found.append(loc + (key,))
            else:
                found.extend(_secret_keys(value, loc + (key,)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found.extend(_secret_keys(value, loc + (i,)))
    return found


def duplicate_issues(
    data: dict[str, Any], checks: list[tuple[str, str, str]], *, resource_names: bool = True
) -> list[ConfigIssue]:
    """Cross-item checks pydantic's per-field validation cannot see: for each
    ``(section, key, what)``, two items of ``data[section]`` whose ``key`` values are equal
    case-insensitively (as Okta compares them). With ``resource_names``, also two values that
    differ but reduce to the same resource name (:func:`naming.slug`)."""
    issues: list[ConfigIssue] = []
    for section, key, what in checks:
        items = data.get(section)
        if not isinstance(items, list):
            continue
        folded_at: dict[str, int] = {}
        slug_at: dict[str, int] = {}
        for i, item in enumerate(items):
            value = item.get(key) if isinstance(item, dict) else None
            if not isinstance(value, str) or not value.strip():
                continue
            folded, slugged = okta_fold(value), naming.slug(value)
            if folded in folded_at:
                issues.append(
                    ConfigIssue(
                        f"{section}[{i}].{key}",
                        value,
                        f"duplicate {what}: {section}[{folded_at[folded]}].{key} already names it "
                        "(compared case-insensitively, as Okta does)",
                    )
                )
            elif resource_names and slugged in slug_at:
                issues.append(
                    ConfigIssue(
                        f"{section}[{i}].{key}",
                        value,
                        f"{section}[{slug_at[slugged]}].{key} reduces to the same resource name "
                        f"({slugged!r}: punctuation and accents are dropped); rename one of them",
                    )
                )
            folded_at.setdefault(folded, i)
            slug_at.setdefault(slugged, i)
    return issues


#: pydantic error type -> the message shown for it, where one message fits every location.
_MESSAGES = {
    "extra_forbidden": "unknown key; see config/README.md for the keys allowed here",
    "missing": "required key is missing",
    "invalid_key": "a key must be a string; see config/README.md for the keys allowed here",
    "model_type": "must be a mapping of keys to values",
    "dict_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
    "string_type": "must be a string (quote it in YAML if it looks like a number or a boolean)",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_pattern_mismatch": "must be an Okta login without spaces, e.g. ann@example.com",
}


def _error_message(err: ErrorDetails) -> str:
    """The message of one pydantic error: what is wrong and what is allowed."""
    kind, msg, loc = err["type"], err["msg"], tuple(err["loc"])
    on_regions = bool(loc) and loc[-1] == "regions"
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "too_short":
        if loc == ("regions",):
            return "must list the Own account's regions, e.g. [us1, emea2]"
        if on_regions:
            return "must list at least one region (omit `regions` on a person to mean all regions)"
        return "must not be empty"
    if kind == "list_type":
        return "must be a list, e.g. [us1, emea2]" if on_regions else "must be a list"
    if kind == "literal_error":
        return msg.replace("Input should be", "must be")
    return msg.removeprefix("Value error, ")


def validate_document(
    model: type[M],
    data: Any,
    file: str | Path,
    *,
    context: dict[str, Any] | None = None,
    extra_issues: Sequence[ConfigIssue] = (),
    sections: tuple[str, ...] = (),
) -> M:
    """Validate ``data`` against ``model`` and report every problem at once.

    Credential-like keys anywhere are reported with :data:`_SECRET_HINT` (never their value);
    pydantic's errors become :class:`ConfigIssue` items with key paths; ``extra_issues``
    (cross-item checks) are merged in; all are sorted in document order (``sections`` gives
    the order of top-level keys). Raises :class:`ConfigError`; returns the model otherwise.
    """
    top = ", ".join(sections) or "the documented keys"
    if not isinstance(data, dict):
        raise ConfigError(file, [ConfigIssue("", data, f"the document must be a mapping with keys {top}")])
    issues: list[ConfigIssue] = list(extra_issues)
    secret_locs = _secret_keys(data)
    issues += [ConfigIssue(_path(loc), MISSING, _SECRET_HINT) for loc in secret_locs]
    result: M | None = None
    try:
        result = model.model_validate(data, context=context)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            if err["type"] == "extra_forbidden" and loc in secret_locs:
                continue  # already reported with the hint
            is_key = err["type"] in ("extra_forbidden", "invalid_key")
            # an unknown key's value is not echoed: it may be a credential under a name we do not know
            value = MISSING if is_key else _redact(_lookup(data, loc))
            issues.append(ConfigIssue(_path(loc, last_is_key=is_key), value, _error_message(err)))
    if issues:
        order = {id(i): n for n, i in enumerate(issues)}
        issues.sort(key=lambda i: (_sort_key(i.path, sections), order[id(i)]))
        raise ConfigError(file, issues)
    assert result is not None
    return result


def _sort_key(path: str, sections: tuple[str, ...]) -> tuple[Any, ...]:
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    nums = tuple(int(n) for n in re.findall(r"\[(\d+)\]", path))
    rank = sections.index(head) if head in sections else len(sections)
    return (rank, nums, path)
