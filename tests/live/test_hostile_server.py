"""A server that does not answer as Okta's API documents (issue 21 item 10): ``verify`` and
``adopt`` stop with one line and exit 2, never a traceback (exit 1, which reads as "drift") and
never an endless read of ``Link: rel="next"``."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ownscim_infra.cli import main
from ownscim_infra.live import okta_api
from ownscim_infra.live.verify import verify
from tests.live.okta_fake import EXAMPLE

#: paths, ``{app}`` for the app's id
USERS = "/api/v1/apps/{app}/users"
GROUPS = "/api/v1/apps/{app}/groups"
APP = "/api/v1/apps/{app}"
#: after this many answers the hostile pages end, so that a reader without bounds finishes
#: (and its test fails on what it returned) instead of hanging the suite
GIVE_UP = 40


def _next_link(request: Request, after: str) -> str:
    return f'<{request.url.replace(query=f"limit=200&after={after}")}>; rel="next"'


def same_page_forever() -> tuple[list[int], object]:
    """Every page's next link is the page itself."""
    calls: list[int] = []

    def respond(request: Request) -> Response:
        calls.append(1)
        response = JSONResponse([])
        if len(calls) < GIVE_UP:
            response.headers.append("Link", _next_link(request, "same"))
        return response

    return calls, respond


def new_cursor_forever() -> tuple[list[int], object]:
    """Every page has a next link with a cursor never seen before."""
    calls: list[int] = []
    counter = itertools.count()

    def respond(request: Request) -> Response:
        calls.append(1)
        response = JSONResponse([])
        if len(calls) < GIVE_UP:
            response.headers.append("Link", _next_link(request, f"c{next(counter)}"))
        return response

    return calls, respond


def run(command: str, tmp_path: Path, app_id: str) -> list[str]:
    argv = [command, str(EXAMPLE), "--app-id", app_id]
    return argv + (["--output", str(tmp_path / "import.json")] if command == "adopt" else [])


def assert_one_line_exit_2(argv: list[str], capsys, *expected: str) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    for text in expected:
        assert text in captured.err
    return captured.err


@pytest.mark.parametrize("command", ["verify", "adopt"])
def test_a_next_link_to_the_same_page_stops_at_once(okta_server, app_id, capsys, tmp_path, command):
    calls, respond = same_page_forever()
    path = USERS.format(app=app_id)
    okta_server.fake.answer(path, respond)
    assert_one_line_exit_2(
        run(command, tmp_path, app_id), capsys, f"GET {path}", 'the Link rel="next" of page 2 is a page already read'
    )
    assert len(calls) == 2
    assert not (tmp_path / "import.json").exists()


def test_pages_beyond_the_limit_stop_the_read(okta_server, app_id):
    calls, respond = new_cursor_forever()
    okta_server.fake.answer(GROUPS.format(app=app_id), respond)
    with pytest.raises(okta_api.OktaApiError, match="more than 5 pages; stopped reading") as exc:
        verify(str(EXAMPLE), max_pages=5)
    assert exc.value.path == GROUPS.format(app=app_id) and len(calls) == 5


def test_the_whole_read_has_a_time_limit(okta_server, app_id):
    async def slow(request: Request) -> Response:
        await asyncio.sleep(5)
        return JSONResponse([])

    okta_server.fake.answer(USERS.format(app=app_id), lambda request: _Awaiting(slow, request))
    with pytest.raises(okta_api.OktaApiError, match=r"did not answer within 0\.5 s \(the time limit\)") as exc:
        verify(str(EXAMPLE), time_limit=0.5)
    assert exc.value.path == USERS.format(app=app_id)


class _Awaiting(Response):
    """An ASGI response that awaits ``make(request)`` before sending it (a slow server)."""

    def __init__(self, make, request: Request) -> None:
        self._make, self._request = make, request

    async def __call__(self, scope, receive, send) -> None:
        response = await self._make(self._request)
        await response(scope, receive, send)


@pytest.mark.parametrize("command", ["verify", "adopt"])
@pytest.mark.parametrize(
    "path,answer,expected",
    [
        (GROUPS, HTMLResponse("<html><body>Service unavailable</body></html>"), "not JSON (text/html"),
        (
            APP,
            Response("<html>maintenance</html>", media_type="application/json"),
            "not JSON (though its Content-Type says so)",
        ),
        (USERS, JSONResponse({"id": "00u1", "scope": "USER"}), "a JSON list of objects was expected, got an object"),
        (USERS, JSONResponse(["00u1"]), "a JSON list of objects was expected, got a list holding something other"),
        (GROUPS, JSONResponse([{}]), "an object has no 'id'"),
        (APP, JSONResponse([]), "a JSON object was expected, got a list"),
        (USERS, JSONResponse([{"id": 17, "scope": "USER"}]), "17 is not a non-empty string"),
        (GROUPS, JSONResponse([{"id": "00g1", "priority": "high"}]), "priority 'high' is not an integer"),
    ],
    ids=["html", "html-as-json", "object-for-list", "list-of-strings", "empty-object", "list-for-object",
         "id-a-number", "priority-a-string"],
)  # fmt: skip
def test_an_answer_okta_does_not_give_is_one_line_exit_2(
    okta_server, app_id, capsys, tmp_path, command, path, answer, expected
):
    path = path.format(app=app_id)
    okta_server.fake.answer(path, lambda request: answer)
    argv = run(command, tmp_path, app_id)
    err = assert_one_line_exit_2(argv, capsys, f"GET {path}", "not an answer of Okta's API", expected)
    assert err.startswith(f"{command}: ")
    assert not (tmp_path / "import.json").exists()
