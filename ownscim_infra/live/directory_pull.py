"""``directory pull``: the directory file, read from a live Okta org (read-only).

What is read, for the configs given (each config's app found as ``verify`` finds it, by its
label; a config whose app does not exist yet contributes no assignees):

- the members of every group the configs name (by name, compared as Okta compares names:
  ``GET /api/v1/groups?q=``, then ``GET /api/v1/groups/{groupId}/users``) and of every group
  assigned to the app (``GET /api/v1/apps/{appId}/groups``);
- the configs' ``people`` and every login a group's ``members`` lists
  (``GET /api/v1/users/{login}``; one not in the org is left out: the review says so);
- the app's current assignees (``GET /api/v1/apps/{appId}/users``, then
  ``GET /api/v1/users/{userId}`` for each not read already);
- for each config group with a ``rule``, the exclusions of the rule named after it that fills
  the group (``GET /api/v1/groups/rules?search=``, as ``verify`` reads it:
  ``conditions.people.users.exclude``), and each excluded user (``GET /api/v1/users/{userId}``
  when not read already), written under ``rules`` (:func:`read_exclusions`): a review of the
  file leaves them out of the group, as the org's rule does, where a file without them would
  have the emulated rule put them back in.

Each user is written with its login, first and last names (when Okta has them), email (when
not the login), the groups above it is in (by their Okta names) and the profile attributes
the configs' group ``rule`` expressions read (:func:`rule_attributes`). Deactivated users
(``DEPROVISIONED``: Okta unassigns them from every app) are left out.

The file (:func:`render`) is JSON, which YAML 1.2 reads too, one user a line, users sorted by
login as Okta compares logins, their groups by name: two pulls of an unchanged org differ
only in ``generatedAt``. It is validated with the directory loader's model before anything is
written, then written atomically (a temporary file in the same folder, ``os.replace``): an
error anywhere leaves the previous file as it was. ``source`` is the org URL, never a
credential.

Reads are :class:`~ownscim_infra.live.okta_api.OktaReader`'s: paged by ``Link`` headers,
retried on 429, bounded in pages and time, credentials the okta provider's (an SSWS token or
an OAuth 2.0 service app with ``okta.users.read okta.groups.read okta.apps.read``).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ownscim_infra.config import OwnScimConfig, load_config
from ownscim_infra.config.directory import BASE_ATTRIBUTES, Directory, parse_directory
from ownscim_infra.config.errors import ConfigError
from ownscim_infra.domain import expression
from ownscim_infra.domain.errors import InputError
from ownscim_infra.domain.own_setup import okta_fold
from ownscim_infra.live import okta_api
from ownscim_infra.live.verify import AppNotFound, call_okta, find_app

#: The scopes a service app needs for a pull (``OKTA_API_SCOPES`` default for it).
PULL_SCOPES = ("okta.users.read", "okta.groups.read", "okta.apps.read")
#: Profile attributes that have their own key on a directory user.
_OWN_KEYS = {"login", "email", "firstName", "lastName"}
#: ``user.<attribute>`` in an expression outside the evaluated subset.
_ATTRIBUTE_REFERENCE = re.compile(r"\buser\.([A-Za-z][A-Za-z0-9_]*)\b(?!\s*\()")
#: Okta's status of a deactivated user.
DEACTIVATED = "DEPROVISIONED"


def _attributes_of(node: expression.Node) -> set[str]:
    if isinstance(node, expression.Attribute):
        return {node.name}
    if isinstance(node, expression.Call):
        return set().union(*(_attributes_of(a) for a in node.arguments))
    if isinstance(node, expression.Compare | expression.Logical):
        return _attributes_of(node.left) | _attributes_of(node.right)
    if isinstance(node, expression.Not):
        return _attributes_of(node.operand)
    return set()


def rule_attributes(rule: str) -> set[str]:
    """The ``user.<attribute>`` names a group rule reads: from its tree when
    :func:`~ownscim_infra.domain.expression.parse` reads it; otherwise every base attribute
    the directory holds (:data:`~ownscim_infra.config.directory.BASE_ATTRIBUTES`) and every
    ``user.<name>`` written in it. Pure."""
    tree = expression.parse(rule)
    if isinstance(tree, expression.CannotEvaluate):
        return set(BASE_ATTRIBUTES) | set(_ATTRIBUTE_REFERENCE.findall(rule))
    return _attributes_of(tree)


@dataclass(frozen=True)
class Wanted:
    """What the configs need from the org: group ``names`` (each once, as Okta compares
    names, in config order), ``logins`` (people and group members), profile ``attributes``."""

    names: tuple[str, ...]
    logins: tuple[str, ...]
    attributes: frozenset[str]


def wanted(configs: Iterable[OwnScimConfig]) -> Wanted:
    """:class:`Wanted` of ``configs``. Pure."""
    names: dict[str, str] = {}
    logins: dict[str, str] = {}
    attributes: set[str] = set()
    for config in configs:
        for group in config.groups:
            names.setdefault(okta_fold(group.name), group.name)
            for login in group.members or ():
                logins.setdefault(okta_fold(login), login)
            if group.rule:
                attributes |= rule_attributes(group.rule)
        for person in config.people:
            logins.setdefault(okta_fold(person.login), person.login)
    return Wanted(tuple(names.values()), tuple(logins.values()), frozenset(attributes - _OWN_KEYS))


@dataclass
class Pulled:
    """The users read (by Okta id) and, for each, the names of the groups read it is in; and
    the ids of the users each rule group's rule excludes (``excluded``: the group's Okta name ->
    user ids, :func:`read_exclusions`)."""

    users: dict[str, okta_api.OktaUserProfile] = field(default_factory=dict)
    groups: dict[str, set[str]] = field(default_factory=dict)
    excluded: dict[str, list[str]] = field(default_factory=dict)

    def add(self, user: okta_api.OktaUserProfile, group: str | None = None) -> None:
        """Record ``user`` (the first read of an id wins), in ``group`` when given."""
        self.users.setdefault(user.id, user)
        names = self.groups.setdefault(user.id, set())
        if group is not None:
            names.add(group)


async def _apps(reader: okta_api.OktaReader, configs: list[OwnScimConfig]) -> list[okta_api.App]:
    """Each config's app (once each), found as ``verify`` finds it; none for a config whose
    app does not exist yet. :raises AppNotFound: several apps have a config's label."""
    apps: dict[str, okta_api.App] = {}
    for config in configs:
        try:
            app = await find_app(reader, config, None)
        except AppNotFound as exc:
            if exc.candidates:
                raise
            continue
        apps.setdefault(app.id, app)
    return list(apps.values())


