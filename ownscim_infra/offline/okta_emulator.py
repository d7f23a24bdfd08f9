"""Okta's side of provisioning: who has the app, and what Okta's SCIM client sends to Own.

Nothing here reads the YAML config: :meth:`OktaApp.from_org` reads the app as the emulated
org holds it after the emulated ``pulumi up`` (:mod:`ownscim_infra.offline.engine`) applied
the program's plan, so a bug in the program, or in how the provider and the engine apply it,
changes what is sent. The rules implemented, and their sources:

- **Which assignment applies** (Okta, "Assign an app integration to a group": group
  priority; "app user profile"): a direct (person) assignment's profile wins over every
  group's; among the user's assigned groups, the one with the highest priority (lowest
  number) supplies the profile; a user neither assigned nor in an assigned group is not
  provisioned. Two groups with the same priority are ambiguous (Okta's pick is undefined);
  :func:`resolve` takes the first and reports the tie.
- **Where the attribute goes** (Okta, "SCIM 2.0 protocol reference", custom attributes):
  ``externalNamespace`` ``urn:ietf:params:scim:schemas:core:2.0:User`` puts
  ``externalName`` at the top level; any other namespace puts it in an object keyed by the
  namespace, which is added to ``schemas``.
- **What Okta's SCIM client sends** (same reference, and Okta's SCIM 2.0 spec-test
  collection): every request has ``User-Agent: Okta SCIM Client 1.0.0`` and
  ``Authorization`` equal to the API Token field verbatim; a user is looked up with
  ``GET /Users?filter=userName eq "..."&startIndex=1&count=100`` before it is created with
  ``POST /Users`` (Okta's full body, with a random ``password``); unassignment is the
  path-less ``PATCH {"op": "replace", "value": {"active": false}}``; re-assignment of a user
  Okta finds deactivated is the same PATCH with ``true``; a profile push (only with
  ``profile`` ENABLED) is ``GET /Users/{id}`` then ``PUT /Users/{id}`` with the whole user.
- **Not documented by Okta**, and chosen here: when a re-assigned user is found active,
  Okta links it without a request (plus the profile push when enabled); the re-assignment
  sends the new profile only through that push, never through the reactivation PATCH.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from ownscim_infra.config.directory import Directory, DirectoryUser
from ownscim_infra.domain.errors import InputError
from ownscim_infra.domain.own_setup import OWN_CAPABILITIES, REGIONS_ATTRIBUTE, okta_fold
from ownscim_infra.offline.okta_org import OktaOrg, OrgApp

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_AGENT = "Okta SCIM Client 1.0.0"
SCIM_JSON = "application/scim+json; charset=utf-8"


# --------------------------------------------------------------------------- the declared app


@dataclass(frozen=True)
class RegionsAttribute:
    """The declared app user schema property that carries ``regions``."""

    external_name: str
    external_namespace: str
    scope: str
    index: str = "regions"


@dataclass(frozen=True)
class Assignment:
    """One assignment of the app: a group (``group`` set, with ``priority`` as Okta holds it)
    or a person (``login`` set). ``profile`` is the app user profile it supplies; ``members``
    the folded logins of the group's members (``None``: read the directory's group names)."""

    resource: str
    profile: dict[str, Any]
    group: str | None = None
    priority: int | None = None
    login: str | None = None
    members: frozenset[str] | None = None


@dataclass(frozen=True)
class OktaApp:
    """The Okta app as the org holds it: provisioning capabilities (``source`` says where
    they were set), the ``regions`` attribute (``None``: none, nothing is sent), and every
    assignment."""

    capabilities: dict[str, str]
    capabilities_source: str
    attribute: RegionsAttribute | None
    assignments: tuple[Assignment, ...]

    @property
    def groups(self) -> list[Assignment]:
        """The group assignments, by priority."""
        return [a for a in self.assignments if a.group is not None]

    def enabled(self, capability: str) -> bool:
        """Whether ``lifecycleCreate`` / ``lifecycleDeactivate`` / ``profile`` is ENABLED."""
        return self.capabilities.get(capability) == "ENABLED"

    @classmethod
    def from_org(cls, org: OktaOrg, app_id: str | None, *, assignments: bool = True) -> OktaApp:
        """The app ``app_id`` as ``org`` holds it (``None``, or gone: an app with nothing);
        ``assignments=False``: its settings only (what provisioning a user reads), no assignment.

        Capabilities count only while the provisioning connection is ``ENABLED`` (Okta
        provisions nothing otherwise); then they are ``USER_PROVISIONING``'s as set, through
        the API or by hand.
        """
        app = org.apps.get(app_id or "")
        if app is None:
            return cls(dict.fromkeys(OWN_CAPABILITIES, "DISABLED"), "no app", None, ())
        by_hand = bool((app.connection or {}).get("byHand"))
        on = (app.connection or {}).get("status") == "ENABLED" and (by_hand or org.connection_api)
        if on and app.capabilities is not None:
            enabled = app.feature_status == "ENABLED"
            capabilities = {k: (v if enabled else "DISABLED") for k, v in app.capabilities.items()}
            source = "set by hand in the Admin Console" if by_hand else "USER_PROVISIONING set through Okta's API"
        else:
            capabilities = dict.fromkeys(OWN_CAPABILITIES, "DISABLED")
            source = f"provisioning is off: the connection is {org.connection_status(app.id)}"
        definition = app.schema.get(REGIONS_ATTRIBUTE)
        attribute = None
        if definition is not None:
            attribute = RegionsAttribute(
                external_name=definition.get("externalName") or definition.get("index", REGIONS_ATTRIBUTE),
                external_namespace=definition.get("externalNamespace", ""),
                scope=definition.get("scope", ""),
                index=definition.get("index", REGIONS_ATTRIBUTE),
            )
        if not assignments:
            return cls(capabilities, source, attribute, ())
        groups = _group_assignments(
            org, app, list(app.group_assignments), lambda gid: frozenset(okta_fold(u.login) for u in org.members(gid))
        )
        people = [
            Assignment(resource=f"user {user.login}", profile=dict(values), login=user.login)
            for uid, values in app.users.items()
            if (user := org.user(uid)) is not None
        ]
        return cls(capabilities, source, attribute, tuple([*groups, *people]))


def _group_assignments(
    org: OktaOrg,
    app: OrgApp,
    group_ids: list[str],
    members: Callable[[str], frozenset[str] | None] = lambda gid: None,
) -> list[Assignment]:
    """The app's assignments of the groups ``group_ids`` (those the org has), by priority then
    name, as Okta holds them; ``members`` gives each one's :attr:`Assignment.members`."""
    return sorted(
        (
            Assignment(
                resource=f"group {org.groups[gid].name}",
                profile=dict(held["profile"]),
                group=org.groups[gid].name,
                priority=held["priority"],
                members=members(gid),
            )
            for gid in group_ids
            if gid in org.groups and (held := app.group_assignments.get(gid)) is not None
        ),
        key=lambda a: (a.priority or 0, a.group or ""),
    )


