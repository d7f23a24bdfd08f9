"""Read-only access to a live Okta org through the ``okta`` SDK (3.x), as plain dataclasses.

Used by ``verify`` and ``adopt``. Every call goes through the SDK's request executor
(``Client.get_request_executor()``): the SDK supplies the ``Authorization: SSWS`` header,
the retries on HTTP 429 (it waits until ``X-Rate-Limit-Reset``, measured against the
response's ``Date``, up to ``rateLimit.maxRetries`` times). Lists follow the ``Link: <...>;
rel="next"`` header as an opaque URL, as Okta's API reference asks, made relative to the org
(the SDK's ``convert_absolute_url_into_relative_url``: the token never goes to another host).
The JSON is read as Okta returns it rather than through the SDK's generated models: those
reject values Okta adds over time (the ``Application.features`` enum, for one) and the checks
below need only a few fields.

A server that does not answer as Okta's API documents gets one :class:`OktaApiError`, never a
traceback nor an endless read: a next link to a page already read, more than
:data:`MAX_PAGES` pages, a whole read longer than :data:`TIME_LIMIT` seconds, an answer that
is not JSON, an object where a list belongs (or the reverse), an item without its ``id``.

Credentials are the okta Pulumi provider's settings (:func:`credentials_from_env`):
``OKTA_ORG_URL``, or ``OKTA_ORG_NAME`` + ``OKTA_BASE_URL`` (default ``okta.com``), and either
an OAuth 2.0 service app (what Okta recommends: ``OKTA_API_CLIENT_ID``, ``OKTA_API_PRIVATE_KEY``,
optional ``OKTA_API_PRIVATE_KEY_ID`` and ``OKTA_API_SCOPES``; the SDK's ``PrivateKey`` mode signs
a client-assertion JWT and sends ``Authorization: Bearer``) or an API token (``OKTA_API_TOKEN``,
``SSWS``). Neither the token nor the key appears in a ``repr``, an exception or the output.

Okta endpoints read (Okta Management API reference, developer.okta.com/docs/api):
``GET /api/v1/apps`` (``q``, ``filter``), ``GET /api/v1/apps/{appId}``,
``GET /api/v1/apps/{appId}/connections/default``,
``GET /api/v1/apps/{appId}/features/USER_PROVISIONING``,
``GET /api/v1/apps/{appId}/group-push/mappings``,
``GET /api/v1/meta/schemas/apps/{appId}/default``, ``GET /api/v1/apps/{appId}/groups``,
``GET /api/v1/groups/{groupId}``, ``GET /api/v1/groups?q=``, ``GET /api/v1/apps/{appId}/users``,
``GET /api/v1/users/{idOrLogin}``, ``GET /api/v1/groups/{groupId}/users`` (a ``members``
group's members, ``directory pull``), ``GET /api/v1/groups/rules?search=`` (a ``rule`` group's rule).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from ownscim_infra.domain.errors import InputError
from ownscim_infra.domain.own_setup import CATALOG_APP, FEATURE, REGIONS_ATTRIBUTE, capability_statuses, okta_fold

#: Environment variables of the okta Pulumi provider that this module reads.
ENV_ORG_URL = "OKTA_ORG_URL"
ENV_ORG_NAME = "OKTA_ORG_NAME"
ENV_BASE_URL = "OKTA_BASE_URL"
ENV_API_TOKEN = "OKTA_API_TOKEN"
#: The OAuth 2.0 service app's settings (terraform-provider-okta's names: the provider reads
#: the same variables, ``OKTA_API_SCOPES`` comma-separated).
ENV_CLIENT_ID = "OKTA_API_CLIENT_ID"
ENV_PRIVATE_KEY = "OKTA_API_PRIVATE_KEY"
ENV_PRIVATE_KEY_ID = "OKTA_API_PRIVATE_KEY_ID"
ENV_SCOPES = "OKTA_API_SCOPES"
#: The service app's variables, as every help and error names them.
SERVICE_APP_VARIABLES = f"{ENV_CLIENT_ID}, {ENV_PRIVATE_KEY} and {ENV_PRIVATE_KEY_ID}"
#: The credentials of every command that reads a live org (``verify``, ``adopt``, ``directory
#: pull``), in one sentence: each one's ``--help`` and the "credentials missing" error say it
#: (docs/live-org.md's table lists the same variables).
CREDENTIALS_HELP = (
    f"{ENV_ORG_URL} (or {ENV_ORG_NAME} + {ENV_BASE_URL}), and a service app as Okta recommends "
    f"({SERVICE_APP_VARIABLES}; optional {ENV_SCOPES}) or {ENV_API_TOKEN}"
)
#: The scopes ``verify`` and ``adopt`` need (and ask for when ``OKTA_API_SCOPES`` is unset): they
#: only read apps (with their connection, features, push mappings, users and groups), app
#: schemas, groups and users.
READ_SCOPES = ("okta.apps.read", "okta.groups.read", "okta.schemas.read", "okta.users.read")
#: The okta SDK's own switch that lets it talk to an ``http://`` org URL. Test-only: this
#: module accepts ``http://`` only for a loopback host (a local fake of the API).
ENV_SDK_HTTPS_CHECK = "OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"
#: Page size asked of list endpoints (Okta's maximum for most of them is 200).
PAGE_LIMIT = 200
#: The most pages one list may take (200,000 items at :data:`PAGE_LIMIT`): past it the read
#: stops with an error rather than follow a server's ``next`` links forever.
MAX_PAGES = 1000
#: Seconds a whole read of the org may take, every call and retry included (the SDK's
#: ``requestTimeout`` bounds one call only).
TIME_LIMIT = 600.0


class CredentialsError(InputError):
    """The Okta credentials are missing or unusable; the message is one line, without the token."""


class OktaApiError(InputError):
    """Okta answered an error (or could not be reached).

    ``status`` is the HTTP status (``None`` when no response), ``code`` Okta's ``errorCode``
    (``E0000011`` ...), ``path`` the API path asked for. The message never contains the token.
    """

    def __init__(self, path: str, status: int | None, code: str | None, summary: str):
        self.path, self.status, self.code, self.summary = path, status, code, summary
        where = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"GET {path}: {where}{' ' + code if code else ''}: {summary}")

    @property
    def not_found(self) -> bool:
        """Okta's 404 (``E0000007`` Not found) or an empty 404."""
        return self.status == 404

    @property
    def unauthorized(self) -> bool:
        """The token is invalid (401) or lacks the permission (403)."""
        return self.status in (401, 403)

    @classmethod
    def unexpected(cls, path: str, status: int | None, what: str) -> OktaApiError:
        """An answer that is not what Okta's API documents for ``path`` (``what`` says how)."""
        return cls(path, status, None, f"not an answer of Okta's API: {what}")


