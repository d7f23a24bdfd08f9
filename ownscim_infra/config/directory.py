"""The Okta directory the simulation provisions from: users and their group memberships.

Shape (``config/example-directory.yaml``)::

    users:
      - login: dana.lee@example.com     # Okta login (userName sent to Own)
        first_name: Dana                # profile.firstName -> name.givenName
        last_name: Lee                  # profile.lastName  -> name.familyName
        email: dana.lee@example.com     # default: the login
        groups: [Own EMEA]              # Okta group names (any group; only assigned ones count)
        department: Sales               # Okta profile attributes a group rule reads (optional):
        countryCode: DE                 #   the base ones by name, others under `profile:`
        profile: {region: EU}

``first_name`` and ``last_name`` are optional (an Okta org may make them optional in its
Profile Editor); the simulation sends no ``name.givenName``/``name.familyName`` for one absent. A file written by
``ownscim directory pull`` also says where it was read from and when, and is JSON (a subset
of YAML 1.2)::

    {"generatedAt": "2026-12-03T14:00:00Z", "source": "https://acme.okta.com", "users": [...]}

and, optional, the exclusions of the org's group rules (what ``directory pull`` read for each
config group with a ``rule``: the rule's ``conditions.people.users.exclude``, "Except The
following users" in the Admin Console), by the group's Okta name, each login one of
``users``, at most 100 a rule (Okta's limit: knowledge base, "Group Rule Restrictions")::

    rules:
      Own France: {excluded: [louis.martin@example.com]}

Validated to the same standard as the config (:func:`ownscim_infra.config.validate_document`):
unknown keys, duplicate logins, empty names are errors naming the file and key path.

Size: a YAML directory is read within the config reader's bounds (about 8,000 users); a JSON
one (what ``directory pull`` writes) is read by the standard library's ``json`` within
:data:`MAX_JSON_BYTES` (100,000 users with their groups and a few attributes fit), duplicate
keys refused as YAML refuses them.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, field_validator

from ownscim_infra.config.errors import MISSING, ConfigError, ConfigIssue, shown
from ownscim_infra.config.lookalike import confusable_keys, describe
from ownscim_infra.config.models import Login, StrictModel, Text
from ownscim_infra.config.validation import Problem, duplicate_issues, validate_document
from ownscim_infra.config.yaml_reader import Positions, YamlDocument, read_document, read_text
from ownscim_infra.domain import heap
from ownscim_infra.domain.own_setup import okta_fold

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ownscim_infra.config.models import OwnScimConfig


#: An Okta profile attribute's variable name (Okta's Profile Editor: a letter, then letters,
#: digits and underscores).
_ATTRIBUTE_NAME = r"^[A-Za-z][A-Za-z0-9_]*$"
#: A base profile attribute's value: one line of text, or not given.
ProfileText = Annotated[Text | None, Field(max_length=1024)]
#: A value of ``users[i].profile``: what Okta's profile attribute types hold.
ProfileValue = StrictStr | StrictBool | StrictInt | StrictFloat | list[StrictStr]
#: Profile attributes that have their own key on a user (``profile:`` must not repeat them).
_NAMED_ELSEWHERE = {"login": "login", "email": "email", "firstName": "first_name", "lastName": "last_name"}
#: The base attributes :class:`DirectoryUser` has keys for (besides login, email, names).
BASE_ATTRIBUTES = (
    "department",
    "division",
    "organization",
    "costCenter",
    "title",
    "userType",
    "employeeNumber",
    "countryCode",
    "city",
    "state",
    "locale",
    "managerId",
)

_NAMED_ELSEWHERE |= {name: name for name in BASE_ATTRIBUTES}


class DirectoryUser(StrictModel):
    """``users[i]``: one Okta user."""

    login: Login = Field(description="The Okta login: the userName Okta sends to Own.")
    first_name: Text | None = Field(
        default=None, min_length=1, description="profile.firstName, sent as name.givenName; optional."
    )
    last_name: Text | None = Field(
        default=None, min_length=1, description="profile.lastName, sent as name.familyName; optional."
    )
    email: Text | None = Field(
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="profile.email, sent as the primary work email; default: the login.",
    )
    groups: list[Text] = Field(
        default_factory=list,
        json_schema_extra={"default": []},
        description="The Okta groups the user is in (any group; only those assigned to the app count).",
    )

    # Okta's base profile attributes a group rule commonly reads, named as Okta names them
    # (the Okta Expression Language writes ``user.countryCode``): Okta's "User profile" base
    # attributes (Users API, ``UserProfile``).
    department: ProfileText = Field(default=None, description="profile.department, as a group rule reads it.")
    division: ProfileText = Field(default=None, description="profile.division, as a group rule reads it.")
    organization: ProfileText = Field(default=None, description="profile.organization, as a group rule reads it.")
    costCenter: ProfileText = Field(default=None, description="profile.costCenter, as a group rule reads it.")
    title: ProfileText = Field(default=None, description="profile.title (job title), as a group rule reads it.")
    userType: ProfileText = Field(default=None, description="profile.userType, as a group rule reads it.")
    employeeNumber: ProfileText = Field(default=None, description="profile.employeeNumber, as a group rule reads it.")
    countryCode: ProfileText = Field(
        default=None, description="profile.countryCode (ISO 3166-1 alpha-2, e.g. DE), as a group rule reads it."
    )
    city: ProfileText = Field(default=None, description="profile.city, as a group rule reads it.")
    state: ProfileText = Field(default=None, description="profile.state, as a group rule reads it.")
    locale: ProfileText = Field(default=None, description="profile.locale (e.g. en_US), as a group rule reads it.")
    managerId: ProfileText = Field(default=None, description="profile.managerId, as a group rule reads it.")
    profile: dict[str, ProfileValue] = Field(
        default_factory=dict,
        json_schema_extra={"default": {}},
        description="Other Okta profile attributes (custom ones included) a group rule reads, by their Okta "
        "variable name: a string, a number, true/false, or a list of strings (an array attribute).",
    )

    @field_validator("profile", mode="before")
    @classmethod
    def _profile_attributes(cls, value: Any) -> Any:
        # one message a bad entry, naming it, instead of one per member of ProfileValue
        if not isinstance(value, dict):
            return value  # pydantic says it must be a mapping
        for name, item in value.items():
            if not isinstance(name, str) or not re.match(_ATTRIBUTE_NAME, name):
                raise ValueError(
                    f"attribute name {shown(name)} is not an Okta variable name (a letter, then letters, digits, _)"
                )
            if name in _NAMED_ELSEWHERE:
                raise ValueError(f"{name!r} has its own key here: write `{_NAMED_ELSEWHERE[name]}:` on the user")
            scalar = isinstance(item, str | bool | int | float)
            if not scalar and not (isinstance(item, list) and all(isinstance(i, str) for i in item)):
                raise ValueError(
                    f"attribute {name!r}: must be a string, a number, true/false or a list of strings "
                    f"(got {shown(item)})"
                )
        return value

    @property
    def attributes(self) -> dict[str, Any]:
        """The user's Okta profile as a group rule's ``user.<attribute>`` reads it: ``login``,
        ``email``, ``firstName``, ``lastName``, the base attributes given here, then
        ``profile``'s; an attribute not given is absent (Okta's unset value, ``null``)."""
        found: dict[str, Any] = {"login": self.login, "email": self.primary_email}
        found |= {k: v for k, v in (("firstName", self.first_name), ("lastName", self.last_name)) if v is not None}
        found |= {name: getattr(self, name) for name in BASE_ATTRIBUTES if getattr(self, name) is not None}
        return found | dict(self.profile)

    @property
    def primary_email(self) -> str:
        """``email``, or the login when it is not given."""
        return self.email or self.login

    @cached_property
    def okta_id(self) -> str:
        """A stable Okta-style user id (``00u`` + 17 characters), sent as ``externalId``. Made
        once a user (a SHA-256 of the folded login: every pass of the org over its users asks)."""
        return "00u" + hashlib.sha256(okta_fold(self.login).encode()).hexdigest()[:17]

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (pydantic's), without the id made for this user: a copy may have another login."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("okta_id", None)
        return copied

    def in_group(self, name: str) -> bool:
        """Membership, comparing group names case-insensitively as Okta does."""
        return okta_fold(name) in {okta_fold(g) for g in self.groups}


#: The most users a group rule excludes: Okta's knowledge base, "Group Rule Restrictions"
#: ("A single Group Rule can support up to 100 excluded users").
MAX_RULE_EXCLUSIONS = 100


class DirectoryRule(StrictModel):
    """``rules.<group name>``: what the org's group rule for that group holds beside the config's."""

    excluded: list[Login] = Field(
        default_factory=list,
        json_schema_extra={"default": []},
        description="The logins the rule excludes (conditions.people.users.exclude, Except The following users): "
        f"each a user of `users`, at most {MAX_RULE_EXCLUSIONS} (Okta's limit).",
    )

    @field_validator("excluded")
    @classmethod
    def _within_oktas_limit(cls, value: list[str]) -> list[str]:
        if len(value) > MAX_RULE_EXCLUSIONS:
            raise ValueError(
                f"lists {len(value)} logins: a group rule excludes at most {MAX_RULE_EXCLUSIONS} users "
                "(Okta's knowledge base, Group Rule Restrictions)"
            )
        return value


class Directory(StrictModel):
    """The whole directory file."""

    #: top-level keys of the other kind of file, and what to say of them
    other_file_keys: ClassVar[dict[str, str]] = dict.fromkeys(
        ("app", "regions", "groups", "people"),
        "this looks like a config file, not a directory file (which has `users`); "
        "give the directory here (--directory FILE, default NAME-directory.yaml beside the config)",
    )

    users: list[DirectoryUser] = Field(
        default_factory=list, json_schema_extra={"default": []}, description="The Okta users."
    )
    source: Text | None = Field(
        default=None,
        max_length=200,
        pattern=r"^https?://[^\s/?#@]+$",
        description="The Okta org the users were read from (`directory pull` writes it; never a token).",
    )
    generatedAt: datetime.datetime | None = Field(
        default=None,
        description="When the users were read (ISO 8601, UTC), as `directory pull` writes it: how old the file is.",
    )
    rules: dict[Text, DirectoryRule] = Field(
        default_factory=dict,
        json_schema_extra={"default": {}},
        description="The org's group rules' exclusions, by the group's Okta name (`directory pull` writes those of "
        "the configs' rule groups): the emulated org's rule leaves those users out.",
    )

    @field_validator("generatedAt", mode="before")
    @classmethod
    def _timestamp(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = datetime.datetime.fromisoformat(value)
            except ValueError:
                raise ValueError("must be an ISO 8601 time, e.g. 2026-12-03T14:00:00Z") from None
        if isinstance(value, datetime.datetime) and value.tzinfo is None:
            raise ValueError("must say its time zone, e.g. 2026-12-03T14:00:00Z (UTC)")
        return value

    #: the indexes below, built on first use from ``users``
    _indexes: ClassVar[tuple[str, ...]] = ("by_login", "listings", "members", "positions")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (pydantic's), without the indexes of this directory's users: the copy's are
        built from its own (``update`` may give it other users)."""
        copied = super().model_copy(update=update, deep=deep)
        for name in self._indexes:
            copied.__dict__.pop(name, None)
        return copied

    @cached_property
    def by_login(self) -> dict[str, DirectoryUser]:
        """The users by login as Okta compares logins (:func:`okta_fold`), the first of each."""
        index: dict[str, DirectoryUser] = {}
        for user in self.users:
            index.setdefault(okta_fold(user.login), user)
        return index

    @cached_property
    def listings(self) -> dict[str, list[tuple[int, int]]]:
        """Each group name as the directory writes it -> where it is listed: ``(i, j)``, the
        ``j``-th group of ``users[i]``, in directory order. Built once a directory, so that
        questions about a few groups (a typo, a configured group's members) cost the listings
        of those groups, not a pass over every user."""
        index: dict[str, list[tuple[int, int]]] = {}
        for i, user in enumerate(self.users):
            for j, group in enumerate(user.groups):
                index.setdefault(group, []).append((i, j))
        return index

    @cached_property
    def members(self) -> dict[str, list[int]]:
        """Each group name as Okta compares names (:func:`okta_fold`) -> the positions in
        ``users`` of the users that list it (once each, in directory order)."""
        index: dict[str, set[int]] = {}
        for group, where in self.listings.items():
            index.setdefault(okta_fold(group), set()).update(i for i, _ in where)
        return {name: sorted(found) for name, found in index.items()}

    @cached_property
    def positions(self) -> dict[str, list[int]]:
        """Each login as Okta compares logins (:func:`okta_fold`) -> its positions in ``users``."""
        index: dict[str, list[int]] = {}
        for i, user in enumerate(self.users):
            index.setdefault(okta_fold(user.login), []).append(i)
        return index

    def user(self, login: str) -> DirectoryUser | None:
        """The user with ``login`` (case-insensitive), or ``None``."""
        return self.by_login.get(okta_fold(login))

    def closest_login(self, login: str) -> str | None:
        """The login of the directory that ``login`` nearly spells, or ``None``: the same
        name at a domain a letter or two off (``kenji.sato@exmaple.com`` for
        ``kenji.sato@example.com``), or the same domain and a name a letter off (two in a
        name of 8 or more: :func:`typo_of`). Another person at the same domain
        (``alex.jones@`` for ``alex.smith@``, ``dan@`` for ``ann@``) is not offered."""
        folded = okta_fold(login)
        close = difflib.get_close_matches(folded, list(self.by_login), n=5, cutoff=SUGGESTION_CUTOFF)
        return next((self.by_login[c].login for c in close if typo_of(folded, c)), None)