# --------------------------------------------------------------------------- Okta's rules


@dataclass(frozen=True)
class ResolvedAssignment:
    """A user's app assignment as Okta resolves it: ``via`` is ``"direct"`` or
    ``"group NAME (priority N)"``; ``profile`` the app user profile; ``tied_with`` the other
    groups that have the same priority (Okta's pick among them is undefined)."""

    login: str
    via: str
    profile: dict[str, Any]
    resource: str
    tied_with: tuple[str, ...] = ()


def _applies(user: DirectoryUser, direct: Assignment | None, mine: list[Assignment]) -> ResolvedAssignment | None:
    """Okta's rule for one user: the ``direct`` assignment, else the highest priority of the
    user's group assignments ``mine`` (by priority, then name: the first of a tie is taken)."""
    if direct is not None:
        return ResolvedAssignment(user.login, "direct", direct.profile, direct.resource)
    if not mine:
        return None
    best = min(a.priority or 0 for a in mine)
    top = [a for a in mine if a.priority == best]
    chosen = top[0]
    return ResolvedAssignment(
        user.login,
        f"group {chosen.group} (priority {best})",
        chosen.profile,
        chosen.resource,
        tied_with=tuple(a.group or "" for a in top[1:]),
    )


def resolve(app: OktaApp, directory: Directory) -> dict[str, ResolvedAssignment]:
    """Each directory user's app assignment, by Okta's rules (see the module docstring).

    Returns ``{okta_fold(login): ResolvedAssignment}`` for assigned users only (logins compare as
    Okta compares them; ``ResolvedAssignment.login`` keeps the directory's spelling). Linear in
    the users, the groups and their members (a user's groups are found from the members, not
    by asking every group).
    """
    direct: dict[str, Assignment] = {}
    for a in app.assignments:
        if a.login:
            direct.setdefault(okta_fold(a.login), a)
    groups = app.groups
    by_member: dict[str, list[int]] = {}  # folded login -> the groups (by position) that list it
    by_name: dict[str, list[int]] = {}  # folded name -> the groups (by position) without a member list
    for position, a in enumerate(groups):
        if a.members is not None:
            for member in a.members:
                by_member.setdefault(member, []).append(position)
        else:
            by_name.setdefault(okta_fold(a.group or ""), []).append(position)
    result: dict[str, ResolvedAssignment] = {}
    for user in directory.users:
        key = okta_fold(user.login)
        mine: list[Assignment] = []
        if key not in direct:
            positions = set(by_member.get(key, ()))
            for name in user.groups if by_name else ():
                positions.update(by_name.get(okta_fold(name), ()))
            mine = [groups[p] for p in sorted(positions)]  # in priority order
        resolved = _applies(user, direct.get(key), mine)
        if resolved is not None:
            result[key] = resolved
    return result


