"""Logical names of the resources the program declares.

They are part of each resource's URN, so they must never change for an existing stack:
``pulumi import`` files (``adopt``) and the offline plan refer to them. Every child's name
starts with the component's name (:class:`ResourceNames`), so that two components in one
stack never collide (their children's URNs hold the parent's type but not its name); the
default component name, :data:`COMPONENT`, gives the names of every existing stack. A group's
names come from its stable ``key`` (by default the slug of its name: renaming a group while
keeping its key keeps its resources); a person's from the login, reduced to
``[a-z0-9._@-]`` so that a URN stays readable. The config validation rejects two groups (or
logins) that would reduce to the same name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

#: Pulumi type token of the component (part of every child's URN, like the names below).
COMPONENT_TYPE = "ownscim:okta:OwnScimProvisioning"
#: Logical name of the component; every other resource is its child.
COMPONENT = "own-scim"
#: The Pulumi project's name (``Pulumi.yaml``, ``name``): part of every URN.
PROJECT = "ownscim"


def urn(stack: str, type_: str, name: str, parent_type: str | None = COMPONENT_TYPE) -> str:
    """The URN Pulumi gives the resource ``name`` of type ``type_`` on ``stack`` (a fully
    qualified ``org/project/stack`` is reduced to its last part):
    ``urn:pulumi:<stack>::ownscim::<parent type>$<type>::<name>``, the parent's type left
    out for a child of the stack (``parent_type=None``: the component itself). Format:
    pulumi/pulumi ``sdk/go/common/resource/urn/urn.go``, ``New`` (the parent's type, unless
    it is the root stack's, joined to the type with ``$``)."""
    chain = type_ if parent_type is None else f"{parent_type}${type_}"
    return f"urn:pulumi:{stack.rsplit('/', 1)[-1]}::{PROJECT}::{chain}::{name}"


def slug(value: str) -> str:
    """``"Own EMEA (Sales)"`` -> ``"own-emea-sales"``; logins keep ``@`` and ``.``; accents
    are dropped (``"Équipe"`` -> ``"equipe"``). A name with nothing left (``"日本"``) becomes
    ``"n-"`` + 10 hex digits of its SHA-256, so it stays distinct and stable."""
    ascii_form = unicodedata.normalize("NFKD", value.strip()).encode("ascii", "ignore").decode().lower()
    reduced = re.sub(r"[^a-z0-9._@]+", "-", ascii_form).strip("-")
    # surrogatepass: a lone surrogate (YAML's "\ud800") is hashed, not a crash; validation refuses it
    return reduced or "n-" + hashlib.sha256(value.strip().encode("utf-8", "surrogatepass")).hexdigest()[:10]


@dataclass(frozen=True)
class ResourceNames:
    """The logical names of one component's children: ``{component}-app``, ``-connection``,
    ``-features``, ``-regions-attribute``, ``-group-{key}``, ``-group-members-{key}``,
    ``-group-rule-{key}``, ``-group-assignment-{key}``, ``-user-{slug(login)}``."""

    component: str = COMPONENT

    @property
    def app(self) -> str:
        """The app (``okta.app.AutoLogin``)."""
        return f"{self.component}-app"

    @property
    def connection(self) -> str:
        """The provisioning connection (``okta.app.Connection``)."""
        return f"{self.component}-connection"

    @property
    def features(self) -> str:
        """``USER_PROVISIONING`` (``okta.app.Features``)."""
        return f"{self.component}-features"

    @property
    def regions_attribute(self) -> str:
        """The ``regions`` attribute (``okta.AppUserSchemaProperty``)."""
        return f"{self.component}-regions-attribute"

    def group(self, key: str) -> str:
        """The Okta group (created, or looked up) of the config group with ``key``."""
        return f"{self.component}-group-{key}"

    def group_memberships(self, key: str) -> str:
        """The members of the created config group with ``key`` (``okta.GroupMemberships``)."""
        return f"{self.component}-group-members-{key}"

    def group_rule(self, key: str) -> str:
        """The group rule of the created config group with ``key`` (``okta.group.Rule``)."""
        return f"{self.component}-group-rule-{key}"

    def group_assignment(self, key: str) -> str:
        """The app's assignment to the config group with ``key``."""
        return f"{self.component}-group-assignment-{key}"

    def user_assignment(self, login: str) -> str:
        """The app's direct assignment to the person ``login``."""
        return f"{self.component}-user-{slug(login)}"


#: The names of the default component (every stack so far).
DEFAULT = ResourceNames()
APP = DEFAULT.app
CONNECTION = DEFAULT.connection
FEATURES = DEFAULT.features
REGIONS_ATTRIBUTE = DEFAULT.regions_attribute


def group(key: str) -> str:
    """:meth:`ResourceNames.group` of the default component."""
    return DEFAULT.group(key)


def group_memberships(key: str) -> str:
    """:meth:`ResourceNames.group_memberships` of the default component."""
    return DEFAULT.group_memberships(key)


def group_rule(key: str) -> str:
    """:meth:`ResourceNames.group_rule` of the default component."""
    return DEFAULT.group_rule(key)


def group_assignment(key: str) -> str:
    """:meth:`ResourceNames.group_assignment` of the default component."""
    return DEFAULT.group_assignment(key)


def user_assignment(login: str) -> str:
    """:meth:`ResourceNames.user_assignment` of the default component."""
    return DEFAULT.user_assignment(login)
