"""Batched Okta lookups: the people and the groups' members by login, and the existing groups by
name, a hundred a call.

One data-source call a person (``okta.user.get_user``) is one Okta API call during every
``pulumi preview`` and ``pulumi up``, under Okta's rate limits ("Create or list users":
100 to 600 requests a minute, Okta's "Management rate limits" page). The program reads them
in batches instead:

- people, and the members of the groups that declare ``members`` (looked up apart from the
  people: ``ceil(distinct members / 100)`` calls more): ``okta.user.get_users`` (data source
  ``okta_users``, invoke :data:`USERS_TOKEN`)
  with one ``search`` entry a login and ``compound_search_operator="or"``. The provider joins
  the entries with ``" or "`` (``getSearchCriteria`` in terraform-provider-okta
  ``data_source_okta_user.go``) and sends the result as Okta's ``search`` parameter of
  ``GET /api/v1/users``, following every page (``collectUsers``, page size 200);
- existing groups: ``okta.get_groups`` (data source ``okta_groups``, invoke
  :data:`GROUPS_TOKEN`) with ``search='type eq "OKTA_GROUP" and (profile.name eq "A" or
  ...)'``: with ``search`` the data source takes no ``type`` (``ConflictsWith``), and sends
  the expression verbatim (``dataSourceGroupsRead``, ``data_source_okta_groups.go``).

Neither data source fails when a value is not found: it is simply absent from the answer.
:func:`match` maps the answer back to what was asked, comparing as Okta compares logins and
group names (:func:`~ownscim_infra.domain.own_setup.okta_fold`; the Users API: "operators and
string values are case insensitive"), and raises :class:`NotFoundInOkta` naming every value
Okta does not have: Pulumi prints a ``RunError`` without a traceback, and ``pulumi preview``
fails before any change.

**Size of a call.** :data:`VALUES_PER_LOOKUP` (100) values a call, and fewer when the
URL-encoded ``search`` would exceed :data:`MAX_SEARCH_CHARS`. Okta documents no length limit
("an overly complex or long search query can result in an error", ``listUsers`` in Okta's
Users API reference); HTTP front ends commonly cap a request line at 8 KiB. A clause
``profile.login eq "firstname.lastname00001@example-company.com"`` is 72 characters once
encoded with its ``+or+`` (Go's ``url.Values.Encode``: ``"`` -> ``%22``, ``@`` -> ``%40``), so
100 such logins make a 7.2 KB search and one call; logins longer than about 45 characters
make calls of fewer than 100.

**Escaping.** Inside a quoted value Okta wants ``\\"`` and ``\\\\`` (Okta's "User query" guide,
URL encoding). The provider does not escape a search entry's ``value``, so a login holding
``"`` or ``\\`` is sent as an ``expression`` escaped here; every group name is escaped here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import quote_plus

import pulumi

from ownscim_infra.domain.own_setup import okta_fold

#: The invoke tokens of the two data sources (pulumi-okta 7: ``user/get_users.py``, ``get_groups.py``).
USERS_TOKEN = "okta:user/getUsers:getUsers"
GROUPS_TOKEN = "okta:index/getGroups:getGroups"
#: The most values one lookup asks for.
VALUES_PER_LOOKUP = 100
#: The longest URL-encoded ``search`` value one lookup sends (see the module docstring).
MAX_SEARCH_CHARS = 8000

LOGIN_PROPERTY = "profile.login"
GROUP_NAME_PROPERTY = "profile.name"
_OR = " or "
_GROUPS_PREFIX = 'type eq "OKTA_GROUP" and ('
_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_LOGIN_EXPRESSION = re.compile(rf"^{re.escape(LOGIN_PROPERTY)} eq {_QUOTED}$")
_GROUP_CLAUSE = re.compile(rf"{re.escape(GROUP_NAME_PROPERTY)} eq {_QUOTED}")


def quote(value: str) -> str:
    """``value`` as a quoted string of Okta's filter grammar: ``a"b`` -> ``"a\\"b"``."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(inner: str) -> str:
    return re.sub(r"\\(.)", r"\1", inner)


def user_search(login: str) -> dict[str, str]:
    """The ``search`` entry of ``okta.user.get_users`` that finds ``login``: ``{"name":
    "profile.login", "value": login, "comparison": "eq"}``, or ``{"expression":
    'profile.login eq "..."'}`` escaped when the login holds ``"`` or ``\\`` (the provider
    would send such a value unescaped)."""
    if '"' in login or "\\" in login:
        return {"expression": f"{LOGIN_PROPERTY} eq {quote(login)}"}
    return {"name": LOGIN_PROPERTY, "value": login, "comparison": "eq"}