def resolve_user(org: OktaOrg, app_id: str | None, user: DirectoryUser) -> ResolvedAssignment | None:
    """One user's assignment of the app ``app_id`` as ``org`` holds it now (``None``: not
    assigned): what :func:`resolve` gives for the user, read from the org directly, in time
    proportional to the user's groups (the incremental provisioning of :class:`~.rollout.Rollout`)."""
    app = org.apps.get(app_id or "")
    if app is None:
        return None
    values = app.users.get(user.okta_id)
    direct = None if values is None else Assignment(f"user {user.login}", dict(values), login=user.login)
    mine = [] if direct is not None else _group_assignments(org, app, org.group_ids_of(user))
    return _applies(user, direct, mine)


def create_body(user: DirectoryUser, profile: dict[str, Any], attribute: RegionsAttribute | None) -> dict[str, Any]:
    """Okta's ``POST /Users`` body for ``user`` with app user ``profile``.

    The ``regions`` value is placed by the attribute's ``externalNamespace``: top level for
    ``urn:ietf:params:scim:schemas:core:2.0:User``, else ``{namespace: {externalName: v}}``
    with the namespace added to ``schemas``. No attribute, or no value: nothing is sent.
    """
    body: dict[str, Any] = {
        "schemas": [CORE_USER],
        "userName": user.login,
        "name": {"givenName": user.first_name, "familyName": user.last_name},
        "emails": [{"primary": True, "value": user.primary_email, "type": "work"}],
        "displayName": f"{user.first_name} {user.last_name}",
        "locale": "en-US",
        "externalId": user.okta_id,
        "groups": [],
        "password": secrets.token_urlsafe(12),
        "active": True,
    }
    value = profile.get(attribute.index) if attribute else None
    if attribute is not None and value not in (None, ""):
        if attribute.external_namespace == CORE_USER:
            body[attribute.external_name] = value
        else:
            body["schemas"].append(attribute.external_namespace)
            body.setdefault(attribute.external_namespace, {})[attribute.external_name] = value
    return body


