"""A fake of the few Okta Management API endpoints ``verify`` and ``adopt`` read.

Served over real HTTP on 127.0.0.1 (a Starlette app under uvicorn, port chosen by the OS),
so the ``okta`` SDK talks to it unchanged. The JSON is shaped as in Okta's OpenAPI spec
(the models the SDK is generated from): Application, ProvisioningConnectionResponse,
ApplicationFeature (USER_PROVISIONING with ``capabilities``), GroupPushMapping, the app user
schema (``definitions.custom.properties``), ApplicationGroupAssignment, AppUser, Group, User,
and Okta's Error object. Lists are paginated as Okta does: ``limit`` and an opaque ``after``
cursor, with ``Link: <...>; rel="self"`` and ``Link: <...>; rel="next"`` headers.

:class:`FakeOrg` holds the org's state (plain dicts, mutate them in a test) and what was
asked of it (``requests``). :meth:`FakeOrg.rate_limit` makes the next matching requests
answer 429 with ``X-Rate-Limit-*`` and ``Retry-After`` headers.

Fixtures (import them in a test module): ``okta_server`` (session: the running server),
``fake_org`` (a fresh org in sync with ``config/example.yaml``, and the environment pointing
the CLI at it).
"""

from __future__ import annotations

import copy
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ownscim_infra.config import OwnScimConfig
from ownscim_infra.domain.own_setup import CATALOG_APP, REGIONS_NAMESPACE
from ownscim_infra.domain.priorities import group_priority
from ownscim_infra.domain.regions import join_regions

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "example.yaml"
#: The API token the fake accepts; tests assert it never shows up in any output.
TOKEN = "fake-okta-api-token-0123456789-SECRET"
APP_ID = "0oa1own2scim3app4"
TS = "2024-05-01T10:00:00.000Z"


