"""Benchmark the SCIM receiver with Okta's flows, against stock scim2-server and an empty endpoint.

Each server runs in its own process under the same ASGI server (uvicorn with httptools and
uvloop), on 127.0.0.1, seeded with the same users:

- ``receiver``: ``python -m ownscim_infra receiver`` (SQLite, default durability ``full``,
  default log level ``info`` to a file), its users seeded straight into SQLite through the
  storage API (``SqliteStorage.create_many``) before it starts;
- ``scim2-server``: scim2-server's own ASGI application (``ASGIApplication`` over
  ``AsyncInMemoryStorage``, the default RFC 7643 schemas) with a bearer-token check, seeded
  through its storage API;
- ``empty``: an ASGI application that answers every request with a small JSON body (the ceiling
  of the ASGI server and of the load generator).

The load generator (this process, asyncio on uvloop, raw HTTP/1.1 keep-alive connections)
runs ``--clients`` connections per flow:

- ``lookup``: Okta's ``GET /Users?filter=userName eq "..."&startIndex=1&count=100`` of a
  stored user (a hit: the user is returned);
- ``lookup+create``: Okta's provisioning of a new user: the lookup (a miss), then ``POST
  /Users`` with Okta's full body; figures are pairs;
- ``deactivate``: Okta's path-less ``PATCH`` setting ``active`` (alternately false and true on
  each visit of a user, so that every PATCH writes) on stored users; the receiver runs with
  ``--deactivation keep``, so that a deactivated user is there to reactivate.

The machine may be shared, so the servers are measured in turns: each flow runs ``--rounds``
slices per server, the servers in a rotating order, and a server's figures add its slices up
(the spread of the slices' rates is shown). Per store size it prints a table (rate, p50 and
p99 latency in milliseconds, the server's resident memory in MB after the flow) and the ratios
of the receiver to each peer.

    .venv/bin/python benchmarks/receiver_bench.py                 # 1,000 / 10,000 / 100,000 users
    .venv/bin/python benchmarks/receiver_bench.py --quick         # a smoke run (200 users, short)
    .venv/bin/python benchmarks/receiver_bench.py --sizes 1000 --seconds 4 --servers receiver
    .venv/bin/python benchmarks/receiver_bench.py --profile /tmp/prof   # py-spy samples of the receiver
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

TOKEN = "bench-token-0123456789"
AGENT = "Okta SCIM Client 1.0.0"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SERVERS = ("receiver", "scim2-server", "empty")
FLOWS = ("lookup", "lookup+create", "deactivate")
UNITS = {"lookup": "req/s", "lookup+create": "pairs/s", "deactivate": "req/s"}
#: the SCIM base path of each server
BASE = {"receiver": "/scim/v2", "scim2-server": "/v2", "empty": "/scim/v2"}


def user_name(i: int, prefix: str = "user") -> str:
    """The ``userName`` of the ``i``-th seeded (or created) user."""
    return f"{prefix}{i}@example.com"


def okta_body(name: str, *, regions: bool) -> dict[str, Any]:
    """Okta's create body (Okta's SCIM 2.0 protocol reference); ``regions`` as Own's page maps it."""
    local = name.split("@")[0]
    body: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "userName": name,
        "name": {"givenName": local.title(), "familyName": "Doe"},
        "emails": [{"primary": True, "value": name, "type": "work"}],
        "displayName": f"{local} Doe",
        "locale": "en-US",
        "externalId": f"00u{abs(hash(name)) % 10**12:012d}",
        "groups": [],
        "password": "1mz050nq!Bench",
        "active": True,
    }
    if regions:
        body["schemas"] = [USER_SCHEMA, "urn:ietf:params:scim:schemas:core:2.0"]
        body["urn:ietf:params:scim:schemas:core:2.0"] = {"regions": "us1"}
    return body


# -- the servers ---------------------------------------------------------------------------


def _uvicorn_config(app: Any, port: int) -> Any:
    import uvicorn

    return uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_config=None,
        log_level="warning",
        server_header=False,
    )


