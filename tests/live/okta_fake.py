"""The HTTP face of the emulated Okta org: the few Management API endpoints ``verify``,
``adopt`` and ``directory pull`` read, serving an :class:`~ownscim_infra.offline.okta_org.OktaOrg`.

moto's split: the org's state and Okta's documented behaviours are the model's
(``ownscim_infra/offline/okta_org.py``, the one ``pulumi up`` is emulated against); this module
only turns them into Okta's answers. Served over real HTTP on 127.0.0.1 (a Starlette app
under uvicorn, port chosen by the OS), so the ``okta`` SDK talks to it unchanged. The JSON is
shaped as in Okta's OpenAPI spec (the models the SDK is generated from): Application,
ProvisioningConnectionResponse, ApplicationFeature (USER_PROVISIONING with ``capabilities``),
GroupPushMapping, the app user schema (``definitions.custom.properties``),
ApplicationGroupAssignment, AppUser, Group, User (with its profile's attributes; a group's
members as Users), and Okta's Error object (an
:class:`~ownscim_infra.offline.okta_org.OktaApiError` of the model becomes one). Lists are
paginated as Okta does: ``limit`` and an opaque ``after`` cursor, with ``Link: <...>;
rel="self"`` and ``Link: <...>; rel="next"`` headers.

:class:`FakeOkta` records what was asked (``requests``); :meth:`FakeOkta.rate_limit` makes the
next matching requests answer 429 with ``X-Rate-Limit-*`` and ``Retry-After`` headers;
:meth:`FakeOkta.answer` makes a path answer what Okta never would (a hostile server).
:meth:`FakeOkta.add_group_rule` adds a group rule (GroupRule, ``GET /api/v1/groups/rules``)
beside the model's own (:attr:`OktaOrg.rules`, those ``pulumi up`` created), forgotten by
:meth:`FakeOkta.serve`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ownscim_infra.config.directory import DirectoryUser
from ownscim_infra.domain.own_setup import FEATURE, okta_fold
from ownscim_infra.offline.okta_org import OktaApiError, OktaOrg, OrgApp

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "example.yaml"
EXAMPLE_DIRECTORY = REPO / "config" / "example-directory.yaml"
#: The API token the fake accepts; tests assert it never shows up in any output.
TOKEN = "fake-okta-api-token-0123456789-SECRET"
TS = "2024-05-01T10:00:00.000Z"
#: the capabilities of ``USER_PROVISIONING`` and where Okta's JSON puts each
_CAPABILITIES = {
    "lifecycleCreate": "create",
    "lifecycleDeactivate": "update",
    "profile": "update",
    "password": "update",
}


def okta_error(status: int, code: str, summary: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """Okta's Error object."""
    return JSONResponse(
        {"errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": f"oae{code}", "errorCauses": []},
        status_code=status,
        headers=headers,
    )


def not_found(what: str) -> JSONResponse:
    """Okta's 404."""
    return okta_error(404, "E0000007", f"Not found: Resource not found: {what}")


# --------------------------------------------------------------------------- Okta's JSON


def app_object(app: OrgApp) -> dict[str, Any]:
    """An Application object of a catalog app (the Header Auth SCIM test app: SWA, AUTO_LOGIN):
    the model's (:meth:`OrgApp.application`: label, status and the settable parts the app's
    ``PUT`` replaces), with what Okta adds."""
    held = app.application()
    held["visibility"] = held["visibility"] | {"appLinks": {"login": True}}
    held["credentials"] = held["credentials"] | {"signing": {}}
    held["settings"] = held["settings"] | {"notifications": {"vpn": {"network": {"connection": "DISABLED"}}}}
    return held | {
        "created": TS,
        "lastUpdated": TS,
        "features": ["PUSH_NEW_USERS", "PUSH_USER_DEACTIVATION", *app.features],
        "_links": {"self": {"href": f"/api/v1/apps/{app.id}"}},
    }