def regions_sent(body: dict[str, Any] | None, attribute: RegionsAttribute | None) -> str | None:
    """The ``regions`` value a create body carries, wherever Okta placed it, or ``None``."""
    if body is None or attribute is None:
        return None
    if attribute.external_namespace == CORE_USER:
        return body.get(attribute.external_name)
    return (body.get(attribute.external_namespace) or {}).get(attribute.external_name)


# --------------------------------------------------------------------------- Okta's SCIM client


@dataclass
class Exchange:
    """One request Okta sent and what the receiver answered (``detail``/``scimType`` from a
    SCIM error). ``login`` ties it to a user."""

    login: str
    method: str
    path: str
    status: int
    scim_type: str | None = None
    detail: str | None = None

    def render(self) -> str:
        """``METHOD path -> status`` plus the SCIM error's ``scimType`` and ``detail``."""
        error = f" {self.scim_type or ''} {self.detail or ''}".rstrip() if self.status >= 400 else ""
        return f"{self.method} {self.path} -> {self.status}{error}"


class ReceiverError(InputError):
    """The receiver cannot be used at all (unreachable, or it rejects the token): nothing
    about any user can be concluded. The message names the URL, never the token."""


def check_receiver_url(url: str) -> None:
    """Refuse a receiver URL that is not ``http(s)://host[:port]/path``: one with credentials
    (``user:pass@``), a query or a fragment would put a secret where URLs get logged and echoed
    (the token is ``OWN_SCIM_TOKEN``, sent in the ``Authorization`` header). The message never
    repeats the URL's userinfo, query or fragment.

    :raises ReceiverError: the URL is not usable; the message says why.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        raise ReceiverError("the receiver URL is not a valid URL (expected http(s)://HOST:PORT/scim/v2)") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ReceiverError("the receiver URL must start with http:// or https:// and name a host")
    if parts.username is not None or parts.password is not None:
        raise ReceiverError(
            "the receiver URL must not carry credentials (user:password@): give Own's SCIM token in OWN_SCIM_TOKEN"
        )
    if parts.query or parts.fragment:
        raise ReceiverError("the receiver URL must not have a query string or a fragment: it is the SCIM base URL")


@dataclass
class OktaScimClient:
    """Okta's SCIM 2.0 client against ``base_url`` (e.g. ``http://127.0.0.1:8000/scim/v2``),
    sending ``Authorization: <token>`` verbatim. Every exchange is kept in ``exchanges``.
    Never logs or stores the token."""

    base_url: str
    token: str = field(repr=False)
    exchanges: list[Exchange] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_receiver_url(self.base_url)
        self._http = httpx.Client(
            base_url=self.base_url.rstrip("/"),
            headers={"User-Agent": USER_AGENT, "Authorization": self.token, "Accept": "application/scim+json"},
            timeout=30.0,
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def _send(
        self,
        login: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> tuple[int, dict[str, Any] | None]:
        content = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": SCIM_JSON} if body is not None else {}
        try:
            response = self._http.request(method, path, content=content, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise ReceiverError(f"cannot reach the receiver at {self.base_url}: {type(exc).__name__}: {exc}") from None
        if response.status_code == 401:
            raise ReceiverError(
                f"the receiver at {self.base_url} rejected the token (401): Okta would show "
                "'Authentication failed' on Test API Credentials; check the API Token field"
            )
        try:
            doc = response.json() if response.content else None
        except ValueError:
            doc = None
        exchange = Exchange(
            login, method, path if not params else f"{path}?filter={params['filter']}", response.status_code
        )
        if response.status_code >= 400 and isinstance(doc, dict):
            exchange.scim_type, exchange.detail = doc.get("scimType"), doc.get("detail")
        self.exchanges.append(exchange)
        return response.status_code, doc if isinstance(doc, dict) else None

    def find(self, login: str) -> dict[str, Any] | None:
        """``GET /Users?filter=userName eq "login"&startIndex=1&count=100``: the user or None."""
        status, doc = self._send(
            login, "GET", "/Users", params={"filter": f'userName eq "{login}"', "startIndex": 1, "count": 100}
        )
        if status != 200 or doc is None:
            raise ReceiverError(
                f"the receiver answered {status} to a user lookup (GET /Users?filter=...): is "
                f"{self.base_url} its SCIM base URL (ending in /scim/v2)?"
            )
        total, resources = doc.get("totalResults", 0), doc.get("Resources") or []
        if not isinstance(total, int) or isinstance(total, bool) or not isinstance(resources, list):
            raise self._malformed("a user lookup (GET /Users?filter=...)", "a ListResponse (RFC 7644 §3.4.2)")
        if total > 0 and resources:
            return self._user(resources[0], "a user lookup (GET /Users?filter=...)")
        return None

    def create(self, login: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """``POST /Users``; the created user (201) or None."""
        status, doc = self._send(login, "POST", "/Users", body)
        return self._user(doc, "a create (POST /Users)") if status == 201 else None

    def _user(self, resource: Any, request: str) -> dict[str, Any]:
        """``resource`` if it is a User with a string ``id`` (RFC 7643 §3.1), as Okta needs.

        :raises ReceiverError: it is not."""
        if not isinstance(resource, dict) or not isinstance(resource.get("id"), str) or not resource["id"]:
            raise self._malformed(request, "a User with an id (RFC 7643 §3.1)")
        return resource

    def _malformed(self, request: str, expected: str) -> ReceiverError:
        return ReceiverError(
            f"the receiver at {self.base_url} answered {request} with a body that is not {expected}: "
            "Okta would stop provisioning this user; is it a SCIM 2.0 server?"
        )

    def set_active(self, login: str, user_id: str, active: bool) -> bool:
        """Okta's path-less ``PATCH /Users/{id}`` setting ``active``; true on 200/204."""
        body = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": active}}]}
        status, _ = self._send(login, "PATCH", f"/Users/{user_id}", body)
        return status in (200, 204)

    def push_profile(self, login: str, user_id: str, new_body: dict[str, Any]) -> bool:
        """A profile push: ``GET /Users/{id}`` then ``PUT /Users/{id}`` with the whole user
        (Okta's fields from ``new_body`` over what the receiver returned); true on 200."""
        status, current = self._send(login, "GET", f"/Users/{user_id}")
        if status != 200 or current is None:
            return False
        body = {k: v for k, v in current.items() if k != "meta"}
        body.update({k: v for k, v in new_body.items() if k != "password"})
        body["id"] = user_id
        status, _ = self._send(login, "PUT", f"/Users/{user_id}", body)
        return status == 200