def _empty_app() -> Callable[..., Any]:
    body = b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0}'
    headers = [(b"content-type", b"application/scim+json"), (b"content-length", str(len(body)).encode())]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def _stock_app(users: int) -> Any:
    """scim2-server's ASGI application over its in-memory storage, seeded with ``users`` users."""
    from scim2_models import UnauthorizedException
    from scim2_server.applications.asgi import ASGIApplication
    from scim2_server.memory import AsyncInMemoryStorage, InMemoryStorage
    from scim2_server.service import ScimService
    from scim2_server.utils import load_default_provider

    class BearerApplication(ASGIApplication):
        def check_auth(self, request: Any) -> None:
            scheme, _, token = (request.header("Authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or token != TOKEN:
                raise UnauthorizedException

    provider = load_default_provider()
    service = ScimService(provider)
    storage = InMemoryStorage()
    user_type = service.resource_type_at("Users")
    with provider:
        for i in range(users):
            body = json.dumps(okta_body(user_name(i), regions=False)).encode()
            storage.create(user_type, service.read_creation(user_type, body, "application/scim+json"))
    return BearerApplication(AsyncInMemoryStorage(storage), provider, service)


def serve_peer(kind: str, users: int, port: int) -> None:
    """Serve the empty endpoint or stock scim2-server (the ``--serve`` mode of this script)."""
    import uvicorn

    app = _empty_app() if kind == "empty" else _stock_app(users)
    uvicorn.Server(_uvicorn_config(app, port)).run()


def seed_receiver(db: Path, users: int) -> None:
    """Store ``users`` users in a new receiver database through the storage API."""
    from ownscim_infra.receiver.service import OwnScimService
    from ownscim_infra.receiver.settings import ReceiverSettings
    from ownscim_infra.receiver.storage import SqliteStorage

    settings = ReceiverSettings(regions=("us1", "emea2"), token=TOKEN, db_path=db)
    service = OwnScimService(settings)
    store = SqliteStorage(db, service.provider)
    user_type = service.resource_type_at("Users")
    try:
        with service.provider:
            resources = (
                service.read_creation(
                    user_type, json.dumps(okta_body(user_name(i), regions=True)).encode(), "application/scim+json"
                )
                for i in range(users)
            )
            store.create_many(user_type, resources)
    finally:
        store.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A server process being benchmarked."""

    kind: str
    process: subprocess.Popen[bytes]
    port: int
    log: Any

    def rss_mb(self) -> float:
        """Its resident memory, in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        """CPU time it used so far (user + system), in seconds."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Stop it (SIGINT, as Ctrl-C)."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def wait_ready(self, timeout: float = 1800) -> None:
        """Wait until it answers HTTP."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.process.returncode}: see {self.log.name}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(f"GET {BASE[self.kind]}/ServiceProviderConfig HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                    if s.recv(12).startswith(b"HTTP/1.1"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.kind} did not start")
            time.sleep(0.2)


def launch(kind: str, users: int, workdir: Path, receiver_args: list[str]) -> Server:
    """Start a server process (the receiver's users are seeded first, in this process)."""
    port = _free_port()
    env = dict(os.environ, OWN_SCIM_TOKEN=TOKEN)
    log = open(workdir / f"{kind}-{users}.log", "wb")  # noqa: SIM115 (closed in Server.stop)
    if kind == "receiver":
        db = workdir / f"receiver-{users}.db"
        seed_receiver(db, users)
        # --deactivation keep: the deactivate flow toggles ``active`` on the same users (the default,
        # Own's removal on deactivation, would leave nothing to reactivate)
        args = [sys.executable, "-m", "ownscim_infra", "receiver", "--regions", "us1,emea2", "--deactivation", "keep"]
        args += ["--port", str(port), "--db", str(db), *receiver_args]
    else:
        args = [sys.executable, __file__, "--serve", kind, "--users", str(users), "--port", str(port)]
    process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Server(kind, process, port, log)


# -- the load generator --------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection sending raw requests."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, port: int) -> Connection:
        """Connect to 127.0.0.1:``port`` (TCP_NODELAY)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer, f"127.0.0.1:{port}")

    async def request(self, method: str, target: str, body: bytes | None = None) -> tuple[int, bytes]:
        """Send one request as Okta's client does, and read the whole response: ``(status, body)``."""
        head = (
            f"{method} {target} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"User-Agent: {AGENT}\r\nAccept: application/scim+json\r\n"
        )
        if body is not None:
            head += f"Content-Type: application/scim+json; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (body or b""))
        headers = await self.reader.readuntil(b"\r\n\r\n")
        status = int(headers[9:12])
        length, chunked = 0, False
        for line in headers.split(b"\r\n"):
            lowered = line.lower()
            if lowered.startswith(b"content-length:"):
                length = int(line[15:])
            elif lowered.startswith(b"transfer-encoding:") and b"chunked" in lowered:
                chunked = True
        if not chunked:
            return status, await self.reader.readexactly(length) if length else b""
        chunks = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return status, b"".join(chunks)
            chunks.append((await self.reader.readexactly(size + 2))[:-2])

    def close(self) -> None:
        """Close the connection."""
        self.writer.close()


@dataclass
class Figures:
    """What a server did in a flow: operations, errors, latencies, time, memory."""

    operations: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, per operation
    elapsed: float = 0.0
    rss_mb: float = 0.0
    cpu: float = 0.0  # the server's CPU seconds while measured
    slices: list[float] = field(default_factory=list)  # the rate of each slice

    @property
    def rate(self) -> float:
        """Operations per second over all the slices."""
        return self.operations / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """A latency percentile (``p`` in 0..1), in milliseconds."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    @property
    def cpu_ms(self) -> float:
        """The server's CPU milliseconds per operation (user + system, all its threads)."""
        return self.cpu / self.operations * 1000 if self.operations else 0.0

    def add(self, other: Figures) -> None:
        """Add a slice's figures."""
        self.cpu += other.cpu
        self.operations += other.operations
        self.errors += other.errors
        self.latencies += other.latencies
        self.elapsed += other.elapsed
        self.rss_mb = max(self.rss_mb, other.rss_mb)
        self.slices.append(other.rate)

    def summary(self) -> dict[str, float]:
        """The figures as JSON-able numbers."""
        return {
            "per_second": round(self.rate, 1),
            "slices_min": round(min(self.slices, default=0), 1),
            "slices_max": round(max(self.slices, default=0), 1),
            "p50_ms": round(self.percentile(0.50), 2),
            "p99_ms": round(self.percentile(0.99), 2),
            "cpu_ms_per_op": round(self.cpu_ms, 3),
            "operations": self.operations,
            "errors": self.errors,
            "rss_mb": round(self.rss_mb, 1),
        }


def lookup_target(base: str, name: str) -> str:
    """Okta's lookup URL for ``name``."""
    return f"{base}/Users?filter={quote(f'userName eq {json.dumps(name)}')}&startIndex=1&count=100"


class Flow:
    """One of Okta's flows on one server, as each client repeats it."""

    def __init__(self, kind: str, server: str, users: int, ids: list[str]) -> None:
        self.kind, self.server, self.users, self.ids = kind, server, users, ids
        self.base = BASE[server]
        self.created = 0
        self.visits: dict[int, int] = {}

    async def once(self, conn: Connection, client: int, rng: random.Random) -> bool:
        """One lookup, one lookup and create, or one PATCH; ``True`` when the server said yes."""
        if self.kind == "lookup":
            status, _ = await conn.request("GET", lookup_target(self.base, user_name(rng.randrange(self.users))))
            return status == 200
        if self.kind == "lookup+create":
            self.created += 1
            name = user_name(self.created, prefix=f"new-c{client}-")
            status, _ = await conn.request("GET", lookup_target(self.base, name))
            if status != 200:
                return False
            body = json.dumps(okta_body(name, regions=self.server == "receiver")).encode()
            status, _ = await conn.request("POST", f"{self.base}/Users", body)
            return status == (200 if self.server == "empty" else 201)
        index = rng.randrange(len(self.ids))
        visit = self.visits[index] = self.visits.get(index, 0) + 1
        patch = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "value": {"active": visit % 2 == 0}}]}
        status, _ = await conn.request("PATCH", f"{self.base}/Users/{self.ids[index]}", json.dumps(patch).encode())
        return status in (200, 204)


