"""Okta's SCIM 2.0 client, as Okta's provisioning drives it: the requests it sends to Own.

Source: Okta, "SCIM 2.0 protocol reference", and Okta's SCIM 2.0 spec-test collection. Every
request has ``User-Agent: Okta SCIM Client 1.0.0`` and ``Authorization`` equal to the API
Token field verbatim; a user is looked up with
``GET /Users?filter=userName eq "..."&startIndex=1&count=100``; a create is ``POST /Users``;
(de)activation is the path-less ``PATCH {"op": "replace", "value": {"active": ...}}``; a
profile push is ``GET /Users/{id}`` then ``PUT /Users/{id}`` with the whole user. Each
request and its answer is kept as an :class:`Exchange` (never the token).

**One deadline a request.** httpx's timeouts are per operation: "connect, read, write, and
pool" (https://www.python-httpx.org/advanced/timeouts), the read timeout bounding the wait for
*one* chunk, so a server that sends a byte every 2 s never trips a 30 s read timeout and a
request to it never ends; httpx has no total timeout. Each request here has one deadline from
its start to the last byte of its answer (:data:`REQUEST_DEADLINE`, the client's ``deadline``):
a timer (:class:`threading.Timer`) shuts the connection's socket down when it passes, which
ends the blocked read or write at once, and a :class:`ReceiverError` names the request and the
limit. The socket is the one httpcore reports through httpx's ``trace`` request extension
(``connection.connect_tcp.complete``, ``connection.start_tls.complete``: the network stream,
whose ``get_extra_info("socket")`` is the socket); the client keeps one connection
(``max_connections=1``: it sends one request at a time), so it is the request's. The client
stays synchronous: an async client in an event loop of its own cost 5 to 7 times as much a
request against a receiver in the same process (measured).

**In process.** Given a ``transport`` (an :class:`httpx.BaseTransport`: ``simulate``'s and
``review``'s receiver, :class:`ownscim_infra.receiver.in_process.InProcessTransport`), the
same requests go to it instead of a socket. There is no socket to shut down and no timer: the
transport bounds the whole request by the same deadline (httpx's timeout, which is the
deadline) and raises :class:`httpx.TimeoutException` when it passes, which ends as the same
:class:`ReceiverError`. The request is the one the client would send (built by the client's
:meth:`httpx.Client.build_request`: its base URL, default headers and timeout) and goes to
the transport directly: what :meth:`httpx.Client.send` adds around a transport is for the
network (cookies kept from ``Set-Cookie``, redirects followed, authentication flows), none of
which Okta's client does or the receiver sends, and it cost a third of an in-process request
(a cookie jar parsing each answer; benchmarks/RESULTS.md).
"""

from __future__ import annotations

import contextlib
import functools
import json
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from ownscim_infra.domain.errors import InputError

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_AGENT = "Okta SCIM Client 1.0.0"
SCIM_JSON = "application/scim+json; charset=utf-8"

#: Seconds one request may take in all, from its start to the last byte of the answer (connect,
#: send, wait, read); also httpx's per-operation timeout.
REQUEST_DEADLINE = 30.0


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


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Httpx's default TLS context (certifi's CA bundle, verification on), built once a process:
    building it reads the CA bundle (about 0.2 s), which every client would otherwise pay, twice
    a simulation and four times a review, for a receiver that is usually plain ``http`` on
    loopback (httpx's ``verify`` takes an :class:`ssl.SSLContext`: https://www.python-httpx.org/advanced/ssl/)."""
    return httpx.create_ssl_context()


@dataclass
class OktaScimClient:
    """Okta's SCIM 2.0 client against ``base_url`` (e.g. ``http://127.0.0.1:8000/scim/v2``),
    sending ``Authorization: <token>`` verbatim. Every exchange is kept in ``exchanges``.
    Never logs or stores the token. Each request has ``deadline`` seconds in all (see the
    module). One request at a time (not thread-safe). ``transport``: where the requests go
    instead of the network (a receiver in this process; see the module).

    :raises ReceiverError: the URL is not usable (:func:`check_receiver_url`), ``deadline``
        is not a positive number.
    """

    base_url: str
    token: str = field(repr=False)
    exchanges: list[Exchange] = field(default_factory=list)
    deadline: float = REQUEST_DEADLINE
    transport: httpx.BaseTransport | None = field(default=None, repr=False)
    #: called with the login before each request for it is sent (the simulation reads Own's
    #: state before Okta's first request for a user)
    on_request: Callable[[str], None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        check_receiver_url(self.base_url)
        if isinstance(self.deadline, bool) or not isinstance(self.deadline, int | float) or not self.deadline > 0:
            raise ReceiverError(f"the request deadline must be a positive number of seconds, not {self.deadline!r}")
        self._http = httpx.Client(
            base_url=self.base_url.rstrip("/"),
            headers={"User-Agent": USER_AGENT, "Authorization": self.token, "Accept": "application/scim+json"},
            timeout=self.deadline,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            # in process: no TLS and no proxy from the environment (every request to the transport)
            verify=tls_context() if self.transport is None else True,
            trust_env=self.transport is None,
            transport=self.transport,
        )
        #: the socket of the client's connection (see the module), set by :meth:`_trace`
        self._socket: socket.socket | None = None

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        """Keep the socket of a new connection (TCP, then TLS), from httpx's ``trace`` request extension."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                self._socket = sock

    def _expire(self, expired: threading.Event) -> None:
        """The deadline passed: end the request in progress by shutting its socket down."""
        expired.set()
        sock = self._socket
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    def _request(
        self, method: str, path: str, content: bytes | None, params: dict[str, Any] | None, headers: dict[str, str]
    ) -> httpx.Response:
        """The request and its whole answer, within :attr:`deadline`.

        :raises TimeoutError: the deadline passed. :raises httpx.HTTPError: the request failed."""
        if self.transport is not None:  # it keeps the deadline itself (see the module)
            request = self._http.build_request(method, path, content=content, params=params, headers=headers)
            try:
                return self.transport.handle_request(request)
            except httpx.TimeoutException:
                raise TimeoutError(f"{method} {path}: no answer within {self.deadline:g} s") from None
        expired = threading.Event()
        timer = threading.Timer(self.deadline, self._expire, (expired,))
        timer.daemon = True
        timer.start()
        try:
            return self._http.request(
                method, path, content=content, params=params, headers=headers, extensions={"trace": self._trace}
            )
        except httpx.HTTPError:
            if expired.is_set():
                raise TimeoutError(f"{method} {path}: no answer within {self.deadline:g} s") from None
            raise
        finally:
            timer.cancel()

    def _send(
        self,
        login: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> tuple[int, dict[str, Any] | None]:
        if self.on_request is not None:
            self.on_request(login)
        content = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": SCIM_JSON} if body is not None else {}
        try:
            response = self._request(method, path, content, params, headers)
        except TimeoutError:
            raise ReceiverError(
                f"the receiver at {self.base_url} did not answer {method} {path} within {self.deadline:g} seconds "
                "(one deadline for the whole request): Okta would give up on it; is the receiver overloaded or stuck?"
            ) from None
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