def okta_error(status: int, code: str, summary: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """Okta's Error object."""
    return JSONResponse(
        {"errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": f"oae{code}", "errorCauses": []},
        status_code=status,
        headers=headers,
    )


@dataclass
class FakeOrg:
    """The state of one fake org. Keys are Okta ids; values are Okta JSON objects."""

    apps: dict[str, dict[str, Any]] = field(default_factory=dict)
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    features: dict[str, dict[str, Any]] = field(default_factory=dict)  # app id -> USER_PROVISIONING
    push_mappings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    app_groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # in priority order
    app_users: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 2
    token: str = TOKEN
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    _throttle: list[list[Any]] = field(default_factory=list)

    # ---- helpers for tests

    def rate_limit(self, path_prefix: str, times: int = 1) -> None:
        """Answer the next ``times`` GETs whose path starts with ``path_prefix`` with 429."""
        self._throttle.append([path_prefix, times])

    def group_id(self, name: str) -> str:
        return next(gid for gid, g in self.groups.items() if g["profile"]["name"] == name)

    def user_id(self, login: str) -> str:
        return next(uid for uid, u in self.users.items() if u["profile"]["login"] == login)

    def add_group(self, name: str, gid: str | None = None, gtype: str = "OKTA_GROUP") -> str:
        gid = gid or f"00g{len(self.groups) + 1:03d}{name.lower().replace(' ', '')[:8]}"
        self.groups[gid] = {
            "id": gid,
            "created": TS,
            "lastUpdated": TS,
            "lastMembershipUpdated": TS,
            "objectClass": ["okta:user_group"],
            "type": gtype,
            "profile": {"name": name, "description": None},
            "_links": {},
        }
        return gid

    def add_user(self, login: str) -> str:
        uid = f"00u{len(self.users) + 1:03d}{login.split('@')[0].replace('.', '')[:8]}"
        first, _, last = login.split("@")[0].partition(".")
        self.users[uid] = {
            "id": uid,
            "status": "ACTIVE",
            "created": TS,
            "activated": TS,
            "statusChanged": TS,
            "lastLogin": None,
            "lastUpdated": TS,
            "passwordChanged": TS,
            "type": {"id": "oty1"},
            "profile": {"firstName": first.title(), "lastName": last.title() or "User", "login": login, "email": login},
            "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
            "_links": {},
        }
        return uid

    def assign_group(self, app_id: str, gid: str, priority: int, profile: dict[str, Any]) -> None:
        self.app_groups.setdefault(app_id, []).append(
            {"id": gid, "lastUpdated": TS, "priority": priority, "profile": profile, "_links": {}}
        )

    def assign_user(self, app_id: str, uid: str, scope: str, profile: dict[str, Any]) -> None:
        login = self.users[uid]["profile"]["login"]
        self.app_users.setdefault(app_id, []).append(
            {
                "id": uid,
                "externalId": None,
                "created": TS,
                "lastUpdated": TS,
                "scope": scope,
                "status": "PROVISIONED",
                "statusChanged": TS,
                "passwordChanged": None,
                "syncState": "SYNCHRONIZED",
                "lastSync": TS,
                "credentials": {"userName": login},
                "profile": profile,
                "_links": {},
            }
        )

    def app_user(self, app_id: str, login: str) -> dict[str, Any]:
        uid = self.user_id(login)
        return next(u for u in self.app_users[app_id] if u["id"] == uid)

    def app_group(self, app_id: str, name: str) -> dict[str, Any]:
        gid = self.group_id(name)
        return next(a for a in self.app_groups[app_id] if a["id"] == gid)


def app_object(
    app_id: str, label: str, *, status: str = "ACTIVE", name: str = CATALOG_APP, features: list[str] | None = None
) -> dict[str, Any]:
    """An Application object of the Header Auth SCIM test app (SWA, AUTO_LOGIN)."""
    return {
        "id": app_id,
        "name": name,
        "label": label,
        "status": status,
        "created": TS,
        "lastUpdated": TS,
        "accessibility": {"selfService": False, "errorRedirectUrl": None, "loginRedirectUrl": None},
        "visibility": {"autoSubmitToolbar": False, "hide": {"iOS": True, "web": True}, "appLinks": {"login": True}},
        "features": features if features is not None else ["PUSH_NEW_USERS", "PUSH_USER_DEACTIVATION"],
        "signOnMode": "AUTO_LOGIN",
        "credentials": {
            "scheme": "EDIT_USERNAME_AND_PASSWORD",
            "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
            "revealPassword": False,
            "signing": {},
        },
        "settings": {"app": {}, "notifications": {"vpn": {"network": {"connection": "DISABLED"}}}, "signOn": {}},
        "_links": {"self": {"href": f"/api/v1/apps/{app_id}"}},
    }


def feature_object(
    create: str = "ENABLED", deactivate: str = "ENABLED", profile: str = "DISABLED", status: str = "ENABLED"
) -> dict[str, Any]:
    """ApplicationFeature ``USER_PROVISIONING``."""
    return {
        "name": "USER_PROVISIONING",
        "status": status,
        "description": "User provisioning settings from Okta to a downstream app",
        "capabilities": {
            "create": {"lifecycleCreate": {"status": create}},
            "update": {
                "lifecycleDeactivate": {"status": deactivate},
                "profile": {"status": profile},
                "password": {"status": "DISABLED", "seed": "RANDOM", "change": "KEEP_EXISTING"},
            },
        },
        "_links": {},
    }


def schema_object(app_id: str, custom: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The app user schema (``GET /api/v1/meta/schemas/apps/{appId}/default``)."""
    return {
        "id": f"/meta/schemas/apps/{app_id}/default",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": CATALOG_APP,
        "title": "SCIM 2.0 Test App (Header Auth) User",
        "lastUpdated": TS,
        "created": TS,
        "definitions": {
            "custom": {"id": "#custom", "type": "object", "properties": custom, "required": []},
            "base": {
                "id": "#base",
                "type": "object",
                "properties": {
                    "userName": {
                        "title": "Username",
                        "type": "string",
                        "required": True,
                        "scope": "NONE",
                        "maxLength": 100,
                        "master": {"type": "PROFILE_MASTER"},
                    }
                },
                "required": ["userName"],
            },
        },
        "type": "object",
        "properties": {"profile": {"allOf": [{"$ref": "#/definitions/custom"}, {"$ref": "#/definitions/base"}]}},
    }


def regions_property(**overrides: Any) -> dict[str, Any]:
    """The ``regions`` custom property as the program declares it."""
    prop = {
        "title": "regions",
        "description": "Own regions, comma-separated",
        "type": "string",
        "scope": "NONE",
        "externalName": "regions",
        "externalNamespace": REGIONS_NAMESPACE,
        "mutability": "READ_WRITE",
        "master": {"type": "PROFILE_MASTER"},
        "permissions": [{"principal": "SELF", "action": "READ_WRITE"}],
    }
    prop.update(overrides)
    return prop


def org_in_sync(config: OwnScimConfig, app_id: str = APP_ID) -> FakeOrg:
    """An org set up exactly as the program would set it up for ``config``."""
    org = FakeOrg()
    org.apps[app_id] = app_object(app_id, config.app.label)
    org.connections[app_id] = {
        "authScheme": "TOKEN",
        "baseUrl": config.app.scim_base_url,
        "profile": {"authScheme": "TOKEN"},
        "status": "ENABLED",
        "_links": {},
    }
    org.features[app_id] = feature_object()
    org.push_mappings[app_id] = []
    org.schemas[app_id] = schema_object(app_id, {"regions": regions_property()})
    org.add_group("Everyone", "00g000everyone", "BUILT_IN")
    for position, g in enumerate(config.groups):
        priority = group_priority(position)
        gid = org.add_group(g.name)
        org.assign_group(app_id, gid, priority, {"regions": join_regions(g.regions)})
    # a member of the first group gets the app through it
    member = org.add_user("grace.member@example.com")
    if config.groups:
        org.assign_user(app_id, member, "GROUP", {"regions": join_regions(config.groups[0].regions)})
    for p in config.people:
        uid = org.add_user(p.login)
        org.assign_user(app_id, uid, "USER", {} if p.regions is None else {"regions": join_regions(p.regions)})
    org.add_user("not.assigned@example.com")
    return org


# --------------------------------------------------------------------------- the app


class FakeOkta:
    """The ASGI app; ``org`` is swapped per test."""

    def __init__(self) -> None:
        self.org = FakeOrg()
        self.base_url = ""
        #: path -> what to answer instead of Okta (a hostile or broken server); see :meth:`answer`
        self.answers: dict[str, Callable[[Request], Response]] = {}
        self.app = Starlette(
            routes=[
                Route("/api/v1/apps", self.list_apps),
                Route("/api/v1/apps/{app_id}", self.get_app),
                Route("/api/v1/apps/{app_id}/connections/default", self.get_connection),
                Route("/api/v1/apps/{app_id}/features/{name}", self.get_feature),
                Route("/api/v1/apps/{app_id}/group-push/mappings", self.list_push),
                Route("/api/v1/meta/schemas/apps/{app_id}/default", self.get_schema),
                Route("/api/v1/apps/{app_id}/groups", self.list_app_groups),
                Route("/api/v1/apps/{app_id}/users", self.list_app_users),
                Route("/api/v1/groups", self.list_groups),
                Route("/api/v1/groups/{group_id}", self.get_group),
                Route("/api/v1/users/{id_or_login}", self.get_user),
            ]
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope, receive)
        org = self.org
        org.requests.append((request.method, request.url.path, dict(request.query_params)))
        if request.headers.get("authorization") != f"SSWS {org.token}":
            return await okta_error(401, "E0000011", "Invalid token provided")(scope, receive, send)
        # Okta's 429: the SDK waits until X-Rate-Limit-Reset (epoch seconds), measured
        # against the response's Date header (uvicorn sends it), then retries.
        for rule in org._throttle:
            if rule[1] > 0 and request.url.path.startswith(rule[0]):
                rule[1] -= 1
                now = int(time.time())
                headers = {
                    "X-Rate-Limit-Limit": "600",
                    "X-Rate-Limit-Remaining": "0",
                    "X-Rate-Limit-Reset": str(now),
                    "Retry-After": "1",
                }
                return await okta_error(
                    429, "E0000047", "API call exceeded rate limit due to too many requests.", headers
                )(scope, receive, send)
        hostile = self.answers.get(request.url.path)
        if hostile is not None:
            return await hostile(request)(scope, receive, send)
        await self.app(scope, receive, send)

    def answer(self, path: str, respond: Callable[[Request], Response]) -> None:
        """Answer every ``GET path`` with ``respond(request)`` instead of Okta's answer (until
        :meth:`reset`): a server that does not behave as Okta's API documents."""
        self.answers[path] = respond

    def reset(self) -> None:
        """Okta's answers everywhere again."""
        self.answers.clear()

    # ---- pagination as Okta does it

    def page(self, request: Request, items: list[dict[str, Any]], key: str = "id") -> JSONResponse:
        limit = min(int(request.query_params.get("limit", 20)), self.org.page_size)
        after = request.query_params.get("after")
        start = 0
        if after:
            start = next((i + 1 for i, it in enumerate(items) if it[key] == after), len(items))
        chunk = items[start : start + limit]
        params = {k: v for k, v in request.query_params.items() if k != "after"}
        base = f"{self.base_url}{request.url.path}"
        links = [f'<{base}?{urlencode(params)}>; rel="self"']
        if start + limit < len(items):
            links.append(f'<{base}?{urlencode({**params, "after": chunk[-1][key]})}>; rel="next"')
        response = JSONResponse(chunk)
        for link in links:
            response.headers.append("Link", link)
        return response

    def _app_or_404(self, app_id: str) -> dict[str, Any] | None:
        return self.org.apps.get(app_id)

    # ---- endpoints

    async def list_apps(self, request: Request) -> Response:
        q = (request.query_params.get("q") or "").lower()
        flt = request.query_params.get("filter") or ""
        apps = [
            a
            for a in self.org.apps.values()
            if not q or a["label"].lower().startswith(q) or a["name"].lower().startswith(q)
        ]
        if flt.startswith("name eq "):
            wanted = flt[len("name eq ") :].strip('"')
            apps = [a for a in apps if a["name"] == wanted]
        return self.page(request, apps)

    async def get_app(self, request: Request) -> Response:
        app = self._app_or_404(request.path_params["app_id"])
        return (
            JSONResponse(app)
            if app
            else okta_error(
                404, "E0000007", f"Not found: Resource not found: {request.path_params['app_id']} (AppInstance)"
            )
        )

    async def get_connection(self, request: Request) -> Response:
        app_id = request.path_params["app_id"]
        if not self._app_or_404(app_id):
            return okta_error(404, "E0000007", "Not found: Resource not found")
        return JSONResponse(
            self.org.connections.get(app_id)
            or {"authScheme": "UNKNOWN", "profile": {"authScheme": "UNKNOWN"}, "status": "UNKNOWN", "_links": {}}
        )

    async def get_feature(self, request: Request) -> Response:
        app_id, name = request.path_params["app_id"], request.path_params["name"]
        feature = self.org.features.get(app_id) if name == "USER_PROVISIONING" else None
        return (
            JSONResponse(feature)
            if feature
            else okta_error(404, "E0000007", "Not found: Resource not found: USER_PROVISIONING (AppFeature)")
        )

    async def list_push(self, request: Request) -> Response:
        app_id = request.path_params["app_id"]
        if not self._app_or_404(app_id):
            return okta_error(404, "E0000007", "Not found: Resource not found")
        return self.page(request, self.org.push_mappings.get(app_id, []))

    async def get_schema(self, request: Request) -> Response:
        schema = self.org.schemas.get(request.path_params["app_id"])
        return JSONResponse(schema) if schema else okta_error(404, "E0000007", "Not found: Resource not found")

    async def list_app_groups(self, request: Request) -> Response:
        return self.page(request, self.org.app_groups.get(request.path_params["app_id"], []))

    async def list_app_users(self, request: Request) -> Response:
        return self.page(request, self.org.app_users.get(request.path_params["app_id"], []))

    async def list_groups(self, request: Request) -> Response:
        q = (request.query_params.get("q") or "").lower()
        groups = [g for g in self.org.groups.values() if g["profile"]["name"].lower().startswith(q)]
        return self.page(request, groups)

    async def get_group(self, request: Request) -> Response:
        group = self.org.groups.get(request.path_params["group_id"])
        return (
            JSONResponse(group) if group else okta_error(404, "E0000007", "Not found: Resource not found (UserGroup)")
        )

    async def get_user(self, request: Request) -> Response:
        key = request.path_params["id_or_login"]
        user = self.org.users.get(key) or next(
            (u for u in self.org.users.values() if u["profile"]["login"].lower() == key.lower()), None
        )
        return (
            JSONResponse(user) if user else okta_error(404, "E0000007", f"Not found: Resource not found: {key} (User)")
        )


class FakeOktaServer:
    """:class:`FakeOkta` under uvicorn on 127.0.0.1, in a background thread."""

    def __init__(self) -> None:
        self.fake = FakeOkta()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted connections inherit it: without it each response waits ~40 ms (delayed ACK)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.fake.base_url = self.url
        config = uvicorn.Config(self.fake, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def start(self) -> FakeOktaServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake Okta server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()


def copy_org(org: FakeOrg) -> FakeOrg:
    """A deep copy (to compare before/after: verify and adopt never write)."""
    return copy.deepcopy(org)