@contextmanager
def answer_of(path: str, status: int | None = 200) -> Iterator[None]:
    """Read Okta's answer to ``GET path`` inside: a field missing or of another type
    (``KeyError``, ``TypeError``, ``AttributeError``, ``ValueError``) becomes
    :meth:`OktaApiError.unexpected`."""
    try:
        yield
    except KeyError as exc:
        raise OktaApiError.unexpected(path, status, f"an object has no {exc.args[0]!r}") from None
    except (TypeError, AttributeError, ValueError) as exc:
        raise OktaApiError.unexpected(path, status, f"a field is not of the documented type ({exc})") from None


# --------------------------------------------------------------------------- credentials


@dataclass(frozen=True)
class Credentials:
    """Where the org is (``org_url``, no trailing slash) and how to sign in: an API ``token``,
    or an OAuth 2.0 service app (``client_id``, its ``private_key``: PEM, a JWK as JSON or a PEM
    file's path; ``key_id``, the ``kid`` Okta gave the key; ``scopes``). Secrets never shown."""

    org_url: str
    token: str = field(default="", repr=False)
    client_id: str = ""
    private_key: str = field(default="", repr=False)
    key_id: str = ""
    scopes: tuple[str, ...] = ()

    @property
    def mode(self) -> str:
        """The okta SDK's ``authorizationMode``: ``PrivateKey`` (a service app) or ``SSWS``."""
        return "PrivateKey" if self.client_id else "SSWS"

    def redact(self, text: str) -> str:
        """``text`` with the token and the key replaced."""
        for secret, name in ((self.token, "[token]"), (self.private_key, "[private key]")):
            if secret:
                text = text.replace(secret, name)
        return text


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse_unprintable(env: Mapping[str, str]) -> None:
    """Every one-line variable is printable ASCII without spaces (the private key is PEM: lines)."""
    for var in (ENV_ORG_URL, ENV_ORG_NAME, ENV_BASE_URL, ENV_API_TOKEN, ENV_CLIENT_ID, ENV_PRIVATE_KEY_ID, ENV_SCOPES):
        value = (env.get(var) or "").strip()
        bad = next((n for n, c in enumerate(value) if not "\x21" <= c <= "\x7e"), None)
        if bad is not None:
            kind = "a space" if value[bad] == " " else "not ASCII" if ord(value[bad]) > 0x7E else "a control character"
            raise CredentialsError(
                f"{var} must be one line of printable ASCII without spaces: character {bad + 1} is {kind} "
                "(pasted with a line break?); set it again"
            )


