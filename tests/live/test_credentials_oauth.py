"""An OAuth 2.0 service app for verify and adopt, as Okta recommends: the okta SDK's PrivateKey
mode signs a client-assertion JWT with the app's private key, asks ``/oauth2/v1/token`` for
the read scopes only, and calls the API with ``Bearer``. Run against the fake Okta with a real
token endpoint that checks the JWT's signature, audience, issuer and ``kid``."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.responses import JSONResponse

from ownscim_infra.cli import main
from ownscim_infra.live import okta_api
from tests.conftest import EXAMPLE, REPO
from tests.live.applied import org_after_up
from tests.live.okta_fake import TOKEN, FakeOkta

CLIENT_ID = "0oaSERVICEAPP123"
KEY_ID = "kid-ownscim-1"
ACCESS_TOKEN = "eyJ-access-token-from-the-fake-SECRET"


def private_key_pem() -> tuple[str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode(), public


class OAuthOkta:
    """Okta's token endpoint for a service app (private-key JWT), in front of :class:`FakeOkta`
    (which takes an SSWS token: a valid Bearer is passed on as that)."""

    def __init__(self, public_key: bytes) -> None:
        self.public_key = public_key
        self.fake = FakeOkta(org_after_up(EXAMPLE))
        self.url = ""
        self.token_requests: list[dict[str, Any]] = []
        self.authorizations: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/oauth2/v1/token":
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            return await self.token(parse_qs(body.decode()))(scope, receive, send)
        headers = dict(scope["headers"])
        self.authorizations.append(headers.get(b"authorization", b"").decode())
        if headers.get(b"authorization") != f"Bearer {ACCESS_TOKEN}".encode():
            return await JSONResponse({"errorCode": "E0000011"}, status_code=401)(scope, receive, send)
        scope = {**scope, "headers": [*[h for h in scope["headers"] if h[0] != b"authorization"]]}
        scope["headers"].append((b"authorization", f"SSWS {TOKEN}".encode()))
        await self.fake(scope, receive, send)

    def token(self, form: dict[str, list[str]]) -> JSONResponse:
        assertion = form["client_assertion"][0]
        claims = jwt.decode(assertion, self.public_key, algorithms=["RS256"], audience=f"{self.url}/oauth2/v1/token")
        self.token_requests.append(
            {
                "grant_type": form["grant_type"][0],
                "assertion_type": form["client_assertion_type"][0],
                "scope": form["scope"][0].split(),
                "iss": claims["iss"],
                "sub": claims["sub"],
                "kid": jwt.get_unverified_header(assertion).get("kid"),
            }
        )
        return JSONResponse(
            {"token_type": "Bearer", "expires_in": 3600, "access_token": ACCESS_TOKEN, "scope": form["scope"][0]}
        )


@pytest.fixture
def oauth_org(monkeypatch):
    pem, public = private_key_pem()
    app = OAuthOkta(public)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    app.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    for var in ("OKTA_ORG_NAME", "OKTA_BASE_URL", "OKTA_API_TOKEN", "OKTA_API_SCOPES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OKTA_ORG_URL", app.url)
    monkeypatch.setenv("OKTA_API_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("OKTA_API_PRIVATE_KEY", pem)
    monkeypatch.setenv("OKTA_API_PRIVATE_KEY_ID", KEY_ID)
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")
    yield app, pem
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_verify_signs_in_as_a_service_app_with_the_read_scopes_only(oauth_org, capsys):
    app, pem = oauth_org
    assert main(["verify", str(EXAMPLE)]) == 0
    out = capsys.readouterr()
    assert len(app.token_requests) == 1
    request = app.token_requests[0]
    assert request["grant_type"] == "client_credentials"
    assert request["assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert request["iss"] == request["sub"] == CLIENT_ID and request["kid"] == KEY_ID
    assert sorted(request["scope"]) == sorted(okta_api.READ_SCOPES)
    assert not any(s.endswith(".manage") for s in request["scope"])
    assert app.authorizations and all(a == f"Bearer {ACCESS_TOKEN}" for a in app.authorizations)
    body = pem.splitlines()[1]
    assert body not in out.out + out.err and ACCESS_TOKEN not in out.out + out.err


def test_the_scopes_asked_for_are_okta_api_scopes_when_set(oauth_org, monkeypatch):
    app, _ = oauth_org
    monkeypatch.setenv("OKTA_API_SCOPES", "okta.apps.read,okta.groups.read,okta.schemas.read,okta.users.read")
    assert main(["verify", str(EXAMPLE), "--format", "json"]) == 0
    assert app.token_requests[0]["scope"] == [
        "okta.apps.read",
        "okta.groups.read",
        "okta.schemas.read",
        "okta.users.read",
    ]


def test_a_service_app_and_a_token_together_are_refused_in_one_line(oauth_org, monkeypatch, capsys):
    monkeypatch.setenv("OKTA_API_TOKEN", "00aSECRETtoken")
    assert main(["verify", str(EXAMPLE)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not both" in err and "00aSECRETtoken" not in err


def test_a_client_id_without_its_key_names_the_missing_variable(monkeypatch, capsys):
    env = {"OKTA_ORG_URL": "https://dev-1.okta.com", "OKTA_API_CLIENT_ID": CLIENT_ID}
    with pytest.raises(okta_api.CredentialsError, match="OKTA_API_PRIVATE_KEY"):
        okta_api.credentials_from_env(env)


def test_the_private_key_is_never_in_a_repr():
    pem, _ = private_key_pem()
    creds = okta_api.credentials_from_env(
        {"OKTA_ORG_URL": "https://dev-1.okta.com", "OKTA_API_CLIENT_ID": CLIENT_ID, "OKTA_API_PRIVATE_KEY": pem}
    )
    assert creds.mode == "PrivateKey" and creds.scopes == okta_api.READ_SCOPES
    assert pem.splitlines()[1] not in repr(creds) and CLIENT_ID in repr(creds)


def test_the_readme_names_the_scopes_verify_asks_for_and_those_of_pulumi_up():
    readme = (REPO / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `verify`, `adopt` |"))
    assert all(f"`{scope}`" in row for scope in okta_api.READ_SCOPES)
    up = next(line for line in readme.splitlines() if line.startswith("| `pulumi up`, `pulumi destroy` |"))
    assert "okta:clientId" in up and "okta:privateKey" in up and "okta:scopes" in up
    assert "`okta.apps.manage`" in up and "`okta.users.read`" in up and "`okta.users.manage`" not in up
