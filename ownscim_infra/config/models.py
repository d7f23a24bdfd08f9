"""The reviewed YAML config: one file per Okta org (Pulumi stack), validated before anything runs.

Shape (every key, its default and what is allowed: ``config/README.md``)::

    app:
      label: Own                                  # Okta app label (default "Own")
      scim_base_url: https://.../scim/v2          # Own's SCIM URL, https only
      provisioning: manual                        # manual (default) | api
    regions: [us1, emea2]                         # the Own account's regions
    groups:                                       # order = priority, first wins
      - {name: Own EMEA, regions: [emea2], description: ..., create: true}
      - {name: Own DE, regions: [emea2], members: [ann@example.com]}   # who is in it
      - {name: Own FR, regions: [emea2], rule: 'user.countryCode == "FR"'}  # Okta computes it
    people:
      - {login: ann@example.com, regions: us1}    # no regions = all regions

:func:`load_config` reads and validates a file; every problem is reported at once as a
:class:`ConfigError` whose :class:`ConfigIssue` items name the file, the key path
(``groups[1].regions[0]``), the bad value and what is allowed. The SCIM token is never in
this file: it is the Pulumi secret ``ownscim:scimToken``.
"""

from __future__ import annotations

import hashlib
import re
import stat
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
)

from ownscim_infra.config.errors import shown
from ownscim_infra.config.lookalike import format_characters
from ownscim_infra.config.validation import NO_REGIONS, Problem, duplicate_issues, validate_document
from ownscim_infra.config.yaml_reader import MAX_FILE_BYTES, Positions, read_document
from ownscim_infra.domain import naming
from ownscim_infra.domain.own_setup import okta_fold, region_code
from ownscim_infra.domain.regions import split_regions

#: Control characters (newlines included) would break the plan's tables and diagram.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: A region code as written (any case, spaces around it), and Own's comma-separated list of them.
_CODE_PATTERN = r"^\s*[A-Za-z][A-Za-z0-9]*\s*$"
_CODES_PATTERN = r"^\s*[A-Za-z][A-Za-z0-9]*\s*(,\s*[A-Za-z][A-Za-z0-9]*\s*)*$"
#: What a region value may be written as, for the JSON schema: a list or Own's "us1, emea2".
_REGIONS_INPUT = list[Annotated[str, Field(pattern=_CODE_PATTERN)]] | Annotated[str, Field(pattern=_CODES_PATTERN)]


# --------------------------------------------------------------------------- value types


def _split_regions(value: Any) -> Any:
    """Accept ``[us1, emea2]`` or ``"us1, emea2"`` (Own's own comma-separated form)."""
    return split_regions(value) if isinstance(value, str) else value


def _region(value: Any) -> str:
    """:func:`region_code`, saying "quote it" for what YAML read as a boolean, number or null."""
    if isinstance(value, bool | int | float) or value is None:
        kind = "a boolean" if isinstance(value, bool) else "null" if value is None else "a number"
        written = "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        try:
            region_code(written)
        except ValueError:
            raise ValueError(
                f"YAML reads this as {kind}, not a region code: a region code is letters then letters/digits, "
                "such as 'us1' or 'emea2'"
            ) from None
        raise ValueError(f"YAML reads this as {kind}, not a region code: quote it, e.g. '{written}'")
    if isinstance(value, str) and len(value.split()) > 1 and all(_is_region(w) for w in value.split()):
        codes = ", ".join(value.split())
        raise ValueError(f"several region codes separated by spaces: separate them with commas, e.g. [{codes}]")
    return region_code(value)


def _is_region(text: str) -> bool:
    try:
        region_code(text)
    except ValueError:
        return False
    return True


def _declared_region(value: Any, info: ValidationInfo) -> str:
    code = _region(value)
    declared = (info.context or {}).get("regions")
    if declared and code not in declared:
        allowed = ", ".join(dict.fromkeys(declared))
        raise ValueError(f"region {shown(code)} is not one of this account's regions (top-level `regions`: {allowed})")
    return code


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must be one line of printable text (no newlines or control characters)")
    invisible = format_characters(value)
    if invisible:
        raise ValueError(
            f"must not contain invisible formatting characters ({', '.join(invisible[:3])}): "
            "they hide or reorder what reviewers see"
        )
    return value