def credentials_from_env(env: Mapping[str, str] | None = None) -> Credentials:
    """The Okta credentials from the okta provider's environment variables.

    ``OKTA_ORG_URL`` (a full URL such as ``https://dev-123.okta.com``) wins; otherwise
    ``https://{OKTA_ORG_NAME}.{OKTA_BASE_URL or okta.com}``. Then either a service app
    (Okta's recommendation: Admin Console > Applications > API Services, public key / private
    key client authentication, the scopes granted and a read-only admin role):
    ``OKTA_API_CLIENT_ID``, ``OKTA_API_PRIVATE_KEY`` (the PEM or JWK itself, or a PEM file's
    path), ``OKTA_API_PRIVATE_KEY_ID`` (its ``kid``, optional), ``OKTA_API_SCOPES``
    (comma-separated; default :data:`READ_SCOPES`); or ``OKTA_API_TOKEN``, an SSWS API token
    (Security > API > Tokens; read-only admin is enough). Not both, as the provider refuses.

    :raises CredentialsError: a variable is missing, holds a control character, a space or a
        non-ASCII character (a token pasted with its line break: the message gives its
        position, never the token), both kinds of credentials are set, or the URL is not
        ``https://`` with a host (``http://`` is accepted for a loopback host only: a local
        fake, for tests).
    """
    env = os.environ if env is None else env
    _refuse_unprintable(env)
    org_url = (env.get(ENV_ORG_URL) or "").strip()
    if not org_url:
        org_name = (env.get(ENV_ORG_NAME) or "").strip()
        base = (env.get(ENV_BASE_URL) or "okta.com").strip()
        if org_name:
            org_url = f"https://{org_name}.{base}"
    token = (env.get(ENV_API_TOKEN) or "").strip()
    client_id = (env.get(ENV_CLIENT_ID) or "").strip()
    private_key = (env.get(ENV_PRIVATE_KEY) or "").strip()
    if client_id and token:
        raise CredentialsError(
            f"set either a service app ({SERVICE_APP_VARIABLES}) or {ENV_API_TOKEN}, not both "
            "(the okta provider refuses both too)"
        )
    missing = []
    if not org_url:
        missing.append("the org URL")
    if client_id and not private_key:
        missing.append(f"{ENV_PRIVATE_KEY} (the service app's private key: PEM, JWK or a PEM file's path)")
    if not token and not client_id:
        missing.append("a service app or an API token")
    if missing:
        raise CredentialsError(f"Okta credentials missing: {', '.join(missing)}; set {CREDENTIALS_HELP}")
    parts = urlsplit(org_url)
    if parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/"):
        raise CredentialsError(f"{ENV_ORG_URL} must be the org's base URL only, e.g. https://dev-123.okta.com")
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname))):
        raise CredentialsError(
            f"the Okta org URL must be https://<your-org>.okta.com (got {parts.scheme}://{parts.hostname or ''})"
        )
    org = f"{parts.scheme}://{parts.netloc}"
    if not client_id:
        return Credentials(org_url=org, token=token)
    scopes = tuple(s for s in (env.get(ENV_SCOPES) or "").split(",") if s.strip()) or READ_SCOPES
    key_id = (env.get(ENV_PRIVATE_KEY_ID) or "").strip()
    return Credentials(org_url=org, client_id=client_id, private_key=private_key, key_id=key_id, scopes=scopes)


# --------------------------------------------------------------------------- what is read


@dataclass(frozen=True)
class App:
    """An app instance: ``name`` is the catalog name (``scim2headerauth``), ``status``
    ACTIVE | INACTIVE, ``features`` the app's enabled features (``GROUP_PUSH`` when Push
    Groups is ticked)."""

    id: str
    name: str
    label: str
    status: str
    sign_on_mode: str | None
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class Connection:
    """The default provisioning connection: ``status`` ENABLED | DISABLED | UNKNOWN
    (UNKNOWN: Okta does not manage this app's connection through the API)."""

    status: str
    base_url: str | None
    auth_scheme: str | None


@dataclass(frozen=True)
class ProvisioningFeature:
    """``USER_PROVISIONING``: ``status`` and each capability's status (``None`` when absent):
    ``create`` (lifecycleCreate = Create Users), ``deactivate`` (lifecycleDeactivate),
    ``profile`` (Update User Attributes), ``password`` (Sync Password)."""

    status: str | None
    create: str | None
    deactivate: str | None
    profile: str | None
    password: str | None


@dataclass(frozen=True)
class PushMapping:
    """A group push mapping: Okta group ``source_group_id`` pushed to ``target_group_id``."""

    id: str
    source_group_id: str | None
    target_group_id: str | None
    status: str | None