def typo_of(login: str, other: str) -> bool:
    """Whether ``login`` is ``other`` with a typo: one part (the name before ``@``, the
    domain after it) the same and the other at most :func:`_edits_allowed` edits off
    (insert, delete, replace, or swap two neighbours)."""
    name, _, domain = login.rpartition("@") if "@" in login else (login, "", "")
    other_name, _, other_domain = other.rpartition("@") if "@" in other else (other, "", "")
    if name == other_name:
        return _within_edits(domain, other_domain, _edits_allowed(other_domain))
    return domain == other_domain and _within_edits(name, other_name, _edits_allowed(other_name))


def _edits_allowed(part: str) -> int:
    """A letter off in a short part, two in one of 8 characters or more."""
    return 1 if len(part) < 8 else 2


def _within_edits(a: str, b: str, limit: int) -> bool:
    """Whether ``a`` is at most ``limit`` edits from ``b`` (optimal string alignment
    distance: insert, delete, replace, swap of two neighbours), stopping once a row exceeds it."""
    if abs(len(a) - len(b)) > limit:
        return False
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return False
        before, row = row, current
    return row[-1] <= limit


def parse_directory(data: Any, file: str | Path = "<directory>", *, positions: Positions | None = None) -> Directory:
    """Validate a parsed directory document; raises :class:`ConfigError` with every problem
    (with ``positions``, each names its line and column)."""
    duplicates = (
        duplicate_issues(data, [("users", "login", "login")], resource_names=False) + _rule_issues(data)
        if isinstance(data, dict)
        else []
    )
    return validate_document(Directory, data, file, extra_issues=duplicates, sections=("users",), positions=positions)


