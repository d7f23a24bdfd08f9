"""What a config means for each user in Own: active in which regions, inactive, or absent.

Read from the YAML config and the directory only (never from the emulated org), so that the
simulation can compare what Okta and Own did with what the reviewed file means: a person's
entry wins, else the first of the user's groups in the config's (priority) order; a user the
previous config assigned and the new one does not is ``inactive`` (Okta deactivates, never
deletes). Who is in a group: its ``members`` when it declares them (the program owns the
whole membership: ``track_all_users``), the users its ``rule`` matches (their directory
profile, :func:`~ownscim_infra.domain.expression.offline_rule`), else the directory's
listing; a rule that cannot be evaluated offline falls back to the directory's listing, and
says so in ``via`` (the plan's ``rule-not-computed`` warning names the group).
Logins and group names compare as Okta compares them (:func:`~ownscim_infra.domain.own_setup.okta_fold`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ownscim_infra.config import OwnScimConfig
from ownscim_infra.config.directory import Directory, DirectoryUser
from ownscim_infra.domain.expression import CannotEvaluate, Node, evaluate, offline_rule
from ownscim_infra.domain.own_setup import okta_fold


class Meaning(StrEnum):
    """A user's state in Own as the config means it."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    ABSENT = "absent"


@dataclass(frozen=True)
class Expected:
    """What the config means for one user in Own: ``state`` is ``active`` (with
    ``regions``), ``inactive`` (was assigned, no longer: deactivated, not deleted) or
    ``absent`` (never assigned); ``via`` says which config entry decides."""

    state: Meaning
    regions: tuple[str, ...] = ()
    via: str = ""

    def render(self) -> str:
        """``active in us1, emea2``, ``inactive`` or ``absent``."""
        return f"active in {', '.join(self.regions)}" if self.state == Meaning.ACTIVE else str(self.state)


class _ConfigAnswer:
    """The config's answer for each user: a person's entry (the config's logins folded, one
    lookup), else the first group (in priority order) the user is in. Built once a config, so
    that answering every user of a directory is linear in the users and their groups.
    ``renamed``: a created group's folded name -> the folded names it had before under the
    same ``key`` (Okta renamed it in place: a directory that lists the old name means it)."""

    def __init__(self, config: OwnScimConfig, renamed: dict[str, set[str]] | None = None) -> None:
        self.people: dict[str, tuple[tuple[str, ...], str]] = {}
        for person in config.people:
            self.people.setdefault(
                okta_fold(person.login), (tuple(config.regions_of(person.regions)), "people: " + person.login)
            )
        self.groups = [(tuple(g.regions), "groups: " + g.name) for g in config.groups]  # list order is priority
        #: folded name -> the first group (by priority) that has it
        self.first: dict[str, int] = {}
        #: position -> the folded logins of a group's ``members``, or its rule's tree
        self.members: dict[int, set[str]] = {}
        self.rules: dict[int, Node | CannotEvaluate] = {}
        for position, g in enumerate(config.groups):
            if g.members is not None and g.create:
                self.members[position] = {okta_fold(m) for m in g.members}
            elif g.rule is not None and g.create:
                self.rules[position] = offline_rule(g.rule)
            self.first.setdefault(okta_fold(g.name), position)
        # then the names a renamed group had, each only while no group has it now (as the org
        # resolves a directory's names: the module docstring of :mod:`.okta_org`): Own EMEA renamed
        # Own US while Own US became Own Americas means Own EMEA's group by "Own US"
        for position, g in enumerate(config.groups):
            for name in (renamed or {}).get(okta_fold(g.name), set()):
                self.first.setdefault(name, position)

    def __call__(self, user: DirectoryUser) -> tuple[tuple[str, ...], str] | None:
        """(regions, which entry) for ``user``, or None when unassigned."""
        login = okta_fold(user.login)
        person = self.people.get(login)
        if person is not None:
            return person
        listed = {self.first[name] for name in {okta_fold(g) for g in user.groups} if name in self.first}
        hits = [p for p in listed if p not in self.members and p not in self.rules]
        hits += [p for p, logins in self.members.items() if login in logins]
        uncomputed = set()
        for p, tree in self.rules.items():
            matched = tree if isinstance(tree, CannotEvaluate) else evaluate(tree, user.attributes)
            if isinstance(matched, CannotEvaluate):
                uncomputed.add(p)
                if p in listed:
                    hits.append(p)
            elif matched:
                hits.append(p)
        if not hits:
            return None
        regions, via = self.groups[min(hits)]
        if min(hits) in uncomputed:
            via += " (its rule cannot be evaluated offline: as the directory lists it)"
        return regions, via


def _renamed(config: OwnScimConfig, before: OwnScimConfig) -> dict[str, set[str]]:
    """Created groups renamed in place: same ``key``, another name (see :class:`_ConfigAnswer`)."""
    old = {g.resource_key: okta_fold(g.name) for g in before.groups if g.create}
    return {
        okta_fold(g.name): {old[g.resource_key]}
        for g in config.groups
        if g.create and g.resource_key in old and old[g.resource_key] != okta_fold(g.name)
    }


def expectations(
    config: OwnScimConfig, directory: Directory, previous: tuple[OwnScimConfig, Directory] | None = None
) -> dict[str, Expected]:
    """``{login: Expected}`` for every directory user and every previously assigned one
    (keyed by the current directory's spelling of the login, else the previous one's; logins
    compare as Okta compares them). A config that declares no assignment yet (``manual``
    before ``manual_steps_done``) assigns nobody."""
    result: dict[str, Expected] = {}
    answer = _ConfigAnswer(config, _renamed(config, previous[0]) if previous else {})
    if config.assignments_declared:
        for user in directory.users:
            now = answer(user)
            if now:
                result[user.login] = Expected(Meaning.ACTIVE, now[0], now[1])
    if previous and previous[0].assignments_declared:
        prev_config, prev_directory = previous
        assigned_now = {okta_fold(login) for login in result}
        answer_before = _ConfigAnswer(prev_config)
        for user in prev_directory.users:
            if okta_fold(user.login) not in assigned_now and answer_before(user):
                spelled = (directory.user(user.login) or user).login  # as the new directory writes it
                result[spelled] = Expected(Meaning.INACTIVE, via="unassigned since the previous config")
    absent = "not assigned" if config.assignments_declared else "no assignment until app.manual_steps_done"
    for user in directory.users:
        result.setdefault(user.login, Expected(Meaning.ABSENT, via=absent))
    return result
