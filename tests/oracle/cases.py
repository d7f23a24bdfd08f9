"""Minimal BASE/NEW pairs where ``review`` and the reference model disagree, each classified: a
bug of the product (an item of issue 21) with what the model expects and what ``review`` said on
the day it was classified. A pair the generator finds is reduced to one of these by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from tests.oracle.pairs import APP, REGIONS, directory
from tests.oracle.reference_model import ATTENTION, BLOCKED, SAFE


def cfg(*groups: dict[str, Any], people: tuple[dict[str, Any], ...] = (), **app: Any) -> str:
    settings = {**APP, **app}
    if settings.get("provisioning") == "api":
        del settings["manual_steps_done"]  # manual only (config/README.md)
    data = {"app": settings, "regions": list(REGIONS), "groups": list(groups), "people": list(people)}
    return yaml.safe_dump(data, sort_keys=False)


def made(name: str, *regions: str, **more: Any) -> dict[str, Any]:
    """A group the config creates."""
    return {"name": name, "regions": list(regions), **more}


def existing(name: str, *regions: str) -> dict[str, Any]:
    """An existing Okta group (``create: false``)."""
    return {"name": name, "create": False, "regions": list(regions)}


def dir_(**members: list[str]) -> str:
    """The directory: ``ann=[groups]``... (logins ``NAME@example.com``)."""
    return yaml.safe_dump(directory({f"{k}@example.com": v for k, v in members.items()}), sort_keys=False)


@dataclass
class Case:
    item: str  # the issue-21 item, e.g. "1a"
    title: str
    base: str
    new: str
    directory: str
    model: str  # the verdict the reference model gives
    review: str  # the verdict review gave when the case was classified
    people: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # login -> (model's, review's) (before, after)
    base_directory: str | None = None


US, EMEA, ALL = frozenset({"us1"}), frozenset({"emea2"}), frozenset(REGIONS)

CASES = [
    Case(
        "1",
        "a PR adds an existing group as created (`create: false` forgotten): Okta refuses the name",
        cfg(made("Own US", "us1")),
        cfg(made("Own US", "us1"), made("Salesforce Admins", "us1")),
        dir_(ann=["Salesforce Admins"]),
        BLOCKED,
        SAFE,
    ),
    Case(
        "1",
        "a created group renamed (same key) to the name of an existing group: Okta refuses the rename",
        cfg(made("Own US", "us1")),
        cfg(made("Salesforce Admins", "us1", key="own-us")),
        dir_(ann=["Own US"]),
        BLOCKED,
        SAFE,
    ),
    Case(
        "1",
        "a group's key changes, not its name: created before the old one is deleted, Okta refuses",
        cfg(made("Own US", "us1")),
        cfg(made("Own US", "us1", key="us-team")),
        dir_(ann=["Own US"]),
        BLOCKED,
        ATTENTION,
    ),
    Case(
        "1",
        "`create: false` -> `create: true` on the same group: Okta refuses the name",
        cfg(existing("Salesforce Admins", "us1")),
        cfg(made("Salesforce Admins", "us1")),
        dir_(ann=["Salesforce Admins"]),
        BLOCKED,
        ATTENTION,
    ),
    Case(
        "2",
        "provisioning manual -> api: Okta may answer UNKNOWN for this app and later runs fail",
        cfg(made("Own US", "us1")),
        cfg(made("Own US", "us1"), provisioning="api"),
        dir_(ann=["Own US"]),
        ATTENTION,
        SAFE,
    ),
    Case(
        "3",
        "a PR assigns an existing group (us1) and a member directly (emea2): the order decides Own",
        cfg(made("Own EMEA", "emea2")),
        cfg(
            made("Own EMEA", "emea2"),
            existing("Salesforce Admins", "us1"),
            people=({"login": "ann@example.com", "regions": ["emea2"]},),
        ),
        dir_(ann=["Salesforce Admins"]),
        ATTENTION,
        SAFE,
    ),
    Case(
        "4",
        "a config reviewed against itself: a user in an existing group and a created one",
        cfg(made("Own EMEA", "emea2"), existing("Salesforce Admins", "us1")),
        cfg(made("Own EMEA", "emea2"), existing("Salesforce Admins", "us1")),
        dir_(ann=["Own EMEA", "Salesforce Admins"]),
        SAFE,
        ATTENTION,
    ),
    Case(
        "5",
        "a group's regions reordered: nothing changes in Okta or Own",
        cfg(made("Own Admins Global", "us1", "emea2")),
        cfg(made("Own Admins Global", "emea2", "us1")),
        dir_(ann=["Own Admins Global"]),
        SAFE,
        ATTENTION,
    ),
    Case(
        "8",
        "a group moves from us1 to emea2: Own removes the user, Okta creates it again in emea2",
        cfg(made("Own US", "us1")),
        cfg(made("Own US", "emea2")),
        dir_(ann=["Own US"]),
        ATTENTION,
        ATTENTION,
        {"ann@example.com": ({(US, EMEA)}, (US, US))},
    ),
]
