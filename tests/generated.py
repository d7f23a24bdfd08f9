"""Generated configs and directories of any size, for the scale tests and ``benchmarks/``.

Deterministic: the same arguments give the same files. A config of ``people`` people and
``groups`` groups (every fifth group ``create: false``, an existing Okta group looked up by
name; one person in three without ``regions``), and a directory where every person is a user
in one or two of the groups, plus ``extra_users`` users who have the app only through a group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REGIONS = ["us1", "emea2", "uk1", "ca1", "au1"]


def login(i: int) -> str:
    """The ``i``-th person's login (long enough to be realistic for the lookups' length)."""
    return f"firstname.lastname{i:05d}@example-company.com"


def group_name(i: int) -> str:
    return f"Own Team {i:03d}"


def config_data(people: int, groups: int) -> dict[str, Any]:
    """A valid config document (``provisioning: manual``, steps done: every assignment declared)."""
    return {
        "app": {
            "label": "Own",
            "scim_base_url": "https://scim.us1.ownbackup.example/scim/v2",
            "provisioning": "manual",
            "manual_steps_done": True,
        },
        "regions": REGIONS,
        "groups": [
            {
                "name": group_name(g),
                "regions": REGIONS[: 1 + g % len(REGIONS)],
                **({"create": False} if g % 5 == 4 else {"description": f"Team {g}"}),
            }
            for g in range(groups)
        ],
        "people": [{"login": login(i), **({"regions": [REGIONS[i % 5]]} if i % 3 else {})} for i in range(people)],
    }


def directory_data(people: int, groups: int, extra_users: int = 0, others: tuple[str, ...] = ()) -> dict[str, Any]:
    """The directory behind :func:`config_data`: the people, then ``extra_users`` group-only
    users; everyone is also in the groups ``others`` (which the config does not assign)."""
    users = []
    for i in range(people + extra_users):
        member_of = [group_name(i % groups)] + ([group_name((i * 7 + 1) % groups)] if i % 2 else []) + list(others)
        users.append(
            {
                "login": login(i),
                "first_name": "First",
                "last_name": f"Last{i:05d}",
                "groups": list(dict.fromkeys(member_of)),
            }
        )
    return {"users": users}


def write(
    directory: Path, people: int, groups: int, extra_users: int = 0, others: tuple[str, ...] = ()
) -> tuple[Path, Path]:
    """Write ``config-P.yaml`` and ``directory-P.yaml`` under ``directory``; returns both paths."""
    config = directory / f"config-{people}.yaml"
    config.write_text(yaml.safe_dump(config_data(people, groups), sort_keys=False))
    users = directory / f"directory-{people}.yaml"
    users.write_text(yaml.safe_dump(directory_data(people, groups, extra_users, others), sort_keys=False))
    return config, users
