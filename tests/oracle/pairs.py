"""Generated BASE/NEW config pairs (and the directory before and after) over config/example.yaml's
shape: groups created by the config and existing ones (``create: false``), people assigned
directly, users in groups. A pair is BASE plus one to three edits: a reorder of regions, a change
of regions, a rename with and without ``key``, a changed ``key``, a deleted or added group, a
``create`` toggle, groups reordered, people added or removed, memberships changed."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import strategies as st

REGIONS = ["us1", "emea2", "uk1"]
CREATED = ["Own Admins Global", "Own EMEA", "Own US"]  # groups a BASE may create
EXISTING = ["Salesforce Admins", "Finance Users"]  # groups Okta has (create: false)
FRESH = ["Backup Team", "Americas Staff"]  # names for renames and added groups
USERS = ["ann@example.com", "ben@example.com", "cat@example.com", "dev@example.com"]
#: a user in every existing group and assigned nothing: the directory shows those groups exist
WITNESS = "zed@example.com"

APP = {"label": "Own", "scim_base_url": "https://scim.us1.ownbackup.example/scim/v2", "manual_steps_done": True}


@dataclass
class Pair:
    base: dict[str, Any]
    new: dict[str, Any]
    base_directory: dict[str, Any]
    directory: dict[str, Any]
    edits: list[str]

    def texts(self) -> tuple[str, str, str, str]:
        """BASE, NEW, the directory after, the directory before, as YAML."""
        dump = lambda d: yaml.safe_dump(d, sort_keys=False)  # noqa: E731
        return dump(self.base), dump(self.new), dump(self.directory), dump(self.base_directory)


def config(groups: list[dict[str, Any]], people: list[dict[str, Any]]) -> dict[str, Any]:
    return {"app": dict(APP), "regions": list(REGIONS), "groups": groups, "people": people}


def directory(memberships: dict[str, list[str]]) -> dict[str, Any]:
    users = [{"login": u, "first_name": u.split("@")[0].title(), "last_name": "Example"} for u in USERS]
    for u in users:
        if memberships.get(u["login"]):
            u["groups"] = list(memberships[u["login"]])
    return {"users": [*users, {"login": WITNESS, "first_name": "Zed", "last_name": "Witness", "groups": EXISTING}]}


regions = st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3, unique=True)


@st.composite
def bases(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, list[str]]]:
    created = draw(st.lists(st.sampled_from(CREATED), max_size=3, unique=True))
    existing = draw(st.lists(st.sampled_from(EXISTING), max_size=2, unique=True))
    groups = [{"name": n, "regions": draw(regions)} for n in created]
    groups += [{"name": n, "create": False, "regions": draw(regions)} for n in existing]
    groups = draw(st.permutations(groups)) if groups else []
    people = []
    for login in draw(st.lists(st.sampled_from(USERS), max_size=2, unique=True)):
        people.append({"login": login, **({"regions": draw(regions)} if draw(st.booleans()) else {})})
    names = [*created, *EXISTING]
    members = {u: draw(st.lists(st.sampled_from(names), max_size=2, unique=True)) for u in USERS}
    return config(list(groups), people), members


def _created(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    return [g for g in cfg["groups"] if g.get("create", True)]


def _unused(cfg: dict[str, Any], pool: list[str]) -> list[str]:
    taken = {g["name"] for g in cfg["groups"]}
    return [n for n in pool if n not in taken]


def _key(g: dict[str, Any]) -> str:
    return g.get("key") or g["name"].lower().replace(" ", "-")


@st.composite
def edit(draw: st.DrawFn, cfg: dict[str, Any], members: dict[str, list[str]]) -> str:  # noqa: C901
    """Apply one edit to ``cfg`` (and the directory after, ``members``) in place; its name."""
    kind = draw(
        st.sampled_from(
            [
                "reorder-regions",
                "change-regions",
                "rename-with-key",
                "rename-without-key",
                "change-key",
                "delete-group",
                "add-group",
                "toggle-create",
                "reorder-groups",
                "add-person",
                "remove-person",
                "person-regions",
                "join-group",
                "leave-group",
            ]
        )
    )
    groups, people, created = cfg["groups"], cfg["people"], _created(cfg)
    with_regions = groups + [p for p in people if "regions" in p]
    if kind in ("reorder-regions", "change-regions") and with_regions:
        item = draw(st.sampled_from(with_regions))
        item["regions"] = list(reversed(item["regions"])) if kind == "reorder-regions" else draw(regions)
    elif kind in ("rename-with-key", "rename-without-key") and created and _unused(cfg, FRESH):
        g = draw(st.sampled_from(created))
        old = g["name"]
        g["key"], g["name"] = _key(g), draw(st.sampled_from(_unused(cfg, FRESH)))
        if kind == "rename-without-key":
            del g["key"]
        if draw(st.booleans()):  # the directory follows the rename
            for names in members.values():
                names[:] = [g["name"] if n == old else n for n in names]
    elif kind == "change-key" and created:
        draw(st.sampled_from(created))["key"] = "team-" + str(draw(st.integers(1, 2)))
    elif kind == "delete-group" and groups:
        groups.remove(draw(st.sampled_from(groups)))
    elif kind == "add-group":
        pool = _unused(cfg, [*CREATED, *FRESH, *EXISTING])
        if not pool:
            return "noop"
        name = draw(st.sampled_from(pool))
        g = {"name": name, "regions": draw(regions)}
        if name in EXISTING and draw(st.integers(0, 3)):  # mostly right; sometimes `create: false` forgotten
            g["create"] = False
        groups.insert(draw(st.integers(0, len(groups))), g)
        for login in draw(st.lists(st.sampled_from(USERS), max_size=2, unique=True)):
            members[login] = [*members.get(login, []), name] if name not in members.get(login, []) else members[login]
    elif kind == "toggle-create" and groups:
        g = draw(st.sampled_from(groups))
        g["create"] = not g.get("create", True)
    elif kind == "reorder-groups" and len(groups) > 1:
        groups[:] = draw(st.permutations(groups))
    elif kind == "add-person" and [u for u in USERS if u not in {p["login"] for p in people}]:
        login = draw(st.sampled_from([u for u in USERS if u not in {p["login"] for p in people}]))
        people.append({"login": login, **({"regions": draw(regions)} if draw(st.booleans()) else {})})
    elif kind == "remove-person" and people:
        people.remove(draw(st.sampled_from(people)))
    elif kind == "person-regions" and people:
        p = draw(st.sampled_from(people))
        if "regions" in p:
            del p["regions"]
        else:
            p["regions"] = draw(regions)
    elif kind in ("join-group", "leave-group") and groups:
        login, name = draw(st.sampled_from(USERS)), draw(st.sampled_from(groups))["name"]
        names = members.setdefault(login, [])
        if kind == "join-group" and name not in names:
            names.append(name)
        elif kind == "leave-group" and name in names:
            names.remove(name)
        else:
            return "noop"
    else:
        return "noop"
    return kind


def valid(cfg: dict[str, Any]) -> bool:
    """The config's own rules (config/README.md): names and keys unique."""
    names = [g["name"].lower() for g in cfg["groups"]]
    keys = [_key(g) for g in cfg["groups"]]
    return len(set(names)) == len(names) and len(set(keys)) == len(keys)


@st.composite
def pairs(draw: st.DrawFn) -> Pair:
    base, members = draw(bases())
    new, after = copy.deepcopy(base), copy.deepcopy(members)
    edits = [draw(edit(new, after)) for _ in range(draw(st.integers(1, 3)))]
    if not valid(new):
        new, after, edits = copy.deepcopy(base), copy.deepcopy(members), ["invalid edit dropped"]
    return Pair(base, new, directory(members), directory(after), edits)