async def _groups(reader: okta_api.OktaReader, apps: list[okta_api.App], names: Iterable[str]) -> dict[str, str]:
    """The groups to read the members of, id -> Okta name: those assigned to the apps, then
    those named (a name no group has is skipped: the group is not created yet)."""
    groups: dict[str, str] = {}
    for app in apps:
        for assignment in await reader.list_group_assignments(app.id):
            groups.setdefault(assignment.group_id, assignment.group_name)
    for name in names:
        found = await reader.find_group(name)
        if found is not None:
            groups.setdefault(found.id, found.name)
    return groups


async def read_users(reader: okta_api.OktaReader, configs: list[OwnScimConfig]) -> Pulled:
    """Read what :func:`wanted` asks for (see the module). Read-only.

    :raises AppNotFound: several apps have a config's label.
    :raises okta_api.OktaApiError: Okta answered an error, or not as its API documents.
    """
    want = wanted(configs)
    apps = await _apps(reader, configs)
    pulled = Pulled()
    for group_id, group_name in (await _groups(reader, apps, want.names)).items():
        for member in await reader.list_group_users(group_id):
            pulled.add(member, group_name)
    by_login = {okta_fold(u.login) for u in pulled.users.values()}
    for login in want.logins:
        if okta_fold(login) not in by_login and (person := await reader.get_user_profile(login)) is not None:
            pulled.add(person)
            by_login.add(okta_fold(person.login))
    for app in apps:
        for assignee in await reader.list_app_users(app.id):
            if assignee.user_id not in pulled.users and (user := await reader.get_user_profile(assignee.user_id)):
                pulled.add(user)
    await read_exclusions(reader, configs, pulled)
    return pulled


async def read_exclusions(reader: okta_api.OktaReader, configs: list[OwnScimConfig], pulled: Pulled) -> None:
    """Into ``pulled``: for each config group with a ``rule`` that exists in Okta, the users
    excluded by the rule named :attr:`~ownscim_infra.config.models.GroupConfig.rule_name` that
    assigns users to it (``GET /api/v1/groups/rules?search=``; the first such rule, as
    ``verify`` checks it), each user read when not read already (one Okta no longer has is left
    out). Read-only."""
    done: set[str] = set()
    for config in configs:
        for group in config.groups:
            if group.rule is None or okta_fold(group.name) in done:
                continue
            done.add(okta_fold(group.name))
            found = await reader.find_group(group.name)
            if found is None:
                continue
            rules = [r for r in await reader.find_group_rules(group.rule_name) if found.id in r.group_ids]
            if not rules or not rules[0].excluded:
                continue
            ids = []
            for user_id in rules[0].excluded:
                if user_id not in pulled.users and (user := await reader.get_user_profile(user_id)) is not None:
                    pulled.add(user)
                if user_id in pulled.users:
                    ids.append(user_id)
            pulled.excluded[found.name] = ids