def _rule_issues(data: dict[str, Any]) -> list[Problem]:
    """``rules``' checks across keys: an excluded login no user of ``users`` has (the
    emulated org knows users only from ``users``), a login listed twice in one rule, two
    entries for one group (names compared as Okta compares them)."""
    rules, users = data.get("rules"), data.get("users")
    if not isinstance(rules, dict):
        return []
    logins = {okta_fold(u["login"]) for u in users or () if isinstance(u, dict) and isinstance(u.get("login"), str)}
    issues: list[Problem] = []
    groups: dict[str, Any] = {}
    for name, rule in rules.items():
        if isinstance(name, str) and okta_fold(name) in groups:
            message = (
                f"group {groups[okta_fold(name)]!r} has its rule's exclusions already "
                "(Okta compares names case-insensitively)"
            )
            issues.append(Problem(("rules", name), name, message, is_key=True))
        groups.setdefault(okta_fold(name) if isinstance(name, str) else str(name), name)
        excluded = rule.get("excluded") if isinstance(rule, dict) else None
        if not isinstance(excluded, list):
            continue
        seen: set[str] = set()
        for i, login in enumerate(excluded):
            if not isinstance(login, str):
                continue
            if okta_fold(login) in seen:
                twice = "is listed twice in this rule's exclusions"
                issues.append(Problem(("rules", name, "excluded", i), login, twice))
            elif okta_fold(login) not in logins:
                message = "is not a user of `users`: an excluded login must be one of the directory's users"
                issues.append(Problem(("rules", name, "excluded", i), login, message))
            seen.add(okta_fold(login))
    return issues