#: A name, login, label or description: one line of printable text, without the invisible
#: formatting characters of Unicode category Cf (right-to-left override, zero-width joiner...).
Text = Annotated[str, AfterValidator(_printable)]

#: An Okta login (usually an email address), as the config's ``people[i].login`` and the
#: directory's ``users[i].login`` write it: 1 to 100 characters of :data:`Text`, no spaces.
Login = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^\S+$"), AfterValidator(_printable)]

RegionCode = Annotated[str, BeforeValidator(_region)]
DeclaredRegion = Annotated[str, BeforeValidator(_declared_region)]
RegionList = Annotated[
    list[DeclaredRegion],
    BeforeValidator(_split_regions, json_schema_input_type=_REGIONS_INPUT),
    Field(min_length=1),
]


def _unique(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{what} {shown(v)} is listed twice; list each once")
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
        raise ValueError(
            "must be an https:// URL with a host (Own's SCIM URL from Manage > Security > SCIM Provisioning)"
        )
    if parts.username or parts.password:
        raise ValueError("must not carry credentials; the SCIM token is the Pulumi secret ownscim:scimToken")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query string or fragment")
    return value.strip()


# --------------------------------------------------------------------------- models


class StrictModel(BaseModel):
    """Base of every YAML model here: unknown keys are errors, values are frozen and trimmed."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class AppConfig(StrictModel):
    """``app``: the Okta app instance of the catalog app ``scim2headerauth``."""

    label: Text = Field(
        default="Own",
        min_length=1,
        max_length=100,
        description="The Okta app's label, as the Admin Console and the end-user dashboard show it.",
    )
    scim_base_url: Annotated[str, BeforeValidator(_https_url)] = Field(
        json_schema_extra={"format": "uri", "pattern": "^https://"},
        description="Own's SCIM URL (Own: Manage > Security > SCIM Provisioning), https only, without "
        "credentials, query or fragment: the provisioning connection's Base URL.",
    )
    provisioning: Literal["api", "manual"] = Field(
        default="manual",
        description="manual (the default): the provisioning connection and Create/Deactivate Users are set by hand "
        "in the Admin Console; the stack outputs the exact steps. api: they are declared through Okta's "
        "Connections and Features APIs, which Okta documents for a short list of catalog apps only: on others "
        "the connection comes back UNKNOWN and every later pulumi up fails reading the features (README).",
    )
    manual_steps_done: StrictBool = Field(
        default=False,
        description="provisioning: manual only: true once the Admin Console steps are done. Until then the "
        "regions attribute and the assignments are not declared: Okta drops the external namespace of an "
        "attribute created before provisioning is on, and never sends it.",
    )

    @field_validator("manual_steps_done")
    @classmethod
    def _only_manual(cls, value: bool, info: ValidationInfo) -> bool:
        # only against a valid provisioning: a misspelt one is reported on its own
        if value and info.data.get("provisioning") == "api":
            raise ValueError("only applies with provisioning: manual; remove it for provisioning: api")
        return value


def _omitted_not_null(schema: dict[str, Any]) -> None:
    """The JSON schema of a key that may be omitted but not written empty: its value's
    schema without the ``null`` that ``X | None`` adds (nor the ``null`` default), so that
    an editor flags ``regions:`` with no value as the model does."""
    options = [o for o in schema.pop("anyOf") if o != {"type": "null"}]
    schema.pop("default", None)
    schema.update(options[0] if len(options) == 1 else {"anyOf": options})


#: The longest name of an Okta group rule (``utils.StrMaxLength(50)`` on ``name`` in
#: terraform-provider-okta ``resource_okta_group_rule.go``): the rule is named after its group.
RULE_NAME_MAX = 50
#: The longest ``rule`` expression the config accepts (Okta documents no limit; this keeps a
#: pasted document out of a one-line setting).
RULE_EXPRESSION_MAX = 1024


class GroupConfig(StrictModel):
    """``groups[i]``: an Okta group assigned to the app with a ``regions`` value."""

    name: Text = Field(
        min_length=1,
        max_length=255,
        description="The Okta group's name (compared case-insensitively, as Okta does).",
    )
    regions: RegionList = Field(
        description="The Own regions its members get: a list ([us1, emea2]) or Own's comma-separated form "
        '("us1, emea2"); each one of the top-level regions.',
    )
    description: Text | None = Field(
        default=None,
        max_length=1024,
        description="The Okta group's description (created groups only).",
    )
    create: StrictBool = Field(
        default=True,
        description="true: the program creates the Okta group; false: it must exist already and is looked up by name.",
    )
    key: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9._@-]*$",
        max_length=100,
        description="A stable identifier of the group in the program's resource names (URNs); default: the name "
        'reduced to lower-case letters, digits and dashes ("Own EMEA" -> own-emea). To rename a group, change '
        "`name` and set `key` to the old default: Okta renames the group in place and its members keep the app; "
        "without it the rename deletes the Okta group (and its memberships) and creates a new, empty one.",
    )

    members: list[Login] | None = Field(
        default=None,
        min_length=1,
        description="Created groups only: the Okta logins of the group's members, looked up as people are (100 a "
        "call); the program declares them as the group's memberships (okta.GroupMemberships, every member tracked: "
        "someone added by hand is removed at the next pulumi up after a refresh). Each login once; a person in two "
        "groups' members gets the first group's regions. Exclusive with `rule`; neither: membership is managed "
        "outside this config.",
        json_schema_extra=lambda schema: _omitted_not_null(schema),
    )
    rule: Text | None = Field(
        default=None,
        min_length=1,
        max_length=RULE_EXPRESSION_MAX,
        description="Created groups only: an Okta Expression Language condition (e.g. "
        'user.department == "EMEA"); the program declares an active group rule (okta.group.Rule, '
        "urn:okta:expression:1.0) that puts every Okta user it matches in the group, asynchronously after "
        "activation. Exclusive with `members`.",
        json_schema_extra=lambda schema: _omitted_not_null(schema),
    )

    @property
    def resource_key(self) -> str:
        """``key``, or the slug of ``name`` (:func:`ownscim_infra.domain.naming.slug`)."""
        return self.key or naming.slug(self.name)

    @field_validator("members", "rule", mode="before")
    @classmethod
    def _membership_written_empty(cls, value: Any, info: ValidationInfo) -> Any:
        # `members:` or `rule:` with no value is refused, not read as the omitted key
        if value is None:
            what = "list at least one login" if info.field_name == "members" else "be an Okta Expression Language"
            raise ValueError(f"must {what}; omit `{info.field_name}` to leave the group's membership to Okta")
        return value

    @property
    def rule_name(self) -> str:
        """The Okta group rule's name: the group's name (Okta allows 1 to
        :data:`RULE_NAME_MAX` characters; validation refuses a longer name with a ``rule``)."""
        return self.name

    _unique_regions = field_validator("regions")(lambda cls, v: _unique(v, "region"))


class PersonConfig(StrictModel):
    """``people[i]``: a direct assignment; no ``regions`` means all the account's regions."""

    login: Login = Field(
        description="The person's Okta login (usually an email address); the user must exist in Okta.",
    )
    regions: RegionList | None = Field(
        default=None,
        description="The Own regions of this direct assignment, which overrides any group's value; "
        "omitted: all of the account's regions (an empty list, or the key with no value, is refused).",
        json_schema_extra=lambda schema: _omitted_not_null(schema),
    )

    _unique_regions = field_validator("regions")(lambda cls, v: v if v is None else _unique(v, "region"))

    @field_validator("regions", mode="before")
    @classmethod
    def _written_empty(cls, value: Any) -> Any:
        # runs only when the key is written: `regions:` with no value is refused as `[]` is,
        # not read as the omitted key (all regions)
        if value is None:
            raise ValueError(NO_REGIONS)
        return value


class OwnScimConfig(StrictModel):
    """The whole file. ``groups`` order is assignment priority: index 0 is priority 1, the
    highest (Okta: the group with the highest priority supplies a user's app profile;
    :mod:`ownscim_infra.domain.priorities`)."""

    #: top-level keys of the other kind of file, and what to say of them
    other_file_keys: ClassVar[dict[str, str]] = {
        "users": "this looks like a directory file (NAME-directory.yaml), not a config; give the config here"
    }

    app: AppConfig = Field(description="The Okta app instance of the catalog app scim2headerauth.")
    regions: Annotated[
        list[RegionCode],
        BeforeValidator(_split_regions, json_schema_input_type=_REGIONS_INPUT),
        Field(min_length=1),
    ] = Field(
        description="The Own account's regions (codes such as us1, emea2, uk1), a list ([us1, emea2]) or Own's "
        'comma-separated form ("us1, emea2"): every regions value must be one of them, and a person without '
        "regions gets all of them.",
    )
    groups: list[GroupConfig] = Field(
        default_factory=list,
        json_schema_extra={"default": []},
        description="The Okta groups assigned to the app, in priority order: the first one is priority 0, the "
        "highest, and supplies the regions of a user in several groups.",
    )
    people: list[PersonConfig] = Field(
        default_factory=list,
        json_schema_extra={"default": []},
        description="People assigned to the app directly, each with their own regions value.",
    )

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


def _declared_regions(data: Any) -> list[str] | None:
    """The top-level regions as the model will normalize them, or None if they are unusable."""
    raw = _split_regions(data.get("regions")) if isinstance(data, dict) else None
    if not isinstance(raw, list):
        return None  # reported on `regions` itself; no cascade onto every group
    try:
        return [region_code(r) for r in raw] or None
    except ValueError:
        return None


def _group_key_issues(data: dict[str, Any]) -> list[Problem]:
    """Two groups whose resource keys (``key``, else the slug of ``name``) are equal: their
    resources would have the same logical name."""
    groups = data.get("groups")
    issues: list[Problem] = []
    if not isinstance(groups, list):
        return issues
    seen: dict[str, int] = {}
    names: dict[int, str] = {}  # the folded name of each group whose resource key is its name
    for i, group in enumerate(groups):
        if not isinstance(group, dict):
            continue
        key, name = group.get("key"), group.get("name")
        if isinstance(key, str) and key:
            effective, loc, value = key, ("groups", i, "key"), key
        elif isinstance(name, str) and name.strip():
            effective, loc, value = naming.slug(name), ("groups", i, "name"), name
            names[i] = okta_fold(name.strip())
        else:
            continue
        # the same name twice is reported as a duplicate name, the one problem it is
        same_name = effective in seen and i in names and names[i] == names.get(seen[effective])
        if effective in seen and not same_name:
            issues.append(
                Problem(
                    loc,
                    value,
                    f"groups[{seen[effective]}] has the same resource key {shown(effective)} (its `key`, or its "
                    "name reduced to letters, digits and dashes); give one of them another `key`",
                )
            )
        seen.setdefault(effective, i)
    return issues


def _membership_issues(data: dict[str, Any]) -> list[Problem]:
    """The checks of ``groups[i].members`` and ``groups[i].rule`` across keys: both given (they
    are exclusive), either on a ``create: false`` group (the program owns the membership of the
    groups it creates only), a ``rule`` on a group whose name is too long for a rule's
    (:data:`RULE_NAME_MAX`), a login listed twice in one group's ``members`` (compared as Okta
    compares logins). A login in two groups' ``members`` is allowed: Okta gives that person the
    first group's regions, as for any user in two assigned groups."""
    groups = data.get("groups")
    issues: list[Problem] = []
    if not isinstance(groups, list):
        return issues
    for i, group in enumerate(groups):
        if not isinstance(group, dict):
            continue
        members, rule, name = group.get("members"), group.get("rule"), group.get("name")
        if members is not None and rule is not None:
            issues.append(
                Problem(
                    ("groups", i, "rule"),
                    rule,
                    "a group takes `members` or `rule`, not both: `members` lists who is in it, `rule` lets Okta "
                    "compute it; remove one (neither: the membership is managed outside this config)",
                )
            )
        for key, value in (("members", members), ("rule", rule)):
            if value is not None and group.get("create") is False:
                issues.append(
                    Problem(
                        ("groups", i, key),
                        value,
                        f"only a group the program creates may declare `{key}`: with `create: false` the group is "
                        f"Okta's, and so is its membership; remove `{key}` or set `create: true`",
                    )
                )
        if rule is not None and isinstance(name, str) and len(name.strip()) > RULE_NAME_MAX:
            issues.append(
                Problem(
                    ("groups", i, "rule"),
                    rule,
                    f"the group rule is named after its group, and Okta allows rule names of at most {RULE_NAME_MAX} "
                    f"characters; this group's name has {len(name.strip())}: shorten it",
                )
            )
        if isinstance(members, list):
            seen: dict[str, int] = {}
            for j, login in enumerate(members):
                if not isinstance(login, str) or not login.strip():
                    continue
                folded = okta_fold(login.strip())
                if folded in seen:
                    issues.append(
                        Problem(
                            ("groups", i, "members", j),
                            login,
                            f"login listed twice: members[{seen[folded]}] already names it (compared "
                            "case-insensitively, as Okta does); list each member once",
                        )
                    )
                seen.setdefault(folded, j)
    return issues


def parse_config(data: Any, file: str | Path = "<config>", *, positions: Positions | None = None) -> OwnScimConfig:
    """Validate an already-parsed config document.

    Returns the :class:`OwnScimConfig`. Raises :class:`ConfigError` listing every problem
    (unknown keys, a credential-like key, duplicate group names or logins, names that look
    alike, ``members`` and ``rule`` together or on a ``create: false`` group, a member listed
    twice, invisible formatting characters, a region not in ``regions``, an empty region
    list, a non-https URL, wrong types), in document order. With ``positions`` (the file's,
    from :func:`~ownscim_infra.config.yaml_reader.read_document`) each problem names its
    line and column, and they are listed in the order of their lines.
    """
    if isinstance(data, dict):  # top-level x-... keys hold YAML anchors for merge keys: not settings
        data = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
    duplicates = (
        duplicate_issues(data, [("groups", "name", "group name")], resource_names=False)
        + duplicate_issues(data, [("people", "login", "login")])
        + _group_key_issues(data)
        + _membership_issues(data)
        if isinstance(data, dict)
        else []
    )
    return validate_document(
        OwnScimConfig,
        data,
        file,
        context={"regions": _declared_regions(data)},
        extra_issues=duplicates,
        sections=("app", "regions", "groups", "people"),
        positions=positions,
    )


#: The configs validated in this process, by file and content (the last few): see :func:`load_config`.
_VALIDATED: dict[tuple[str, str], OwnScimConfig] = {}
_VALIDATED_KEPT = 4


def _content_key(path: Path) -> tuple[str, str] | None:
    """(the resolved path, the SHA-256 of the bytes) of a regular file within the reader's
    size limit, else ``None`` (not cached: :func:`read_document` reports what is wrong)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    if len(raw) > MAX_FILE_BYTES:
        return None
    return str(path.resolve()), hashlib.sha256(raw).hexdigest()


def load_config(path: str | Path) -> OwnScimConfig:
    """Read and validate a config file.

    Raises :class:`ConfigError` when the file is missing, too large, is not YAML (or nests
    or expands beyond the reader's bounds: :mod:`~ownscim_infra.config.yaml_reader`), or
    fails validation (see :func:`parse_config`); each problem names the file, the line and
    column, and the key path; the message never includes a traceback.

    A file read again unchanged (same path, same bytes) gives the config already validated
    (it is frozen): the offline plan reads the file, then the program it runs reads it again,
    and reading 5,000 people takes seconds (issue 11).
    """
    key = _content_key(Path(path))
    if key is not None and key in _VALIDATED:
        return _VALIDATED[key]
    document = read_document(path)
    config = parse_config(document.data, path, positions=document.positions)
    if key is not None and _content_key(Path(path)) == key:  # not changed while it was read
        while len(_VALIDATED) >= _VALIDATED_KEPT:
            _VALIDATED.pop(next(iter(_VALIDATED)))
        _VALIDATED[key] = config
    return config