@dataclass(frozen=True)
class SchemaAttribute:
    """A custom property of the app user schema (``definitions.custom.properties``)."""

    name: str
    title: str | None
    type: str | None
    scope: str | None
    external_name: str | None
    external_namespace: str | None


@dataclass(frozen=True)
class GroupAssignment:
    """The app assigned to a group: ``priority`` (0 = highest), ``profile`` (app profile
    values given to the group's members, e.g. ``{"regions": "us1,emea2"}``)."""

    group_id: str
    group_name: str
    group_type: str | None
    priority: int | None
    profile: dict[str, Any]


@dataclass(frozen=True)
class LiveAppUser:
    """A user who has the app: ``scope`` USER (assigned directly) or GROUP (through a
    group), ``profile`` the app profile Okta sends (``regions`` ...)."""

    user_id: str
    login: str | None
    scope: str | None
    status: str | None
    profile: dict[str, Any]


@dataclass(frozen=True)
class OktaUser:
    """An Okta user, by id and login."""

    id: str
    login: str
    status: str | None


@dataclass(frozen=True)
class OktaUserProfile:
    """An Okta user with its whole ``profile`` (Okta's User object: ``profile.login``,
    ``firstName``, ``lastName``, ``email``, the base and custom attributes), for ``directory pull``."""

    id: str
    login: str
    status: str | None
    profile: dict[str, Any]


def parse_user_profile(data: dict[str, Any]) -> OktaUserProfile:
    """A User object (``GET /api/v1/users/{id}``, an item of ``GET /api/v1/groups/{id}/users``)
    as :class:`OktaUserProfile`. :raises KeyError, TypeError: not a User object."""
    profile = data.get("profile")
    if not isinstance(profile, dict):
        raise TypeError(f"profile {profile!r} is not an object")
    return OktaUserProfile(_id(data["id"]), _id(profile["login"]), _text(data.get("status")), dict(profile))


@dataclass(frozen=True)
class OktaGroup:
    """An Okta group, by id and name (``type`` OKTA_GROUP | APP_GROUP | BUILT_IN)."""

    id: str
    name: str
    type: str | None


@dataclass(frozen=True)
class GroupRule:
    """An Okta group rule: ``id``, ``name``, ``status`` (ACTIVE | INACTIVE | INVALID), the
    ids of the groups it assigns users to (``actions.assignUserToGroups.groupIds``), its
    ``expression`` (``conditions.expression.value``) and the ids of the users it passes over
    (``excluded``: ``conditions.people.users.exclude``, "Except The following users" in the
    Admin Console; Okta adds a rule-managed member removed by hand)."""

    id: str
    name: str
    status: str | None
    group_ids: tuple[str, ...]
    expression: str | None = None
    excluded: tuple[str, ...] = ()


@dataclass
class LiveApp:
    """Everything ``verify`` and ``adopt`` read about one app, in one pass.

    ``connection``/``feature``/``schema_attributes`` are ``None`` when Okta answered 404;
    ``group_push_error`` is set when the mappings could not be listed.
    """

    org_url: str
    app: App
    connection: Connection | None
    feature: ProvisioningFeature | None
    push_mappings: list[PushMapping]
    schema_attributes: dict[str, SchemaAttribute] | None
    groups: list[GroupAssignment]
    users: list[LiveAppUser]
    people: dict[str, OktaUser | None]
    groups_by_name: dict[str, OktaGroup | None]
    group_push_error: str | None = None
    #: config group name -> its members (``GET /api/v1/groups/{groupId}/users``), for the
    #: groups whose members the config lists and that exist (:meth:`OktaReader.read_group_contents`)
    group_members: dict[str, list[OktaUserProfile]] = field(default_factory=dict)
    #: config group name -> the group rules with the config's rule name (``rule`` groups)
    group_rules: dict[str, list[GroupRule]] = field(default_factory=dict)
    #: user id -> the user (``None``: Okta has none), for every user a rule excludes
    excluded_users: dict[str, OktaUser | None] = field(default_factory=dict)
    #: login -> the user (``None``: Okta has none), for every login a ``members`` list names
    #: that is not in its group
    member_users: dict[str, OktaUser | None] = field(default_factory=dict)

    @property
    def regions_attribute(self) -> SchemaAttribute | None:
        """The ``regions`` custom attribute, if the app has it."""
        return (self.schema_attributes or {}).get(REGIONS_ATTRIBUTE)


# --------------------------------------------------------------------------- parsing


def _text(value: Any) -> str | None:
    """A string field of Okta's JSON, or ``None``. :raises TypeError: another type."""
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{value!r} is not a string")


def _id(value: Any) -> str:
    """A field that must be a non-empty string (an id, a name in a list). :raises TypeError: not one."""
    if isinstance(value, str) and value:
        return value
    raise TypeError(f"{value!r} is not a non-empty string")