async def collect_ids(server: Server, users: int, count: int) -> list[str]:
    """The ids of ``count`` stored users, read with lookups (for the deactivate flow)."""
    if server.kind == "empty":
        return [f"id{i}" for i in range(count)]
    conn = await Connection.open(server.port)
    ids = []
    try:
        for i in random.Random(7).sample(range(users), min(count, users)):
            status, body = await conn.request("GET", lookup_target(BASE[server.kind], user_name(i)))
            assert status == 200, status
            ids.append(json.loads(body)["Resources"][0]["id"])
    finally:
        conn.close()
    return ids


async def run_slice(
    server: Server, flow: Flow, clients: int, seconds: float, warmup: float, profile: Path | None = None
) -> Figures:
    """Run ``flow`` with ``clients`` connections: ``warmup`` seconds, then ``seconds`` measured."""
    figures = Figures()
    connections = [await Connection.open(server.port) for _ in range(clients)]
    measuring = False
    finished = False

    async def client(index: int) -> None:
        rng = random.Random(index + 1000 * flow.created)
        conn = connections[index]
        while not finished:
            t0 = time.perf_counter()
            counted = measuring
            ok = await flow.once(conn, index, rng)
            if counted and measuring:  # started and ended within the measured window
                figures.latencies.append(time.perf_counter() - t0)
                figures.operations += 1
                figures.errors += not ok

    async def clock() -> None:
        nonlocal measuring, finished
        await asyncio.sleep(warmup)
        measuring = True
        started, cpu = time.perf_counter(), server.cpu_seconds()
        spy = _py_spy(server, profile, seconds) if profile else None
        await asyncio.sleep(seconds)
        measuring = False
        figures.elapsed = time.perf_counter() - started
        figures.cpu = server.cpu_seconds() - cpu
        finished = True
        if spy is not None:
            await asyncio.to_thread(spy.wait)

    await asyncio.gather(clock(), *(client(i) for i in range(clients)))
    for conn in connections:
        conn.close()
    figures.rss_mb = server.rss_mb()
    return figures


