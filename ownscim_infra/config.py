"""The reviewed YAML config: one file per Okta org (Pulumi stack), validated before anything runs.

Shape (every key, its default and what is allowed: ``config/README.md``)::

    app:
      label: Own                                  # Okta app label (default "Own")
      scim_base_url: https://.../scim/v2          # Own's SCIM URL, https only
      provisioning: api                           # api | manual
    regions: [us1, emea2]                         # the Own account's regions
    groups:                                       # order = priority, first wins
      - {name: Own EMEA, regions: [emea2], description: ..., create: true}
    people:
      - {login: ann@example.com, regions: us1}    # no regions = all regions

:func:`load_config` reads and validates a file; every problem is reported at once as a
:class:`ConfigError` whose :class:`ConfigIssue` items name the file, the key path
(``groups[1].regions[0]``), the bad value and what is allowed. The SCIM token is never in
this file: it is the Pulumi secret ``ownscim:scimToken``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from ownscim_infra import naming
from ownscim_infra.own_setup import DEFAULT_BUSINESS_UNIT, okta_fold, region_code  # noqa: F401 (re-exported)


#: The config the commands read when none is named.
DEFAULT_CONFIG = "config/example.yaml"

#: Keys that look like credentials; they never belong in the YAML.
_SECRET_KEY = re.compile(r"token|secret|passw(or)?d|api[_-]?key|credential|authori[sz]ation|bearer", re.IGNORECASE)
#: Control characters (newlines included) would break the plan's tables and diagram.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SECRET_HINT = (
    "secrets never go in the config file: set the SCIM token with "
    "`pulumi config set --secret ownscim:scimToken` and the Okta API token with "
    "`pulumi config set --secret okta:apiToken` (or OKTA_API_TOKEN)"
)


@dataclass(frozen=True)
class ConfigIssue:
    """One validation problem: ``path`` is the key path (``groups[1].regions[0]``, ``""`` for
    the document), ``value`` the offending value (``None`` when missing), ``message`` what is
    wrong and what is allowed."""

    path: str
    value: Any
    message: str

    def render(self, file: str) -> str:
        """``file: path: message (got 'value')`` on one line."""
        where = f"{file}: {self.path}" if self.path else file
        got = "" if self.value is _MISSING else f" (got {self.value!r})"
        return f"{where}: {self.message}{got}"


_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "<missing>"})()


class ConfigError(Exception):
    """The config file cannot be used. ``issues`` lists every problem, in document order;
    ``str()`` renders them one a line, each naming the file and the key path."""

    def __init__(self, file: str | Path, issues: list[ConfigIssue]):
        self.file = str(file)
        self.issues = issues
        lines = [f"{len(issues)} problem(s) in {self.file}:"] + ["  " + i.render(self.file) for i in issues]
        super().__init__("\n".join(lines))


# --------------------------------------------------------------------------- value types


def _split_regions(value: Any) -> Any:
    """Accept ``[us1, emea2]`` or ``"us1, emea2"`` (Own's own comma-separated form)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",")]
    return value


def _declared_region(value: Any, info: ValidationInfo) -> str:
    code = region_code(value)
    declared = (info.context or {}).get("regions")
    if declared and code not in declared:
        allowed = ", ".join(dict.fromkeys(declared))
        raise ValueError(f"region {code!r} is not one of this account's regions (top-level `regions`: {allowed})")
    return code


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must be one line of printable text (no newlines or control characters)")
    return value


#: A name or label: one line of printable text.
Text = Annotated[str, AfterValidator(_printable)]

RegionCode = Annotated[str, BeforeValidator(region_code)]
DeclaredRegion = Annotated[str, BeforeValidator(_declared_region)]
RegionList = Annotated[list[DeclaredRegion], BeforeValidator(_split_regions), Field(min_length=1)]


def _unique(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{what} {v!r} is listed twice; list each once")
        seen.add(v)
    return values


def _https_url(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be Own's SCIM URL as a string, e.g. https://<your-own-host>/scim/v2")
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        raise ValueError("is not a valid URL; expected https://<your-own-host>/scim/v2") from None
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an https:// URL with a host (Own's SCIM URL from Manage > Security > SCIM Provisioning)")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials; the SCIM token is the Pulumi secret ownscim:scimToken")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query string or fragment")
    return value.strip()


# --------------------------------------------------------------------------- models


M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of every YAML model here: unknown keys are errors, values are frozen and trimmed."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class AppConfig(StrictModel):
    """``app``: the Okta app instance of the catalog app ``scim2headerauth``."""

    label: Text = Field(default="Own", min_length=1, max_length=100)
    scim_base_url: Annotated[str, BeforeValidator(_https_url)]
    #: ``api``: the provisioning connection and features are declared through Okta's API.
    #: ``manual``: they are set by hand in the Admin Console (for orgs where Okta answers
    #: ``UNKNOWN`` for this app's connection); the stack outputs the exact steps.
    provisioning: Literal["api", "manual"] = "api"
    #: ``manual`` only: true once the Admin Console steps are done. Until then the program
    #: does not declare the ``regions`` attribute and the assignments: Okta drops the external
    #: namespace of an attribute created before provisioning is on, and never sends it.
    manual_steps_done: bool = False

    @field_validator("manual_steps_done")
    @classmethod
    def _only_manual(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("provisioning") != "manual":
            raise ValueError("only applies with provisioning: manual; remove it for provisioning: api")
        return value


class GroupConfig(StrictModel):
    """``groups[i]``: an Okta group assigned to the app with a ``regions`` value."""

    name: Text = Field(min_length=1, max_length=255)
    regions: RegionList
    description: Text | None = Field(default=None, max_length=1024)
    #: true: the program creates the Okta group; false: it must exist and is looked up by name.
    create: bool = True

    _unique_regions = field_validator("regions")(lambda cls, v: _unique(v, "region"))


class PersonConfig(StrictModel):
    """``people[i]``: a direct assignment; no ``regions`` means all the account's regions."""

    login: Text = Field(min_length=1, max_length=100, pattern=r"^\S+$")
    regions: RegionList | None = None

    _unique_regions = field_validator("regions")(lambda cls, v: v if v is None else _unique(v, "region"))


class OwnScimConfig(StrictModel):
    """The whole file. ``groups`` order is assignment priority: index 0 is priority 0, the
    highest (Okta: the group with the highest priority supplies a user's app profile)."""

    app: AppConfig
    regions: Annotated[list[RegionCode], Field(min_length=1)]
    groups: list[GroupConfig] = Field(default_factory=list)
    people: list[PersonConfig] = Field(default_factory=list)

    _unique_regions = field_validator("regions")(lambda cls, v: _unique(v, "region"))

    @property
    def assignments_declared(self) -> bool:
        """Whether the program declares the ``regions`` attribute and the assignments: with
        ``provisioning: api`` always; with ``manual`` only once ``manual_steps_done``."""
        return self.app.provisioning == "api" or self.app.manual_steps_done

    def regions_of(self, regions: list[str] | None) -> list[str]:
        """The regions a ``regions`` value means: itself, or all of the account's when ``None``."""
        return list(self.regions) if regions is None else list(regions)


# --------------------------------------------------------------------------- loading


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
            data = _split_regions(data)
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return _MISSING
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


def duplicate_issues(data: dict[str, Any], checks: list[tuple[str, str, str]], *,
                     resource_names: bool = True) -> list[ConfigIssue]:
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
                issues.append(ConfigIssue(
                    f"{section}[{i}].{key}", value,
                    f"duplicate {what}: {section}[{folded_at[folded]}].{key} already names it "
                    "(compared case-insensitively, as Okta does)",
                ))
            elif resource_names and slugged in slug_at:
                issues.append(ConfigIssue(
                    f"{section}[{i}].{key}", value,
                    f"{section}[{slug_at[slugged]}].{key} reduces to the same resource name "
                    f"({slugged!r}: punctuation and accents are dropped); rename one of them",
                ))
            folded_at.setdefault(folded, i)
            slug_at.setdefault(slugged, i)
    return issues


def _error_message(err: dict[str, Any]) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        return "unknown key; see config/README.md for the keys allowed here"
    if kind == "missing":
        return "required key is missing"
    if kind == "too_short" and tuple(err["loc"]) == ("regions",):
        return "must list the Own account's regions, e.g. [us1, emea2]"
    if kind == "too_short" and err["loc"] and err["loc"][-1] == "regions":
        return "must list at least one region (omit `regions` on a person to mean all regions)"
    if kind == "too_short":
        return "must not be empty"
    if kind == "invalid_key":
        return "a key must be a string; see config/README.md for the keys allowed here"
    if kind == "list_type":
        return "must be a list, e.g. [us1, emea2]" if err["loc"] and err["loc"][-1] == "regions" else "must be a list"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be a mapping of keys to values"
    if kind == "string_type":
        return "must be a string (quote it in YAML if it looks like a number or a boolean)"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind == "literal_error":
        return msg.replace("Input should be", "must be")
    if kind == "string_pattern_mismatch":
        return "must be an Okta login without spaces, e.g. ann@example.com"
    if msg.startswith("Value error, "):
        return msg[len("Value error, "):]
    return msg


def _declared_regions(data: Any) -> list[str] | None:
    """The top-level regions as the model will normalize them, or None if they are unusable."""
    raw = data.get("regions") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        return None  # reported on `regions` itself; no cascade onto every group
    try:
        return [region_code(r) for r in raw] or None
    except ValueError:
        return None


def validate_document(
    model: type[M],
    data: Any,
    file: str | Path,
    *,
    context: dict[str, Any] | None = None,
    extra_issues: list[ConfigIssue] = (),  # type: ignore[assignment]
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
    issues += [ConfigIssue(_path(loc), _MISSING, _SECRET_HINT) for loc in secret_locs]
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
            value = _MISSING if is_key else _redact(_lookup(data, loc))
            issues.append(ConfigIssue(_path(loc, last_is_key=is_key), value, _error_message(err)))
    if issues:
        order = {id(i): n for n, i in enumerate(issues)}
        issues.sort(key=lambda i: (_sort_key(i.path, sections), order[id(i)]))
        raise ConfigError(file, issues)
    assert result is not None
    return result


def parse_config(data: Any, file: str | Path = "<config>") -> OwnScimConfig:
    """Validate an already-parsed config document.

    Returns the :class:`OwnScimConfig`. Raises :class:`ConfigError` listing every problem
    (unknown keys, a credential-like key, duplicate group names or logins, a region not in
    ``regions``, an empty region list, a non-https URL, wrong types), in document order.
    """
    duplicates = duplicate_issues(data, [("groups", "name", "group name"), ("people", "login", "login")]) \
        if isinstance(data, dict) else []
    return validate_document(
        OwnScimConfig, data, file,
        context={"regions": _declared_regions(data)},
        extra_issues=duplicates,
        sections=("app", "regions", "groups", "people"),
    )


def _sort_key(path: str, sections: tuple[str, ...]) -> tuple[Any, ...]:
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    nums = tuple(int(n) for n in re.findall(r"\[(\d+)\]", path))
    rank = sections.index(head) if head in sections else len(sections)
    return (rank, nums, path)


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
                    None, None, f"key {key!r} is given twice (first on line {first}); keep one", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file. Raises :class:`ConfigError` (naming the file, and the line and
    column of a syntax error) when it cannot be read, is not UTF-8, is not YAML, or gives a
    key twice in one mapping."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [ConfigIssue("", _MISSING, f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} "
                                                           f"at offset {exc.start}")]) from None
    except OSError as exc:
        raise ConfigError(path, [ConfigIssue("", _MISSING, f"cannot read the file: {exc.strerror}")]) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, [ConfigIssue("", _MISSING, f"not valid YAML: {where}{problem}")]) from None
    return data


def load_config(path: str | Path) -> OwnScimConfig:
    """Read and validate a config file.

    Raises :class:`ConfigError` when the file is missing, is not YAML, or fails validation
    (see :func:`parse_config`); the message names the file and never includes a traceback.
    """
    return parse_config(read_yaml(path), path)