def user_entry(user: okta_api.OktaUserProfile, groups: Iterable[str], attributes: Iterable[str]) -> dict[str, Any]:
    """One ``users[i]`` of the file: login, names and email when Okta has them, groups sorted
    as Okta compares names, then ``attributes`` the user has (base ones by name, others under
    ``profile``), sorted. Pure."""
    profile = user.profile
    entry: dict[str, Any] = {"login": user.login}
    for key, attribute in (("first_name", "firstName"), ("last_name", "lastName")):
        if profile.get(attribute) not in (None, ""):
            entry[key] = profile[attribute]
    email = profile.get("email")
    if email not in (None, "") and email != user.login:
        entry["email"] = email
    entry["groups"] = sorted(groups, key=lambda g: (okta_fold(g), g))
    custom: dict[str, Any] = {}
    for attribute in sorted(attributes):
        value = profile.get(attribute)
        if value is None or value == "" or value == []:
            continue
        if attribute in BASE_ATTRIBUTES:
            entry[attribute] = value
        else:
            custom[attribute] = value
    if custom:
        entry["profile"] = custom
    return entry


def document(pulled: Pulled, attributes: Iterable[str], source: str, generated_at: str) -> dict[str, Any]:
    """The directory document of ``pulled``: ``source``, ``generatedAt``, ``rules`` (when a
    rule excludes anyone: the group's name -> ``{"excluded": logins}``, sorted, deactivated
    users left out as they are of ``users``), ``users`` sorted by login as Okta compares them
    (deactivated users left out). Pure."""
    attributes = sorted(attributes)
    active = {i: u for i, u in pulled.users.items() if u.status != DEACTIVATED}
    users = [user_entry(u, pulled.groups[u.id], attributes) for u in active.values()]
    users.sort(key=lambda e: (okta_fold(e["login"]), e["login"]))
    rules = {}
    for name in sorted(pulled.excluded, key=lambda n: (okta_fold(n), n)):
        held = [active[i].login for i in pulled.excluded[name] if i in active]
        logins = sorted(held, key=lambda login: (okta_fold(login), login))
        if logins:
            rules[name] = {"excluded": logins}
    return {"source": source, "generatedAt": generated_at} | ({"rules": rules} if rules else {}) | {"users": users}


def render(doc: Mapping[str, Any]) -> str:
    """The file's text: JSON, one user a line (diffs read line by line), ASCII only."""
    head = {k: v for k, v in doc.items() if k != "users"}
    lines = [json.dumps(u, ensure_ascii=True) for u in doc["users"]]
    body = ",\n  ".join(lines)
    top = json.dumps(head, ensure_ascii=True)[:-1]
    users = f'"users": [\n  {body}\n]' if lines else '"users": []'
    return f"{top}, {users}}}\n" if head else f"{{{users}}}\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and
    ``os.replace``: ``path`` is either as it was or complete. :raises OSError: on failure
    (the temporary file removed)."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class UnusableAnswer(InputError):
    """What Okta answered cannot be written as a directory file (a value the directory cannot
    hold: a login with a space, an attribute that is an object...); one line."""


@dataclass(frozen=True)
class PullResult:
    """What was written: the ``output`` path, the ``directory`` as loaded, its ``source``."""

    output: Path
    directory: Directory
    source: str


def now_utc() -> str:
    """The current time, ISO 8601 UTC to the second (``2026-12-03T14:00:00Z``)."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pull(
    config_files: list[str],
    output: str | Path,
    env: Mapping[str, str] | None = None,
    *,
    generated_at: str | None = None,
    **reader_opts: Any,
) -> PullResult:
    """Read the users ``config_files`` need from the org (credentials from ``env``, default
    ``os.environ``) and write the directory file ``output``. Read-only in Okta.

    :raises ConfigError: a config is invalid.
    :raises UnusableAnswer: what Okta answered does not make a valid directory (a value the
        directory cannot hold); nothing is written.
    :raises okta_api.CredentialsError: credentials missing, unusable or rejected (401/403).
    :raises AppNotFound: several apps have a config's label.
    :raises okta_api.OktaApiError: Okta answered another error, or not as its API documents.
    :raises OSError: the file cannot be written (the old one is left as it was).
    """
    configs = [load_config(f) for f in config_files]
    output = Path(output)
    environ = dict(os.environ if env is None else env)
    environ.setdefault(okta_api.ENV_SCOPES, ",".join(PULL_SCOPES))
    creds = okta_api.credentials_from_env(environ)

    async def body(reader: okta_api.OktaReader) -> Pulled:
        return await read_users(reader, configs)

    pulled = call_okta(body, creds, **reader_opts)
    doc = document(pulled, wanted(configs).attributes, creds.org_url, generated_at or now_utc())
    try:
        directory = parse_directory(doc, output)
    except ConfigError as exc:
        first = exc.issues[0].render("users read")
        more = f" (and {len(exc.issues) - 1} more)" if len(exc.issues) > 1 else ""
        raise UnusableAnswer(
            f"what {creds.org_url} answered does not make a valid directory file, so {output} was not written: "
            f"{first}{more}"
        ) from None
    write_atomic(output, render(doc))
    return PullResult(output, directory, creds.org_url)