def _py_spy(server: Server, path: Path, seconds: float) -> subprocess.Popen[bytes]:
    """Sample the server with py-spy (the ``profile`` extra) into ``path``: collapsed stacks of the
    thread holding the GIL (``--gil``), i.e. where the Python work goes."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    args = [spy, "record", "--pid", str(server.process.pid), "--format", "raw", "--rate", "250", "--gil"]
    args += ["--duration", str(max(1, int(seconds))), "--output", str(path), "--nonblocking"]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# -- the report -------------------------------------------------------------------------------------


def machine() -> str:
    """Cores, CPU model, memory and Python of this machine."""
    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} cores ({model}), {mem_kb / 1024 / 1024:.0f} GiB, Python {platform.python_version()}"


def table(users: int, results: dict[str, dict[str, Figures]], servers: list[str], flows: list[str]) -> str:
    """The Markdown table of one store size, and the ratios."""
    lines = [
        f"### {users:,} stored users",
        "",
        "| flow | server | rate | slices (min-max) | p50 ms | p99 ms | server CPU ms/op | RSS MB | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for flow in flows:
        for server in servers:
            f = results[server][flow]
            lines.append(
                f"| {flow} | {server} | {f.rate:,.0f} {UNITS[flow]} | {min(f.slices):,.0f}-{max(f.slices):,.0f} | "
                f"{f.percentile(0.5):.2f} | {f.percentile(0.99):.2f} | {f.cpu_ms:.2f} | {f.rss_mb:.0f} | {f.errors} |"
            )
    lines.append("")
    if "receiver" in servers and len(servers) > 1:
        lines += ["Ratios of throughput (same run):", ""]
        for flow in flows:
            mine = results["receiver"][flow].rate
            parts = [
                f"{mine / results[peer][flow].rate:.2f}x {peer}"
                for peer in servers
                if peer != "receiver" and results[peer][flow].rate
            ]
            lines.append(f"- {flow}: receiver = " + ", ".join(parts))
        lines.append("")
    return "\n".join(lines)


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    """Run every flow on every server for every size; print the tables; return the figures."""
    report: dict[str, Any] = {"machine": machine(), "clients": args.clients, "sizes": {}}
    kinds = [s for s in args.servers.split(",") if s]
    flows = [f for f in args.flows.split(",") if f]
    with tempfile.TemporaryDirectory(prefix="ownscim-bench-") as tmp:
        for users in args.sizes:
            started = time.perf_counter()
            servers: dict[str, Server] = {}
            try:
                for kind in sorted(kinds, key=lambda k: k == "receiver"):  # peers seed while the receiver does
                    servers[kind] = launch(kind, users, Path(tmp), args.receiver_args.split())
                for server in servers.values():
                    server.wait_ready()
                print(f"  {users} users seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
                ids = {
                    k: await collect_ids(s, users, min(users, 2000)) if "deactivate" in flows else []
                    for k, s in servers.items()
                }
                results = {k: {f: Figures() for f in flows} for k in kinds}
                for flow_kind in flows:
                    states = {k: Flow(flow_kind, k, users, ids[k]) for k in kinds}
                    for round_ in range(args.rounds):
                        order = kinds[round_ % len(kinds) :] + kinds[: round_ % len(kinds)]
                        for kind in order:
                            profile = None
                            if args.profile and kind == "receiver" and round_ == 0:
                                Path(args.profile).mkdir(parents=True, exist_ok=True)
                                profile = Path(args.profile) / f"receiver-{users}-{flow_kind.replace('+', '-')}.txt"
                            part = await run_slice(
                                servers[kind],
                                states[kind],
                                args.clients,
                                args.seconds / args.rounds,
                                args.warmup,
                                profile,
                            )
                            results[kind][flow_kind].add(part)
                    for kind in kinds:
                        print(
                            f"  {users:>7} users  {kind:12s} {flow_kind:14s} {results[kind][flow_kind].summary()}",
                            file=sys.stderr,
                            flush=True,
                        )
            finally:
                for server in servers.values():
                    server.stop()
            print(table(users, results, kinds, flows), flush=True)
            report["sizes"][users] = {k: {f: v.summary() for f, v in r.items()} for k, r in results.items()}
    return report


def main() -> int:
    """Parse the arguments and run the benchmark (or serve a peer, for ``--serve``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="stored users per run, comma-separated")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument("--seconds", type=float, default=12.0, help="measured seconds per flow and server (default 12)")
    parser.add_argument("--rounds", type=int, default=4, help="slices per flow and server, taken in turns (default 4)")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured seconds before each slice (default 0.5)")
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"among {', '.join(SERVERS)}")
    parser.add_argument("--flows", default=",".join(FLOWS), help=f"among {', '.join(FLOWS)}")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 200 users, 1 s per flow and server")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--profile", metavar="DIR", help="sample the receiver with py-spy into DIR (dev tool)")
    parser.add_argument("--receiver-args", default="", help="extra arguments of the receiver command")
    parser.add_argument("--serve", choices=("empty", "scim2-server"), help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_peer(args.serve, args.users, args.port)
        return 0
    if args.quick:
        args.sizes, args.seconds, args.rounds, args.warmup = "200", 1.0, 2, 0.2
    args.sizes = [int(s) for s in str(args.sizes).split(",") if s]
    import uvloop

    print(f"Machine: {machine()}; {args.clients} clients, {args.seconds:g} s per flow and server\n", flush=True)
    report = uvloop.run(bench(args))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