def parse_app(data: dict[str, Any]) -> App:
    """An Application object (``GET /api/v1/apps/{appId}``) as :class:`App`."""
    return App(
        id=_id(data["id"]),
        name=_text(data.get("name")) or "",
        label=_text(data.get("label")) or "",
        status=_text(data.get("status")) or "",
        sign_on_mode=_text(data.get("signOnMode")),
        features=tuple(_id(f) for f in data.get("features") or ()),
    )


def parse_feature(data: dict[str, Any]) -> ProvisioningFeature:
    """A ``USER_PROVISIONING`` ApplicationFeature object as :class:`ProvisioningFeature`."""
    caps = capability_statuses(data.get("capabilities"))
    return ProvisioningFeature(
        status=data.get("status"),
        create=caps["lifecycleCreate"],
        deactivate=caps["lifecycleDeactivate"],
        profile=caps["profile"],
        password=caps["password"],
    )


def parse_schema(data: dict[str, Any]) -> dict[str, SchemaAttribute]:
    """The custom properties of an app user schema, by variable name."""
    props = (((data.get("definitions") or {}).get("custom") or {}).get("properties")) or {}
    return {
        name: SchemaAttribute(
            name=name,
            title=p.get("title"),
            type=p.get("type"),
            scope=p.get("scope"),
            external_name=p.get("externalName"),
            external_namespace=p.get("externalNamespace"),
        )
        for name, p in props.items()
        if isinstance(p, dict)
    }


# --------------------------------------------------------------------------- the reader


