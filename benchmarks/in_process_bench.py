"""What one of Okta's requests costs the emulated Own in process, and where that CPU goes.

``simulate`` and ``review`` provision the emulated Own in process
(:mod:`ownscim_infra.receiver.in_process`): each user Okta provisions is a lookup (``GET
/Users?filter=userName eq ...``, a miss) then a create (``POST /Users`` with Okta's body),
sent one at a time by :class:`~ownscim_infra.offline.scim_client.OktaScimClient` through
:class:`~ownscim_infra.receiver.in_process.InProcessTransport`, as a review does (durability
``normal``, as :func:`ownscim_infra.offline.simulate` starts the receiver).

For each kind of request, per request: the process's CPU (user and system, all threads:
``getrusage``), the main thread's (the client, httpx, the transport's event loop and the
application's own code on it: ``time.thread_time``), the rest (the receiver's worker lane and
its group-commit writer), the context switches, and the wall time. Then the floors: Okta's
client and the in-process transport alone (the same lookups and creates to an application that
answers at once, a canned empty ListResponse or created user), and inside the receiver's create,
scim2-models validating the same bodies as a creation request and serializing the created users
as its response, alone, in this thread.

And what the hand-offs between threads cost, a what-if: as many creates with the receiver's
worker lane and its writer run in the calling thread (the handler called on the event loop,
each write job committed alone by the caller, with the writer's own transaction, savepoint and
commit), after the plain creates, before them in every other round. The receiver never runs so:
a request in a lane can be cancelled at its deadline, and writes are committed together.

    .venv/bin/python benchmarks/in_process_bench.py [--users 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def _usage() -> tuple[float, float, int]:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime, used.ru_stime, used.ru_nvcsw + used.ru_nivcsw


def _measure(n: int, send: Callable[[int], object]) -> dict[str, float]:
    user0, sys0, switches0 = _usage()
    thread0, wall0 = time.thread_time(), time.perf_counter()
    for i in range(n):
        send(i)
    user1, sys1, switches1 = _usage()
    main = time.thread_time() - thread0
    ms = 1000 / n
    return {
        "user": (user1 - user0) * ms,
        "system": (sys1 - sys0) * ms,
        "main thread": main * ms,
        "other threads": max(0.0, user1 - user0 + sys1 - sys0 - main) * ms,  # getrusage ticks coarser than thread_time
        "switches": (switches1 - switches0) / n,
        "wall": (time.perf_counter() - wall0) * ms,
    }


class _Inline:
    """An executor that runs each call in the caller's thread (the what-if's worker lane)."""

    def submit(self, function: Callable[..., Any], *args: Any) -> Future[Any]:
        done: Future[Any] = Future()
        try:
            done.set_result(function(*args))
        except BaseException as exc:  # the handler's error, answered by the application as it is
            done.set_exception(exc)
        return done


@contextmanager
def _without_handoffs(app: Any) -> Iterator[None]:
    """Within: ``app``'s main lane and its database's writer run in the caller's thread."""
    from ownscim_infra.receiver.sqlite import _Job

    writer, lane = app.store.database._writer, app._main_lane

    def submit(function: Callable[..., Any]) -> Any:
        job = _Job(function)
        writer._commit([job])  # the writer thread's own commit, for one job
        if job.error is not None:
            raise job.error
        return job.result

    app._main_lane, writer.submit = _Inline(), submit
    try:
        yield
    finally:
        app._main_lane = lane
        del writer.submit


def _canned(created: bytes) -> Any:
    """An ASGI application that reads the request and answers at once: an empty ListResponse to
    a GET, ``created`` (201) to a POST; what Okta's client and the transport cost alone."""
    empty = json.dumps({"schemas": [LIST_RESPONSE], "totalResults": 0, "Resources": []}).encode()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        status, body = (201, created) if scope["method"] == "POST" else (200, empty)
        headers = [(b"content-type", b"application/scim+json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def run(users: int, prefix: str, what_if_first: bool = False) -> dict[str, dict[str, float]]:
    """One round: ``users`` lookups (misses), creates (and as many creates without hand-offs,
    before them with ``what_if_first``, else after) and lookups (hits); then the floors."""
    from scim2_models import Context

    from ownscim_infra.offline.scim_client import OktaScimClient
    from ownscim_infra.receiver.in_process import InProcessTransport, serve_in_process
    from ownscim_infra.receiver.settings import ReceiverSettings
    from tests.receiver.conftest import REGIONS, TOKEN, okta_user

    logins = [f"{prefix}{i:05d}@example.com" for i in range(users)]
    bodies = [okta_user(login) for login in logins]
    more = [f"inline.{login}" for login in logins]
    more_bodies = [okta_user(login) for login in more]
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        settings = ReceiverSettings(regions=REGIONS, token=TOKEN, db_path=Path(folder) / "own.db", durability="normal")
        with serve_in_process(settings) as receiver:
            client = OktaScimClient(receiver.base_url, TOKEN, transport=receiver.transport)
            try:
                for i in range(20):  # warm up: the first requests load modules and prepare statements
                    created = client.create(f"warm{prefix}{i}@example.com", okta_user(f"warm{prefix}{i}@example.com"))
                figures["lookup (miss)"] = _measure(users, lambda i: client.find(logins[i]))

                def what_if() -> None:
                    with _without_handoffs(receiver.app):
                        figures["create, no hand-off (what-if)"] = _measure(
                            users, lambda i: client.create(more[i], more_bodies[i])
                        )

                if what_if_first:
                    what_if()
                figures["create"] = _measure(users, lambda i: client.create(logins[i], bodies[i]))
                if not what_if_first:
                    what_if()
                figures["lookup (hit)"] = _measure(users, lambda i: client.find(logins[i]))
                refused = [e for e in client.exchanges if e.method == "POST" and e.status != 201]
                if refused:  # a figure of refused creates would measure the error path
                    raise SystemExit(f"{len(refused)} creates were refused, e.g. {refused[0]}")
            finally:
                client.close()
            model = receiver.app.own_service.get_model(receiver.app.user_type)
    canned = InProcessTransport(_canned(json.dumps(created).encode()))
    bare = OktaScimClient("http://127.0.0.1:0/scim/v2", TOKEN, transport=canned)
    try:
        figures["floor: client + transport, lookup"] = _measure(users, lambda i: bare.find(logins[i]))
        figures["floor: client + transport, create"] = _measure(users, lambda i: bare.create(logins[i], bodies[i]))
    finally:
        bare.close()
        canned.close()
    validated: list[object] = []
    figures["floor: validate the body"] = _measure(
        users, lambda i: validated.append(model.model_validate(bodies[i], scim_ctx=Context.RESOURCE_CREATION_REQUEST))
    )
    figures["floor: serialize the response"] = _measure(
        users,
        lambda i: validated[i].model_dump(scim_ctx=Context.RESOURCE_CREATION_RESPONSE),  # type: ignore[attr-defined]
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; each figure is the median")
    args = parser.parse_args()
    rounds = [run(args.users, f"r{n}.", what_if_first=n % 2 == 1) for n in range(args.repeat)]
    columns = ["user", "system", "main thread", "other threads", "switches", "wall"]
    print(f"\n{args.users} users, median of {args.repeat} rounds, ms of CPU a request (switches: a request)\n")
    print("| request | " + " | ".join(columns) + " |")
    print("|" + "---|" * (len(columns) + 1))
    for kind in rounds[0]:
        cells = [f"{statistics.median(r[kind][c] for r in rounds):.2f}" for c in columns]
        print(f"| {kind} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