#: Largest JSON directory file read, in bytes: 100,000 users of ~300 bytes each (login,
#: names, email, a few groups and attributes) with room to spare.
MAX_JSON_BYTES = 64 * 1024 * 1024


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict. :raises ValueError: a key given twice (YAML refuses it too)."""
    found = dict(pairs)
    if len(found) != len(pairs):
        twice = next(key for key, count in Counter(key for key, _ in pairs).items() if count > 1)
        raise ValueError(f"key {twice!r} is given twice in one object")
    return found


def _read_json(path: Path) -> Any:
    """The data of a JSON directory file, within :data:`MAX_JSON_BYTES`. :raises ConfigError."""
    text = read_text(path, MAX_JSON_BYTES)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ConfigError(path, [ConfigIssue("", MISSING, f"not JSON: {exc.msg}", exc.lineno, exc.colno)]) from None
    except ValueError as exc:  # a duplicate key
        raise ConfigError(path, [ConfigIssue("", MISSING, str(exc))]) from None
    except RecursionError:
        raise ConfigError(path, [ConfigIssue("", MISSING, "nested too deeply")]) from None


def _is_json(path: Path) -> bool:
    """Whether the file starts (after blanks) with ``{``: JSON, as ``directory pull`` writes it."""
    try:
        with path.open("rb") as handle:
            return handle.read(4096).lstrip().startswith(b"{")
    except OSError:
        return False  # the YAML reader says why


def load_directory(path: str | Path) -> Directory:
    """Read and validate a directory file: YAML within the config reader's bounds (size,
    depth, aliases: :mod:`~ownscim_infra.config.yaml_reader`), or JSON (a file starting with
    ``{``, as ``directory pull`` writes it) within :data:`MAX_JSON_BYTES`.

    :raises ConfigError: file, line and column (YAML), key path, value, what is allowed.
    """
    path = Path(path)
    with heap.bulk():  # every user's objects survive: no collection while they are built
        document = YamlDocument(_read_json(path), Positions()) if _is_json(path) else read_document(path)
        return parse_directory(document.data, path, positions=document.positions)


@dataclass(frozen=True)
class UnknownGroup:
    """A directory user's group that the config does not assign: ``login`` (the user),
    ``group`` (as the directory writes it), ``index`` (the user's position in ``users``),
    ``suggestion`` (the configured group name it is closest to, a likely typo, or ``None``:
    a group outside the app, such as ``Everyone``)."""

    login: str
    group: str
    index: int
    suggestion: str | None
    #: The characters of ``group`` that make it only look like ``suggestion``
    #: (``U+0415 CYRILLIC CAPITAL LETTER IE``); empty for a plain misspelling.
    lookalike_characters: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """One line for a report: ``users[3] (ann@example.com): group 'Own EMAE' is not in the
        config, so it assigns nothing (did you mean 'Own EMEA'?)``."""
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        if self.lookalike_characters:
            hint = f" (it looks like {self.suggestion!r} but has {', '.join(self.lookalike_characters)})"
        return (
            f"users[{self.index}] ({self.login}): group {shown(self.group)} is not in the config, "
            f"so it assigns nothing{hint}"
        )


#: How close (difflib ratio of the Okta-folded names) a group must be to a configured one to
#: be suggested: one or two letters off in a short name.
SUGGESTION_CUTOFF = 0.75


def _closest(group: str, configured: dict[str, str], looks: dict[str, str]) -> tuple[str | None, tuple[str, ...]]:
    """The configured name that ``group`` looks like (Unicode confusables: with the
    characters that differ) or nearly spells."""
    for key in confusable_keys(group):
        if key in looks:
            name = looks[key]
            folded = okta_fold(name)
            return name, tuple(describe(c) for c in dict.fromkeys(group) if okta_fold(c) not in folded)
    close = difflib.get_close_matches(okta_fold(group), list(configured), n=1, cutoff=SUGGESTION_CUTOFF)
    return (configured[close[0]] if close else None), ()


def unknown_groups(config: OwnScimConfig, directory: Directory, *, suggested_only: bool = False) -> list[UnknownGroup]:
    """Every (user, group) of ``directory`` whose group ``config.groups`` does not name,
    compared as Okta compares group names (case-insensitively, :func:`okta_fold`), in
    directory order. A user in such a group is not assigned through it: a typo (``Own EMAE``)
    silently leaves the user out, so a report warns about each, with the closest configured
    name when there is one (a name that looks alike, or one at most about two letters off).
    ``suggested_only``: only those with a closest configured name (the typos; not ``Everyone``).

    Each distinct group name is compared once (:attr:`Directory.listings`): the cost grows with
    the distinct names and the listings returned, not with the directory's users.

    Pure: reads nothing, raises nothing.
    """
    configured = {okta_fold(g.name): g.name for g in config.groups}
    looks = {key: g.name for g in config.groups for key in confusable_keys(g.name)}
    found: list[tuple[int, int, UnknownGroup]] = []
    for group, where in directory.listings.items():
        if okta_fold(group) in configured:
            continue
        closest = _closest(group, configured, looks)
        if suggested_only and closest[0] is None:
            continue
        found += [(i, j, UnknownGroup(directory.users[i].login, group, i, *closest)) for i, j in where]
    found.sort(key=lambda hit: hit[:2])
    return [hit[2] for hit in found]