class OktaReader:
    """GETs through the okta SDK's request executor. Use as ``async with OktaReader(creds)``
    (one HTTP session for all calls).

    :param max_retries: the SDK's ``rateLimit.maxRetries`` (retries after HTTP 429/503/504).
    :param request_timeout: the SDK's ``requestTimeout``, seconds for one call including its
        retries (0 = none).
    :param max_pages: the most pages one list may take (:data:`MAX_PAGES`).
    :raises CredentialsError: the SDK rejects the configuration (e.g. ``http://`` without
        its test switch).
    """

    def __init__(
        self, creds: Credentials, *, max_retries: int = 2, request_timeout: int = 120, max_pages: int = MAX_PAGES
    ) -> None:
        from okta.client import Client

        self.max_pages = max_pages
        #: the last path asked for (what a time limit interrupted)
        self.last_path = ""

        config: dict[str, Any] = {
            "orgUrl": creds.org_url,
            "authorizationMode": creds.mode,
            "rateLimit": {"maxRetries": max_retries},
            "requestTimeout": request_timeout,
            "cache": {"enabled": False},
            "logging": {"enabled": False},
        }
        if creds.mode == "PrivateKey":
            config |= {"clientId": creds.client_id, "privateKey": creds.private_key, "scopes": list(creds.scopes)}
            if creds.key_id:
                config["kid"] = creds.key_id
        else:
            config["token"] = creds.token
        try:
            self._client = Client(config)
        except ValueError as exc:
            if urlsplit(creds.org_url).scheme == "http":
                raise CredentialsError(
                    f"the okta SDK refuses http:// org URLs; for a local fake only, set {ENV_SDK_HTTPS_CHECK}=true"
                ) from None
            first = next((line for line in str(exc).splitlines() if line and not line.startswith("Errors")), "invalid")
            raise CredentialsError(f"the okta SDK rejects the configuration: {creds.redact(first)}") from None
        self._executor = self._client.get_request_executor()
        self.org_url = creds.org_url

    async def __aenter__(self) -> OktaReader:
        await self._client.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._client.__aexit__(*exc)

    # ---- raw calls

    @staticmethod
    def _url(path: str, params: Mapping[str, Any] | None) -> str:
        query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
        return f"{path}?{query}" if query else path

    @staticmethod
    def _error(path: str, status: int | None, body: Any, error: Any) -> OktaApiError:
        """An :class:`OktaApiError` from the SDK's error object and/or Okta's error body."""
        status = status or getattr(error, "status", None)
        code = getattr(error, "error_code", None)
        summary = getattr(error, "error_summary", None)
        if summary is None and body:
            try:
                doc = json.loads(body) if isinstance(body, str) else body
                code, summary = doc.get("errorCode", code), doc.get("errorSummary")
            except (ValueError, AttributeError):
                pass
        if summary is None:
            summary = str(error) if error else "unexpected response"
        return OktaApiError(path, status, code, str(summary).splitlines()[0] if summary else "")

    async def _send_get(self, path: str, url: str) -> tuple[Any, Any]:
        """One ``GET url`` (``path``: what the errors name) through the SDK's request executor
        (auth, retries on 429): ``(response, body)``. :raises OktaApiError: any non-2xx answer."""
        self.last_path = path
        request, error = await self._executor.create_request("GET", url, None, {})
        if error:
            raise self._error(path, None, None, error)
        try:
            response, body, error = await self._executor.execute(request)
        except ValueError:  # the SDK parses a JSON Content-Type's body itself
            raise OktaApiError.unexpected(path, None, "not JSON (though its Content-Type says so)") from None
        if error is not None or response is None:
            raise self._error(path, getattr(response, "status", None), body, error)
        return response, body

    @staticmethod
    def _json(path: str, response: Any, body: Any) -> Any:
        """The JSON of an answer. :raises OktaApiError: it is not JSON."""
        try:
            return json.loads(body) if body else None
        except ValueError:
            kind = response.headers.get("Content-Type", "no Content-Type") if response is not None else "?"
            raise OktaApiError.unexpected(path, getattr(response, "status", None), f"not JSON ({kind})") from None

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``GET path`` and its JSON object. :raises OktaApiError: any non-2xx answer, or
        one that is not a JSON object."""
        response, body = await self._send_get(path, self._url(path, params))
        data = self._json(path, response, body)
        if not isinstance(data, dict):
            raise OktaApiError.unexpected(path, response.status, f"a JSON object was expected, got {_kind(data)}")
        return data

    async def get_optional(self, path: str) -> dict[str, Any] | None:
        """``GET path``, or ``None`` when Okta answers 404. :raises OktaApiError: other errors."""
        try:
            return await self.get(path)
        except OktaApiError as exc:
            if exc.not_found:
                return None
            raise

    async def list_all(self, path: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every item (a JSON object) of a paginated list, following ``Link: rel="next"``.

        :raises OktaApiError: any non-2xx answer, on any page; a page that is not a list of
            objects; a next link to a page already read; more than :attr:`max_pages` pages.
        """
        from okta.utils import convert_absolute_url_into_relative_url

        url = self._url(path, {"limit": PAGE_LIMIT, **(params or {})})
        seen: set[tuple[str, frozenset[tuple[str, str]]]] = set()
        items: list[dict[str, Any]] = []
        for _ in range(self.max_pages):
            seen.add(_page_key(url))
            response, body = await self._send_get(path, url)
            page = self._json(path, response, body)
            if not isinstance(page, list) or not all(isinstance(item, dict) for item in page):
                got = _kind(page) if not isinstance(page, list) else "a list holding something other than objects"
                raise OktaApiError.unexpected(path, response.status, f"a JSON list of objects was expected, got {got}")
            items += page
            link = response.links.get("next")
            if link is None:
                return items
            url = convert_absolute_url_into_relative_url(str(link.get("url", "")))
            if _page_key(url) in seen:
                raise OktaApiError.unexpected(
                    path, response.status, f'the Link rel="next" of page {len(seen)} is a page already read'
                )
        raise OktaApiError.unexpected(path, None, f"more than {self.max_pages} pages; stopped reading")

    # ---- typed reads (each reads its answer inside :func:`answer_of`)

    async def find_apps(self, label: str) -> list[App]:
        """Apps of catalog app ``scim2headerauth`` whose label is exactly ``label``."""
        path = "/api/v1/apps"
        found = await self.list_all(path, {"q": label, "filter": f'name eq "{CATALOG_APP}"'})
        with answer_of(path):
            apps = [parse_app(a) for a in found]
        return [a for a in apps if a.name == CATALOG_APP and a.label == label]

    async def get_app(self, app_id: str) -> App:
        """``GET /api/v1/apps/{appId}``. :raises OktaApiError: 404 for an unknown id, or another error."""
        path = f"/api/v1/apps/{quote(app_id, safe='')}"
        data = await self.get(path)
        with answer_of(path):
            return parse_app(data)

    async def get_connection(self, app_id: str) -> Connection | None:
        """``GET /api/v1/apps/{appId}/connections/default``; ``None`` on 404."""
        path = f"/api/v1/apps/{quote(app_id, safe='')}/connections/default"
        data = await self.get_optional(path)
        if data is None:
            return None
        with answer_of(path):
            profile = data.get("profile") or {}
            return Connection(
                status=_text(data.get("status")) or "UNKNOWN",
                base_url=_text(data.get("baseUrl")),
                auth_scheme=_text(data.get("authScheme") or profile.get("authScheme")),
            )

    async def get_feature(self, app_id: str, name: str = FEATURE) -> ProvisioningFeature | None:
        """``GET /api/v1/apps/{appId}/features/{name}``; ``None`` when Okta answers 404 or 400
        ("This request returns an error if provisioning isn't enabled for the app", Okta API
        reference, Application Features; 400 E0000001 for an app whose provisioning Okta does
        not serve through its API)."""
        path = f"/api/v1/apps/{quote(app_id, safe='')}/features/{name}"
        try:
            data = await self.get_optional(path)
        except OktaApiError as exc:
            if exc.status != 400:
                raise
            data = None
        if data is None:
            return None
        with answer_of(path):
            return parse_feature(data)

    async def list_push_mappings(self, app_id: str) -> list[PushMapping]:
        """``GET /api/v1/apps/{appId}/group-push/mappings``, every page."""
        path = f"/api/v1/apps/{quote(app_id, safe='')}/group-push/mappings"
        data = await self.list_all(path)
        with answer_of(path):
            return [
                PushMapping(
                    _id(m["id"]), _text(m.get("sourceGroupId")), _text(m.get("targetGroupId")), _text(m.get("status"))
                )
                for m in data
            ]

    async def get_schema_attributes(self, app_id: str) -> dict[str, SchemaAttribute] | None:
        """The custom properties of ``GET /api/v1/meta/schemas/apps/{appId}/default``; ``None`` on 404."""
        path = f"/api/v1/meta/schemas/apps/{quote(app_id, safe='')}/default"
        data = await self.get_optional(path)
        if data is None:
            return None
        with answer_of(path):
            return parse_schema(data)

    async def get_group(self, group_id: str) -> OktaGroup:
        """``GET /api/v1/groups/{groupId}``. :raises OktaApiError: 404 or another error."""
        path = f"/api/v1/groups/{quote(group_id, safe='')}"
        g = await self.get(path)
        with answer_of(path):
            return OktaGroup(_id(g["id"]), _text((g.get("profile") or {}).get("name")) or "", _text(g.get("type")))

    async def find_group(self, name: str) -> OktaGroup | None:
        """The group named ``name``, compared as Okta does (:func:`okta_fold`;
        ``GET /api/v1/groups?q=`` is a prefix search)."""
        path = "/api/v1/groups"
        for g in await self.list_all(path, {"q": name}):
            with answer_of(path):
                live_name = _text((g.get("profile") or {}).get("name")) or ""
                if okta_fold(live_name) == okta_fold(name):
                    return OktaGroup(_id(g["id"]), live_name, _text(g.get("type")))
        return None

    async def find_group_rules(self, name: str) -> list[GroupRule]:
        """The group rules named ``name`` (``GET /api/v1/groups/rules?search=``, every page,
        the search's answers kept when their name is ``name``; Okta's Group Rules API,
        "List all group rules")."""
        path = "/api/v1/groups/rules"
        found = []
        for r in await self.list_all(path, {"search": name}):
            with answer_of(path):
                if _text(r.get("name")) != name:
                    continue
                groups = ((r.get("actions") or {}).get("assignUserToGroups") or {}).get("groupIds") or []
                conditions = r.get("conditions") or {}
                expression = _text((conditions.get("expression") or {}).get("value"))
                excluded = ((conditions.get("people") or {}).get("users") or {}).get("exclude") or []
                if not isinstance(groups, list) or not isinstance(excluded, list):
                    raise TypeError(f"groupIds {groups!r} and users.exclude {excluded!r} must be lists of ids")
                found.append(
                    GroupRule(
                        _id(r["id"]),
                        name,
                        _text(r.get("status")),
                        tuple(_id(g) for g in groups),
                        expression,
                        tuple(_id(u) for u in excluded),
                    )
                )
        return found

    async def list_group_assignments(self, app_id: str) -> list[GroupAssignment]:
        """``GET /api/v1/apps/{appId}/groups``, every page, each with its group's name and type."""
        path = f"/api/v1/apps/{quote(app_id, safe='')}/groups"
        data = await self.list_all(path)
        out = []
        for a in data:
            with answer_of(path):
                group_id, priority, profile = _id(a["id"]), a.get("priority"), dict(a.get("profile") or {})
                if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)):
                    raise ValueError(f"priority {priority!r} is not an integer")
            group = await self.get_group(group_id)
            out.append(GroupAssignment(group_id, group.name, group.type, priority, profile))
        return out

    async def list_app_users(self, app_id: str) -> list[LiveAppUser]:
        """``GET /api/v1/apps/{appId}/users``, every page (scope USER or GROUP, app profile)."""
        path = f"/api/v1/apps/{quote(app_id, safe='')}/users"
        data = await self.list_all(path)
        with answer_of(path):
            return [
                LiveAppUser(
                    _id(u["id"]),
                    _text((u.get("credentials") or {}).get("userName")),
                    _text(u.get("scope")),
                    _text(u.get("status")),
                    dict(u.get("profile") or {}),
                )
                for u in data
            ]

    async def get_user(self, id_or_login: str) -> OktaUser | None:
        """``GET /api/v1/users/{idOrLogin}``; ``None`` on 404."""
        path = f"/api/v1/users/{quote(id_or_login, safe='@')}"
        u = await self.get_optional(path)
        if u is None:
            return None
        with answer_of(path):
            return OktaUser(_id(u["id"]), _text((u.get("profile") or {}).get("login")) or "", _text(u.get("status")))

    async def get_user_profile(self, id_or_login: str) -> OktaUserProfile | None:
        """``GET /api/v1/users/{idOrLogin}`` with the whole profile; ``None`` on 404."""
        path = f"/api/v1/users/{quote(id_or_login, safe='@')}"
        u = await self.get_optional(path)
        if u is None:
            return None
        with answer_of(path):
            return parse_user_profile(u)

    async def list_group_users(self, group_id: str) -> list[OktaUserProfile]:
        """``GET /api/v1/groups/{groupId}/users``, every page: the group's members (User
        objects with their profiles; Okta API reference, Groups, "List all member users")."""
        path = f"/api/v1/groups/{quote(group_id, safe='')}/users"
        data = await self.list_all(path)
        with answer_of(path):
            return [parse_user_profile(u) for u in data]

    async def read_group_contents(
        self, live: LiveApp, member_groups: Mapping[str, Sequence[str]], rule_names: Mapping[str, str]
    ) -> None:
        """Read into ``live`` who is in each group of ``member_groups`` (config group name ->
        the logins its ``members`` lists; a group Okta does not have is skipped) and the users
        of the listed logins that are not in it, the group rules named ``rule_names`` (config
        group name -> rule name) and the users those rules exclude."""
        for name, logins in member_groups.items():
            group = live.groups_by_name.get(name)
            if group is None:
                continue
            members = live.group_members[name] = await self.list_group_users(group.id)
            held = {okta_fold(u.login) for u in members}
            for login in logins:
                if okta_fold(login) not in held and login not in live.member_users:
                    live.member_users[login] = await self.get_user(login)
        for name, rule_name in rule_names.items():
            live.group_rules[name] = await self.find_group_rules(rule_name)
        for rules in live.group_rules.values():
            for rule in rules:
                for user_id in rule.excluded:
                    if user_id not in live.excluded_users:
                        live.excluded_users[user_id] = await self.get_user(user_id)

    async def read_live(self, app: App, logins: list[str], group_names: list[str]) -> LiveApp:
        """Read everything about ``app``; look up the configured people (by login) and
        groups (by name, when not assigned to the app)."""
        connection = await self.get_connection(app.id)
        feature = await self.get_feature(app.id)
        push_error = None
        try:
            push = await self.list_push_mappings(app.id)
        except OktaApiError as exc:
            if exc.unauthorized:
                raise
            push, push_error = [], str(exc)
        schema = await self.get_schema_attributes(app.id)
        groups = await self.list_group_assignments(app.id)
        users = await self.list_app_users(app.id)
        people = {login: await self.get_user(login) for login in logins}
        assigned = {okta_fold(g.group_name): OktaGroup(g.group_id, g.group_name, g.group_type) for g in groups}
        by_name = {name: assigned.get(okta_fold(name)) or await self.find_group(name) for name in group_names}
        return LiveApp(self.org_url, app, connection, feature, push, schema, groups, users, people, by_name, push_error)


