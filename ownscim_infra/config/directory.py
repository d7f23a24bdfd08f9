"""The Okta directory the simulation provisions from: users and their group memberships.

Shape (``config/example-directory.yaml``)::

    users:
      - login: dana.lee@example.com     # Okta login (userName sent to Own)
        first_name: Dana                # profile.firstName -> name.givenName
        last_name: Lee                  # profile.lastName  -> name.familyName
        email: dana.lee@example.com     # default: the login
        groups: [Own EMEA]              # Okta group names (any group; only assigned ones count)

Validated to the same standard as the config (:func:`ownscim_infra.config.validate_document`):
unknown keys, duplicate logins, empty names are errors naming the file and key path.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import Field

from ownscim_infra.config.models import StrictModel, Text
from ownscim_infra.config.validation import duplicate_issues, validate_document
from ownscim_infra.config.yaml_reader import read_yaml
from ownscim_infra.domain.own_setup import okta_fold


class DirectoryUser(StrictModel):
    """``users[i]``: one Okta user."""

    login: Text = Field(
        min_length=1,
        max_length=100,
        pattern=r"^\S+$",
        description="The Okta login: the userName Okta sends to Own.",
    )
    first_name: Text = Field(min_length=1, description="profile.firstName, sent as name.givenName.")
    last_name: Text = Field(min_length=1, description="profile.lastName, sent as name.familyName.")
    email: Text | None = Field(
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="profile.email, sent as the primary work email; default: the login.",
    )
    groups: list[Text] = Field(
        default_factory=list,
        description="The Okta groups the user is in (any group; only those assigned to the app count).",
    )

    @property
    def primary_email(self) -> str:
        """``email``, or the login when it is not given."""
        return self.email or self.login

    @property
    def okta_id(self) -> str:
        """A stable Okta-style user id (``00u`` + 17 characters), sent as ``externalId``."""
        return "00u" + hashlib.sha256(okta_fold(self.login).encode()).hexdigest()[:17]

    def in_group(self, name: str) -> bool:
        """Membership, comparing group names case-insensitively as Okta does."""
        return okta_fold(name) in {okta_fold(g) for g in self.groups}


class Directory(StrictModel):
    """The whole directory file."""

    users: list[DirectoryUser] = Field(default_factory=list, description="The Okta users.")

    def user(self, login: str) -> DirectoryUser | None:
        """The user with ``login`` (case-insensitive), or ``None``."""
        folded = okta_fold(login)
        return next((u for u in self.users if okta_fold(u.login) == folded), None)


def parse_directory(data: Any, file: str | Path = "<directory>") -> Directory:
    """Validate a parsed directory document; raises :class:`ConfigError` with every problem."""
    duplicates = (
        duplicate_issues(data, [("users", "login", "login")], resource_names=False) if isinstance(data, dict) else []
    )
    return validate_document(Directory, data, file, extra_issues=duplicates, sections=("users",))


def load_directory(path: str | Path) -> Directory:
    """Read and validate a directory file; raises :class:`ConfigError` (file, key path, value)."""
    return parse_directory(read_yaml(path), path)
