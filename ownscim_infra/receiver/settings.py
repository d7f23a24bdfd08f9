"""The receiver's settings: the account's regions, its business unit, the token, the database.

The token is a secret: it is read from the ``OWN_SCIM_TOKEN`` environment variable or from a
file, never from the command line, and it is kept out of ``repr`` and of every log line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ownscim_infra.domain.errors import InputError
from ownscim_infra.domain.own_setup import DEFAULT_BUSINESS_UNIT, READ_ONLY_ROLE, region_code
from ownscim_infra.domain.regions import split_regions

#: Environment variable holding Own's SCIM token.
TOKEN_ENV = "OWN_SCIM_TOKEN"

#: Schema URN of Own's extension of the User resource (declared in ``/Schemas``): where the
#: receiver shows the regions, role and business unit it holds for a user.
OWN_USER_SCHEMA = "urn:ownscim:params:scim:schemas:extension:own:2.0:User"

#: Most operations one PATCH may carry (Okta sends one); more is a 400 before any is applied.
MAX_PATCH_OPERATIONS = 100

#: Most comparisons and presence tests (``userName eq "x"``, ``title pr``) one filter may hold,
#: those inside a value path (``emails[type eq "work"]``) included; Okta's lookup has one.
MAX_FILTER_CLAUSES = 20

#: Longest filter accepted, in characters, checked before the filter is parsed.
MAX_FILTER_LENGTH = 4096

__all__ = [
    "DEACTIVATIONS",
    "DEFAULT_BUSINESS_UNIT",
    "MAX_FILTER_CLAUSES",
    "MAX_FILTER_LENGTH",
    "MAX_PATCH_OPERATIONS",
    "OWN_USER_SCHEMA",
    "READ_ONLY_ROLE",
    "TOKEN_ENV",
    "Deactivation",
    "ReceiverSettings",
    "SettingsError",
    "StartupError",
    "load_token",
    "parse_region_list",
]

AttributeUpdates = Literal["refuse", "apply"]
Durability = Literal["full", "normal"]
#: What a deactivation (``active`` set to false by PATCH or PUT) does to the account:
#: ``remove`` (Own's documented deprovisioning) or ``keep`` (kept, inactive).
Deactivation = Literal["remove", "keep"]
#: The values of :data:`Deactivation`, the default first.
DEACTIVATIONS: tuple[Deactivation, ...] = ("remove", "keep")


class SettingsError(InputError, ValueError):
    """A setting is missing or invalid; the message is one line, safe to print (no secret).

    An :class:`~ownscim_infra.domain.errors.InputError`: ``ownscim receiver`` prints it as
    ``receiver: <message>`` and exits 2, as every command does with bad input."""


class StartupError(SettingsError):
    """The receiver cannot start with these settings: its database cannot be opened, written or
    is corrupt, or its address cannot be bound. The message is one line naming the file or the
    address and the cause (no secret, no traceback)."""


def parse_region_list(value: str) -> tuple[str, ...]:
    """Parse ``--regions``: a comma-separated list such as ``us1,emea2`` -> ``("us1", "emea2")``.

    Spaces are stripped, codes are lower-cased (:func:`ownscim_infra.domain.own_setup.region_code`,
    the config's rule), duplicates dropped (first wins).

    :raises SettingsError: when no region is given, or a code is not a region code.
    """
    regions = _region_codes(p for p in split_regions(value) if p)
    if not regions:
        raise SettingsError("--regions needs at least one region, e.g. --regions us1,emea2")
    return regions


def _region_codes(values: Iterable[object]) -> tuple[str, ...]:
    codes = []
    for value in values:
        try:
            codes.append(region_code(value))
        except ValueError as exc:
            raise SettingsError(f"--regions: {str(value).strip()!r}: {exc}") from None
    return tuple(dict.fromkeys(codes))


@dataclass(frozen=True)
class ReceiverSettings:
    """Everything the receiver needs to behave like Own's SCIM endpoint for one account.

    :param regions: the account's Own regions (lower-case codes such as ``us1``, ``emea2``).
        A user created with no ``regions`` value is placed in all of them.
    :param token: Own's SCIM token; ``Authorization`` must be it or ``Bearer <it>``.
        Never shown in ``repr``.
    :param db_path: the SQLite file the users are kept in (created if missing).
    :param business_unit: the name of the account's business unit. Own requires
        ``Default Business Unit``; any other value reproduces Own's "renamed or deleted"
        failure: every create is refused.
    :param attribute_updates: ``refuse`` (Own's behaviour: a PUT/PATCH changing anything
        but ``active`` is a 400 ``mutability`` error) or ``apply`` (the SCIM machinery
        applies it, to check the receiver in full).
    :param deactivation: what a deactivation (a PATCH or PUT leaving ``active`` false) does to
        the account. ``remove`` (default), Own's documented behaviour: its setup page moves a
        user by unassigning then assigning, and its "Provisioning and Deprovisioning SCIM" page
        says "Deprovisioning removes user accounts"; the request is answered 200 with the user
        as deactivated, then the account is gone (``GET /Users/{id}`` 404, Okta's lookup
        ``totalResults`` 0), so a re-assignment creates it anew (Read-only, Default Business
        Unit). What Own answers on the wire after removal is undocumented: this is the
        RFC 7644-consistent choice. ``keep``: the user stays, inactive, with its regions, role
        and business unit (a re-assignment reactivates it).
    :param durability: ``full`` (SQLite ``synchronous=FULL``: the WAL is flushed to disk before
        a write is acknowledged, so an acknowledged create survives a process crash and a power
        loss) or ``normal`` (``synchronous=NORMAL``: flushed at checkpoints only; survives a
        process crash, but a power loss or OS crash may undo the last acknowledged writes).
    :param max_patch_operations: most operations in one PATCH (RFC 7644 §3.5.2).
    :param max_filter_clauses: most comparisons/presence tests in one filter (RFC 7644 §3.4.2.2).
    :param max_filter_length: longest filter, in characters.
    :param header_timeout: seconds a client has, from the first byte of a request, to send all
        its headers; then the connection is closed (after a 408 SCIM error).
    :param body_timeout: seconds a client has, once the headers are in, to send the whole body;
        then it gets a 408 SCIM error and the connection is closed.
    :param idle_timeout: seconds an idle connection (no request in progress) is kept open.
    :param max_connections: most open connections; a connection over it gets a 503 SCIM error
        and is closed at once.
    :param busy_timeout: seconds a write waits for a lock another process holds on the
        database before the request gets a 503 with ``Retry-After``.
    :raises SettingsError: on an empty region list, an empty token, an unknown mode or a bound
        that is not positive.
    """

    regions: tuple[str, ...]
    token: str = field(repr=False)
    db_path: str | Path
    business_unit: str = DEFAULT_BUSINESS_UNIT
    attribute_updates: AttributeUpdates = "refuse"
    durability: Durability = "full"
    deactivation: Deactivation = "remove"
    max_patch_operations: int = MAX_PATCH_OPERATIONS
    max_filter_clauses: int = MAX_FILTER_CLAUSES
    max_filter_length: int = MAX_FILTER_LENGTH
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    idle_timeout: float = 5.0
    max_connections: int = 100
    busy_timeout: float = 1.0

    def __post_init__(self) -> None:
        regions = self.regions
        if isinstance(regions, str):
            regions = parse_region_list(regions)
        regions = _region_codes(r for r in regions if str(r).strip())
        if not regions:
            raise SettingsError("the account needs at least one region")
        object.__setattr__(self, "regions", regions)
        if not isinstance(self.token, str) or not self.token.strip():
            raise SettingsError(f"the SCIM token is empty: set {TOKEN_ENV} or use --token-file")
        if self.attribute_updates not in ("refuse", "apply"):
            raise SettingsError("attribute_updates must be 'refuse' or 'apply'")
        if self.durability not in ("full", "normal"):
            raise SettingsError("durability must be 'full' or 'normal'")
        if self.deactivation not in DEACTIVATIONS:
            raise SettingsError(f"deactivation must be 'remove' or 'keep', not {self.deactivation!r}")
        for name in (
            "max_patch_operations",
            "max_filter_clauses",
            "max_filter_length",
            "header_timeout",
            "body_timeout",
            "idle_timeout",
            "max_connections",
            "busy_timeout",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise SettingsError(f"{name} must be a positive number, not {value!r}")


def load_token(token_file: str | Path | None = None, environ: dict[str, str] | None = None) -> str:
    """Return Own's SCIM token, from ``token_file`` if given, else from ``OWN_SCIM_TOKEN``.

    The file's content is stripped of surrounding whitespace (a trailing newline is usual).

    :raises SettingsError: when the file cannot be read, or no token is found. The message
        names the source, never the token.
    """
    if token_file is not None:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"cannot read the token file {token_file}: {exc.__class__.__name__}") from None
        if not token:
            raise SettingsError(f"the token file {token_file} is empty")
        return token
    env = os.environ if environ is None else environ
    token = env.get(TOKEN_ENV, "").strip()
    if not token:
        raise SettingsError(f"no SCIM token: set {TOKEN_ENV} or pass --token-file FILE")
    return token
