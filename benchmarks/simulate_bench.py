"""End-to-end simulation at scale: time per provisioned user, by phase, at 1,000 and 5,000 people.

For each size N, a generated config and directory (``tests/generated.py``): N Okta users, the
first N/2 assigned directly (``people``, one in three without regions), the other N/2 only
through their groups (N/20 groups, every fifth an existing group); every user is in one or two of them,
and in ``Everyone``. ``simulate`` runs as the command does (the program under the mock runtime, the emulated
``pulumi up`` with Okta's provisioning after every step, a receiver started with a temporary
database -- in process by default, with ``--http`` also served on 127.0.0.1 in a second row; with
``--json`` also in process with the directory as ``directory pull`` writes it, JSON --,
Own's state read back and compared), in a fresh process, and the phases are timed:

- ``plan``: the config read and validated, the program run under the mock runtime (``build_plan``);
- ``directory``: the directory file read and validated (``load_directory``);
- ``up``: the emulated ``pulumi up`` and Okta's provisioning of Own after each step (the
  engine, the provider, Okta's rules), without the requests to the receiver;
- ``okta http``: the requests Okta's SCIM client sends the receiver during ``up`` (a lookup
  and a create a user), request and answer: mostly the receiver's time (in process: the same
  requests through httpx's ASGI transport, no socket);
- ``read``: Own's state read back through SCIM, one lookup a user (the same receiver);
- ``rest``: everything else (the receiver started and stopped, the expectations, the findings,
  the report, and its text rendering).

Time per user is the phase's wall time over the users Own holds active at the end (all of
them). ``CPU s`` is the process's CPU time (all threads, steadier on a shared machine),
``CPU beyond plan`` that minus the plan's CPU, per user. Prints one row a size and the ratio
of the per-user CPU times (largest size over the smallest): linear means 1.0. ``--repeat``
runs each size that many times (median).

    .venv/bin/python benchmarks/simulate_bench.py [--sizes 1000,5000] [--repeat 1] [--http] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHASES = ("plan", "directory", "up", "okta http", "read", "rest")


def _timed(spent: dict[str, float], phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[phase] += time.perf_counter() - start

    return wrapper


def _cpu(spent: dict[str, float], phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[phase] += time.process_time() - start

    return wrapper


def child(config: str, directory: str, http: bool = False) -> dict[str, Any]:
    from ownscim_infra.offline import simulate
    from ownscim_infra.offline.report_text import render_text
    from ownscim_infra.offline.rollout import Rollout
    from ownscim_infra.offline.scim_client import OktaScimClient

    spent = dict.fromkeys([*PHASES, "http", "plan cpu"], 0.0)
    simulate.build_plan = _cpu(spent, "plan cpu", _timed(spent, "plan", simulate.build_plan))  # type: ignore[attr-defined]
    simulate.load_directory = _timed(spent, "directory", simulate.load_directory)  # type: ignore[attr-defined]
    Rollout.up = _timed(spent, "up", Rollout.up)  # type: ignore[method-assign]
    simulate.read_own_state = _timed(spent, "read", simulate.read_own_state)  # type: ignore[attr-defined]
    OktaScimClient._send = _timed(spent, "http", OktaScimClient._send)  # type: ignore[method-assign]

    def up_http(rollout: Rollout, *args: Any, **kwargs: Any) -> Any:
        http = spent["http"]
        try:
            return up(rollout, *args, **kwargs)
        finally:
            spent["okta http"] += spent["http"] - http

    up = Rollout.up
    Rollout.up = up_http  # type: ignore[method-assign]
    start, cpu = time.perf_counter(), time.process_time()
    report = simulate.simulate(config, directory, **({"http": True} if http else {}))
    render_text(report)
    total, cpu = time.perf_counter() - start, time.process_time() - cpu
    spent["up"] -= spent["okta http"]
    spent["rest"] = total - sum(spent[p] for p in PHASES if p != "rest")
    active = sum(1 for u in report.users if u.own is not None and u.own.active)
    return {"total": total, "cpu": cpu, "users": len(report.users), "active": active, "ok": report.ok, **spent}


def _mode(receiver: str) -> str:
    """The child's third argument: ``in-process`` or ``http`` (the row's directory aside)."""
    return receiver.split(",")[0].replace(" ", "-")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000", help="Okta users per run, comma-separated")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--http", action="store_true", help="also run each size over HTTP on 127.0.0.1")
    parser.add_argument(
        "--json", action="store_true", help="also run each size with the directory as `directory pull` writes it (JSON)"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.child[2] == "http")))
        return
    from tests import generated

    cells = ["users", "receiver", "provisioned", "total s", "ms/user", *(f"{p} ms/user" for p in PHASES)]
    cells += ["CPU s", "plan CPU s", "CPU beyond plan ms/user"]
    print("| " + " | ".join(cells) + " |")
    print("|" + "|".join("-" * (len(c) + 2) for c in cells) + "|")
    per_user: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            config, directory = generated.write(
                Path(tmp), size // 2, max(1, size // 20), extra_users=size - size // 2, others=("Everyone",)
            )
            pulled = directory.with_suffix(".json")
            if args.json:
                import yaml

                from ownscim_infra.live.directory_pull import render

                pulled.write_text(render({"users": yaml.safe_load(directory.read_text())["users"]}))
            receivers = ["in process", *(["in process, json"] if args.json else []), *(["http"] if args.http else [])]
            for transport in receivers:
                users = pulled if transport.endswith("json") else directory
                runs = []
                for _ in range(args.repeat):
                    out = subprocess.run(
                        [sys.executable, __file__, "--child", str(config), str(users), _mode(transport)],
                        capture_output=True,
                        text=True,
                        check=True,
                        cwd=ROOT,
                    )
                    runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
                run = {k: statistics.median(r[k] for r in runs) for k in ("total", "cpu", "plan cpu", *PHASES)}
                active = runs[0]["active"]
                beyond = (run["cpu"] - run["plan cpu"]) / active * 1000
                if transport == "in process":
                    per_user[size] = beyond
                phases = [f"{run[p] / active * 1000:.2f}" for p in PHASES]
                row = [str(size), transport, str(active), f"{run['total']:.1f}", f"{run['total'] / active * 1000:.2f}"]
                row += [*phases, f"{run['cpu']:.1f}", f"{run['plan cpu']:.1f}", f"{beyond:.2f}"]
                print("| " + " | ".join(row) + " |", flush=True)
                if not runs[0]["ok"]:
                    print(f"  (the report for {size} users is not ok: a difference or a finding)", flush=True)
    if len(per_user) > 1:
        small, large = min(per_user), max(per_user)
        print(f"\nper-user CPU beyond the plan at {large} over {small}: {per_user[large] / per_user[small]:.2f}x")


if __name__ == "__main__":
    main()