def feature_object(status: str, capabilities: dict[str, str]) -> dict[str, Any]:
    """ApplicationFeature ``USER_PROVISIONING``: each capability under ``create`` or ``update``."""
    caps: dict[str, dict[str, Any]] = {"create": {}, "update": {}}
    for name, status_of in capabilities.items():
        caps[_CAPABILITIES.get(name, "update")][name] = {"status": status_of}
    if "password" in caps["update"]:
        caps["update"]["password"] |= {"seed": "RANDOM", "change": "KEEP_EXISTING"}
    return {
        "name": FEATURE,
        "status": status,
        "description": "User provisioning settings from Okta to a downstream app",
        "capabilities": caps,
        "_links": {},
    }


def schema_object(app: OrgApp) -> dict[str, Any]:
    """The app user schema (``GET /api/v1/meta/schemas/apps/{appId}/default``): each custom
    property as the provider declared it (its inputs, less ``index`` and ``appId``)."""
    custom = {
        index: {k: v for k, v in definition.items() if k not in ("index", "appId")}
        for index, definition in app.schema.items()
    }
    return {
        "id": f"/meta/schemas/apps/{app.id}/default",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": app.catalog_name,
        "title": f"{app.label} User",
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


def group_object(org: OktaOrg, group_id: str) -> dict[str, Any]:
    """A Group (``Everyone`` is Okta's built-in group)."""
    group = org.groups[group_id]
    return {
        "id": group.id,
        "created": TS,
        "lastUpdated": TS,
        "objectClass": ["okta:user_group"],
        "type": "BUILT_IN" if group.name == "Everyone" else "OKTA_GROUP",
        "profile": {"name": group.name, "description": group.description},
        "_links": {},
    }


def user_object(
    login: str,
    user_id: str,
    first_name: str | None,
    last_name: str | None,
    email: str,
    attributes: dict[str, Any] | None = None,
    status: str = "ACTIVE",
) -> dict[str, Any]:
    """A User (``attributes``: the rest of its profile, as Okta returns it: an unset one is ``null``)."""
    return {
        "id": user_id,
        "status": status,
        "created": TS,
        "activated": TS,
        "lastUpdated": TS,
        "profile": {
            "firstName": first_name,
            "lastName": last_name,
            "mobilePhone": None,
            "secondEmail": None,
            **(attributes or {}),
            "login": login,
            "email": email,
        },
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
        "_links": {},
    }


def directory_user_object(user: DirectoryUser, status: str = "ACTIVE") -> dict[str, Any]:
    """The User of a directory user, its profile attributes (base and custom) included."""
    return user_object(
        user.login, user.okta_id, user.first_name, user.last_name, user.primary_email, user.attributes, status
    )


# --------------------------------------------------------------------------- the app


def rule_object(
    rule_id: str, name: str, group_ids: list[str], expression: str, status: str, excluded: list[str] | None = None
) -> dict[str, Any]:
    """A group rule as Okta's Group Rules API answers it (GroupRule; ``excluded``: the user ids
    of ``conditions.people.users.exclude``)."""
    return {
        "id": rule_id,
        "type": "group_rule",
        "status": status,
        "name": name,
        "created": TS,
        "lastUpdated": TS,
        "conditions": {
            "people": {"users": {"exclude": list(excluded or [])}, "groups": {"exclude": []}},
            "expression": {"value": expression, "type": "urn:okta:expression:1.0"},
        },
        "actions": {"assignUserToGroups": {"groupIds": list(group_ids)}},
    }


class FakeOkta:
    """The ASGI app serving :attr:`org` (swapped per test)."""

    def __init__(self, org: OktaOrg | None = None) -> None:
        self.org = org
        self.base_url = ""
        self.token = TOKEN
        #: the largest page served, whatever ``limit`` asks (Okta's is 200; small here to page)
        self.page_size = 2
        #: ``(method, path, query)`` of every request, in order
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._throttle: list[list[Any]] = []
        #: path -> what to answer instead of Okta (a hostile or broken server); see :meth:`answer`
        self.answers: dict[str, Callable[[Request], Response]] = {}
        #: group rules added beside the model's (Okta's GroupRule objects)
        self.group_rules: list[dict[str, Any]] = []
        #: Okta user id -> status other than ACTIVE (``DEPROVISIONED``: deactivated)
        self.user_status: dict[str, str] = {}
        self.app = Starlette(
            exception_handlers={OktaApiError: self._refused},
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
                Route("/api/v1/groups/rules", self.list_group_rules),
                Route("/api/v1/groups/{group_id}", self.get_group),
                Route("/api/v1/groups/{group_id}/users", self.list_group_users),
                Route("/api/v1/users/{id_or_login}", self.get_user),
            ],
        )

    def serve(self, org: OktaOrg) -> None:
        """Serve ``org`` from now on, with Okta's answers everywhere and nothing recorded."""
        self.org, self.page_size = org, 2
        self.requests.clear()
        self._throttle.clear()
        self.answers.clear()
        self.user_status.clear()
        self.group_rules.clear()

    def add_group_rule(self, name: str, group_ids: list[str], expression: str, status: str = "ACTIVE") -> str:
        """A group rule as Okta's Group Rules API answers it (GroupRule); returns its id."""
        rule_id = f"0pr{len(self.group_rules) + 1:017d}"
        self.group_rules.append(rule_object(rule_id, name, group_ids, expression, status))
        return rule_id

    def rate_limit(self, path_prefix: str, times: int = 1) -> None:
        """Answer the next ``times`` GETs whose path starts with ``path_prefix`` with 429."""
        self._throttle.append([path_prefix, times])

    def answer(self, path: str, respond: Callable[[Request], Response]) -> None:
        """Answer every ``GET path`` with ``respond(request)`` instead of Okta's answer: a server
        that does not behave as Okta's API documents."""
        self.answers[path] = respond

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope, receive)
        self.requests.append((request.method, request.url.path, dict(request.query_params)))
        if request.headers.get("authorization") != f"SSWS {self.token}":
            return await okta_error(401, "E0000011", "Invalid token provided")(scope, receive, send)
        # Okta's 429: the SDK waits until X-Rate-Limit-Reset (epoch seconds), measured
        # against the response's Date header (uvicorn sends it), then retries.
        for rule in self._throttle:
            if rule[1] > 0 and request.url.path.startswith(rule[0]):
                rule[1] -= 1
                headers = {
                    "X-Rate-Limit-Limit": "600",
                    "X-Rate-Limit-Remaining": "0",
                    "X-Rate-Limit-Reset": str(int(time.time())),
                    "Retry-After": "1",
                }
                return await okta_error(
                    429, "E0000047", "API call exceeded rate limit due to too many requests.", headers
                )(scope, receive, send)
        hostile = self.answers.get(request.url.path)
        if hostile is not None:
            return await hostile(request)(scope, receive, send)
        await self.app(scope, receive, send)

    @staticmethod
    async def _refused(request: Request, exc: Exception) -> Response:
        """The model's refusal (:class:`OktaApiError`) as Okta answers it."""
        assert isinstance(exc, OktaApiError)
        return okta_error(exc.status, exc.code, exc.summary)

    @property
    def _org(self) -> OktaOrg:
        assert self.org is not None, "no org served: FakeOkta.serve(org) first"
        return self.org

    # ---- pagination as Okta does it

    def page(self, request: Request, items: list[dict[str, Any]], key: str = "id") -> JSONResponse:
        limit = min(int(request.query_params.get("limit", 20)), self.page_size)
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

    # ---- endpoints

    async def list_apps(self, request: Request) -> Response:
        q = (request.query_params.get("q") or "").lower()
        flt = request.query_params.get("filter") or ""
        apps = [
            a
            for a in self._org.apps.values()
            if not q or a.label.lower().startswith(q) or a.catalog_name.lower().startswith(q)
        ]
        if flt.startswith("name eq "):
            wanted = flt[len("name eq ") :].strip('"')
            apps = [a for a in apps if a.catalog_name == wanted]
        return self.page(request, [app_object(a) for a in apps])

    async def get_app(self, request: Request) -> Response:
        app = self._org.apps.get(request.path_params["app_id"])
        return JSONResponse(app_object(app)) if app else not_found(f"{request.path_params['app_id']} (AppInstance)")

    async def get_connection(self, request: Request) -> Response:
        app_id = request.path_params["app_id"]
        status = self._org.connection_status(app_id)  # 404 for an unknown app
        connection = self._org.app(app_id).connection
        if status == "UNKNOWN" or connection is None:
            return JSONResponse(
                {"authScheme": "UNKNOWN", "profile": {"authScheme": "UNKNOWN"}, "status": "UNKNOWN", "_links": {}}
            )
        return JSONResponse(
            {
                "authScheme": "TOKEN",
                "baseUrl": connection.get("baseUrl"),
                "profile": {"authScheme": "TOKEN"},
                "status": status,
                "_links": {},
            }
        )

    async def get_feature(self, request: Request) -> Response:
        app_id, name = request.path_params["app_id"], request.path_params["name"]
        if name != FEATURE:
            return not_found(f"{name} (AppFeature)")
        status, capabilities = self._org.get_features(app_id)
        return JSONResponse(feature_object(status, capabilities))

    async def list_push(self, request: Request) -> Response:
        app = self._org.app(request.path_params["app_id"])
        mappings = [{**m, "created": TS, "lastUpdated": TS, "_links": {}} for m in app.push_mappings]
        return self.page(request, mappings)

    async def get_schema(self, request: Request) -> Response:
        return JSONResponse(schema_object(self._org.app(request.path_params["app_id"])))

    async def list_app_groups(self, request: Request) -> Response:
        org, app_id = self._org, request.path_params["app_id"]
        held = sorted(org.app(app_id).group_assignments.items(), key=lambda item: item[1]["priority"])
        rows = [
            {"id": gid, "lastUpdated": TS, **org.get_group_assignment(app_id, gid), "_links": {}}
            for gid, _ in held
            if gid in org.groups
        ]
        return self.page(request, rows)

    async def list_app_users(self, request: Request) -> Response:
        rows = [
            {
                "id": u.user.okta_id,
                "externalId": None,
                "created": TS,
                "lastUpdated": TS,
                "scope": u.scope,
                "status": "PROVISIONED",
                "statusChanged": TS,
                "passwordChanged": None,
                "syncState": "SYNCHRONIZED",
                "lastSync": TS,
                "credentials": {"userName": u.user.login},
                "profile": u.profile,
                "_links": {"group": {"name": self._org.groups[u.group_id].name}} if u.group_id else {},
            }
            for u in self._org.app_users(request.path_params["app_id"])
        ]
        return self.page(request, rows)

    async def list_groups(self, request: Request) -> Response:
        q = okta_fold(request.query_params.get("q") or "")
        org = self._org
        return self.page(
            request, [group_object(org, g) for g in org.groups if okta_fold(org.groups[g].name).startswith(q)]
        )

    async def list_group_rules(self, request: Request) -> Response:
        """``GET /api/v1/groups/rules``: ``search`` matches a keyword in the rule's name."""
        keyword = (request.query_params.get("search") or "").lower()
        rules = [
            rule_object(r.id, r.name, r.group_ids, r.expression, r.status, sorted(r.excluded))
            for r in self._org.rules.values()
        ] + self.group_rules
        return self.page(request, [r for r in rules if keyword in r["name"].lower()])

    async def get_group(self, request: Request) -> Response:
        group_id = request.path_params["group_id"]
        if group_id not in self._org.groups:
            return not_found(f"{group_id} (UserGroup)")
        return JSONResponse(group_object(self._org, group_id))

    async def get_user(self, request: Request) -> Response:
        key = request.path_params["id_or_login"]
        user = self._org.user(key) or self._org.user_by_login(key)
        if user is None:
            return not_found(f"{key} (User)")
        return JSONResponse(directory_user_object(user, self.user_status.get(user.okta_id, "ACTIVE")))

    async def list_group_users(self, request: Request) -> Response:
        """``GET /api/v1/groups/{groupId}/users``: the members, as Users, paged."""
        group_id = request.path_params["group_id"]
        if group_id not in self._org.groups:
            return not_found(f"{group_id} (UserGroup)")
        members = self._org.members(group_id)
        return self.page(
            request, [directory_user_object(u, self.user_status.get(u.okta_id, "ACTIVE")) for u in members]
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
