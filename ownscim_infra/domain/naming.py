"""Logical names of the resources the program declares.

They are part of each resource's URN, so they must never change for an existing stack:
``pulumi import`` files (``adopt``) and the offline plan refer to them. Group and person
names are reduced to ``[a-z0-9._@-]`` so that a URN stays readable; the config validation
rejects two groups (or logins) that would reduce to the same name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

#: Pulumi type token of the component (part of every child's URN, like the names below).
COMPONENT_TYPE = "ownscim:okta:OwnScimProvisioning"
#: Logical name of the component; every other resource is its child.
COMPONENT = "own-scim"

APP = f"{COMPONENT}-app"
CONNECTION = f"{COMPONENT}-connection"
FEATURES = f"{COMPONENT}-features"
REGIONS_ATTRIBUTE = f"{COMPONENT}-regions-attribute"


def slug(value: str) -> str:
    """``"Own EMEA (Sales)"`` -> ``"own-emea-sales"``; logins keep ``@`` and ``.``; accents
    are dropped (``"Équipe"`` -> ``"equipe"``). A name with nothing left (``"日本"``) becomes
    ``"n-"`` + 10 hex digits of its SHA-256, so it stays distinct and stable."""
    ascii_form = unicodedata.normalize("NFKD", value.strip()).encode("ascii", "ignore").decode().lower()
    reduced = re.sub(r"[^a-z0-9._@]+", "-", ascii_form).strip("-")
    return reduced or "n-" + hashlib.sha256(value.strip().encode()).hexdigest()[:10]


def group(name: str) -> str:
    """The Okta group (created, or looked up) for config group ``name``."""
    return f"{COMPONENT}-group-{slug(name)}"


def group_assignment(name: str) -> str:
    """The app's assignment to config group ``name``."""
    return f"{COMPONENT}-group-assignment-{slug(name)}"


def user_assignment(login: str) -> str:
    """The app's direct assignment to the person ``login``."""
    return f"{COMPONENT}-user-{slug(login)}"