def _user_clause(login: str) -> str:
    """What the provider makes of :func:`user_search` (``getSearchCriteria``)."""
    search = user_search(login)
    return search.get("expression") or f'{LOGIN_PROPERTY} eq "{login}"'


def _group_clause(name: str) -> str:
    return f"{GROUP_NAME_PROPERTY} eq {quote(name)}"


def groups_search(names: Sequence[str]) -> str:
    """The ``search`` of ``okta.get_groups`` that finds the Okta groups (``OKTA_GROUP``) named
    ``names``: ``type eq "OKTA_GROUP" and (profile.name eq "A" or profile.name eq "B")``."""
    return _GROUPS_PREFIX + _OR.join(_group_clause(n) for n in names) + ")"


def _batches(values: Sequence[str], clause: Callable[[str], str], enclosing: str = "") -> list[list[str]]:
    """``values`` in order (duplicates dropped), cut into lists of at most
    :data:`VALUES_PER_LOOKUP` whose URL-encoded search (each value's ``clause``, joined with
    ``" or "``, inside ``enclosing``) stays within :data:`MAX_SEARCH_CHARS`; a value too long on
    its own gets a call of its own."""
    budget = MAX_SEARCH_CHARS - len(quote_plus(enclosing))
    batches: list[list[str]] = []
    size = 0
    for value in dict.fromkeys(values):
        cost = len(quote_plus(clause(value) + _OR))
        if not batches or len(batches[-1]) >= VALUES_PER_LOOKUP or size + cost > budget:
            batches.append([])
            size = 0
        batches[-1].append(value)
        size += cost
    return batches


def user_batches(logins: Sequence[str]) -> list[list[str]]:
    """The logins of each ``okta.user.get_users`` call, in order (duplicates dropped)."""
    return _batches(logins, _user_clause)


def group_batches(names: Sequence[str]) -> list[list[str]]:
    """The group names of each ``okta.get_groups`` call, in order (duplicates dropped)."""
    return _batches(names, _group_clause, _GROUPS_PREFIX + ")")


def searched_logins(searches: Iterable[dict[str, str]]) -> list[str]:
    """The logins a ``searches`` argument asks for (the inverse of :func:`user_search`)."""
    logins = []
    for search in searches:
        found = _LOGIN_EXPRESSION.match(search.get("expression") or "")
        if found:
            logins.append(_unquote(found.group(1)))
        elif search.get("name") == LOGIN_PROPERTY and search.get("value") is not None:
            logins.append(search["value"])
    return logins


def searched_group_names(search: str) -> list[str]:
    """The group names a :func:`groups_search` expression asks for."""
    return [_unquote(inner) for inner in _GROUP_CLAUSE.findall(search)]


class NotFoundInOkta(pulumi.RunError):
    """A lookup found no Okta user with a login, or no Okta group with a name, of the config.

    ``RunError``: Pulumi prints the message without a traceback (``pulumi.errors.RunError``).
    :attr:`missing` holds the values as the config spells them.
    """

    def __init__(self, kind: str, missing: Sequence[str]) -> None:
        self.kind, self.missing = kind, list(missing)
        super().__init__(not_found_message(kind, missing))


def not_found_message(kind: str, missing: Sequence[str]) -> str:
    """The error of a lookup that did not find ``missing`` (``kind`` ``"user"`` or ``"group"``)."""
    values = ", ".join(repr(m) for m in missing)
    if kind == "user":
        what = "user with the login" if len(missing) == 1 else "users with the logins"
        return (
            f"Okta has no {what} {values}: check `people` and the groups' `members` in the config, or create the "
            "user in Okta first"
        )
    what = "group (type OKTA_GROUP) named" if len(missing) == 1 else "groups (type OKTA_GROUP) named"
    return (
        f"Okta has no {what} {values}: check the `create: false` groups in the config, or set `create: true` "
        "to let the program create them"
    )


def match(kind: str, wanted: Sequence[str], found: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``{value as wanted: Okta id}`` from the ``(login or name, id)`` pairs Okta answered,
    matched as Okta compares them (:func:`okta_fold`; the first of two that fold alike wins).

    :raises NotFoundInOkta: naming every wanted value Okta did not answer.
    """
    ids: dict[str, str] = {}
    for value, okta_id in found:
        ids.setdefault(okta_fold(value), okta_id)
    missing = [w for w in wanted if okta_fold(w) not in ids]
    if missing:
        raise NotFoundInOkta(kind, missing)
    return {w: ids[okta_fold(w)] for w in wanted}