def _kind(data: Any) -> str:
    """What a JSON value is, in words (for :meth:`OktaApiError.unexpected`)."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "nothing"}
    return names.get(type(data), "a number")


def _page_key(url: str) -> tuple[str, frozenset[tuple[str, str]]]:
    """A page's path and query parameters, in any order: two links to the same page compare equal."""
    parts = urlsplit(url)
    return parts.path, frozenset(parse_qsl(parts.query, keep_blank_values=True))


def run_with_reader(coro_fn: Any, creds: Credentials, *, time_limit: float = TIME_LIMIT, **reader_opts: Any) -> Any:
    """Run ``await coro_fn(reader)`` with a fresh :class:`OktaReader` and return its result.

    :param time_limit: seconds the whole run may take (:data:`TIME_LIMIT`).
    :raises OktaApiError: what the reader raises, or the time limit passed (naming the path
        being read).
    """

    async def main() -> Any:
        async with OktaReader(creds, **reader_opts) as reader:
            try:
                return await asyncio.wait_for(coro_fn(reader), time_limit)
            except TimeoutError:
                raise OktaApiError(
                    reader.last_path, None, None, f"the org did not answer within {time_limit:g} s (the time limit)"
                ) from None

    # A private loop, not asyncio.run(): that would reset the thread's current event loop,
    # which Pulumi's mock runtime (the offline plan, which ``adopt``'s command also runs) relies on.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