# --------------------------------------------------------------------------- sync


@dataclass
class Sent:
    """What Okta sent for one user in the last sync: the ``regions`` value of its create
    body or profile push (``None``: no value, Own's "all regions")."""

    regions: str | None = None


class OktaEmulator:
    """Okta's provisioning of one app, from one state of the app and directory to the next.

    :meth:`sync` brings Own from the app users of ``before`` to those of ``after``: a user
    who gains the app is provisioned, one who loses it is deactivated, one whose app
    profile changes gets a profile push (only if ``profile`` is ENABLED).
    """

    def __init__(self, client: OktaScimClient) -> None:
        self.client = client
        self.ids: dict[str, str] = {}
        self.sent: dict[str, Sent] = {}
        self.skipped: dict[str, list[str]] = {}
        # every per-user record is keyed by okta_fold(login)
        #: logins Okta found deactivated in Own and reactivated on re-assignment
        self.reactivated: set[str] = set()
        #: logins Okta found already in Own on assignment, and linked without a create
        self.linked: set[str] = set()

    def _skip(self, login: str, why: str) -> None:
        self.skipped.setdefault(okta_fold(login), []).append(why)

    def _id(self, login: str) -> str | None:
        key = okta_fold(login)
        if key not in self.ids:
            found = self.client.find(login)
            if found:
                self.ids[key] = found["id"]
        return self.ids.get(key)

    def provision(self, app: OktaApp, user: DirectoryUser, app_user: ResolvedAssignment) -> None:
        """Okta assigns ``user``: look up, then create, or reactivate, and push the profile."""
        body = create_body(user, app_user.profile, app.attribute)
        found = self.client.find(user.login)
        if found is None:
            if not app.enabled("lifecycleCreate"):
                self._skip(user.login, "not created: Create Users (lifecycleCreate) is not enabled")
                return
            self.sent[okta_fold(user.login)] = Sent(regions_sent(body, app.attribute))
            created = self.client.create(user.login, body)
            if created:
                self.ids[okta_fold(user.login)] = created["id"]
            return
        self.ids[okta_fold(user.login)] = found["id"]
        self.linked.add(okta_fold(user.login))
        if not found.get("active", True):
            if not app.enabled("lifecycleDeactivate"):
                self._skip(user.login, "not reactivated: Deactivate Users (lifecycleDeactivate) is not enabled")
            elif self.client.set_active(user.login, found["id"], True):
                self.reactivated.add(okta_fold(user.login))
        if app.enabled("profile"):
            self.sent[okta_fold(user.login)] = Sent(regions_sent(body, app.attribute))
            self.client.push_profile(user.login, found["id"], body)

    def deprovision(self, app: OktaApp, login: str) -> None:
        """Okta unassigns ``login``: deactivate (never delete) if Deactivate Users is on."""
        if not app.enabled("lifecycleDeactivate"):
            self._skip(login, "not deactivated: Deactivate Users (lifecycleDeactivate) is not enabled")
            return
        user_id = self._id(login)
        if user_id is not None:
            self.client.set_active(login, user_id, False)

    def update(self, app: OktaApp, user: DirectoryUser, app_user: ResolvedAssignment) -> None:
        """The app user's profile changed in place: pushed only if ``profile`` is ENABLED."""
        if not app.enabled("profile"):
            self._skip(
                user.login,
                "Okta changed the user's app profile in place (the user kept the app) and pushed "
                "nothing: Update User Attributes is off, as Own requires, so Own keeps the "
                "regions it created the user with",
            )
            return
        user_id = self._id(user.login)
        if user_id is not None:
            body = create_body(user, app_user.profile, app.attribute)
            self.sent[okta_fold(user.login)] = Sent(regions_sent(body, app.attribute))
            self.client.push_profile(user.login, user_id, body)

    def start_run(self) -> None:
        """Forget what earlier runs sent: :attr:`sent` holds what the syncs since sent."""
        self.sent = {}

    def sync(self, before: tuple[OktaApp, Directory] | None, after: tuple[OktaApp, Directory]) -> None:
        """Apply the change from ``before`` (``None``: nothing assigned yet) to ``after``;
        what is sent is added to :attr:`sent`."""
        app, directory = after
        old = resolve(*before) if before else {}
        new = resolve(app, directory)
        current = {okta_fold(u.login) for u in directory.users}
        self.apply(app, directory.users, old, new, [was for key, was in old.items() if key not in current])

    def apply(
        self,
        app: OktaApp,
        users: Iterable[DirectoryUser],
        old: Mapping[str, ResolvedAssignment],
        new: Mapping[str, ResolvedAssignment],
        gone: Iterable[ResolvedAssignment] = (),
    ) -> None:
        """Provision the change of each of ``users`` from its assignment in ``old`` to the
        one in ``new`` (both keyed by folded login; absent: not assigned), in order, then
        deactivate ``gone`` (assigned users no longer in the directory). ``app`` gives the
        provisioning settings (its assignments are not read)."""
        for user in users:
            was, now = old.get(okta_fold(user.login)), new.get(okta_fold(user.login))
            if now and not was:
                self.provision(app, user, now)
            elif was and not now:
                self.deprovision(app, user.login)
            elif was and now and was.profile != now.profile:
                self.update(app, user, now)
        for was in gone:
            self.deprovision(app, was.login)
