"""End-to-end simulation at scale: time per provisioned user, by phase, at 1,000 and 5,000 people.

For each size N, a generated config and directory (``tests/generated.py``): N Okta users, the
first N/2 assigned directly (``people``, one in three without regions), the other N/2 only
through their groups (N/20 groups, every fifth an existing group); every user is in one or two of them,
and in ``Everyone``. ``simulate`` runs as the command does (the program under the mock runtime, the emulated
``pulumi up`` with Okta's provisioning after every step, a receiver started on 127.0.0.1 with a
temporary database, Own's state read back and compared), in a fresh process, and the phases
are timed:

- ``plan``: the config read and validated, the program run under the mock runtime (``build_plan``);
- ``directory``: the directory file read and validated (``load_directory``);
- ``up``: the emulated ``pulumi up`` and Okta's provisioning of Own after each step (the
  engine, the provider, Okta's rules), without the requests to the receiver;
- ``okta http``: the requests Okta's SCIM client sends the receiver during ``up`` (a lookup
  and a create a user), request and answer: mostly the receiver's time;
- ``read``: Own's state read back through SCIM, one lookup a user (the same receiver);
- ``rest``: everything else (the receiver started and stopped, the expectations, the findings,
  the report, and its text rendering).

Time per user is the phase's wall time over the users Own holds active at the end (all of
them). Prints one row a size and the ratio of the per-user times (largest size over the
smallest): linear means 1.0. ``--repeat`` runs each size that many times (median).

    .venv/bin/python benchmarks/simulate_bench.py [--sizes 1000,5000] [--repeat 1]
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


def child(config: str, directory: str) -> dict[str, Any]:
    from ownscim_infra.offline import simulate
    from ownscim_infra.offline.report_text import render_text
    from ownscim_infra.offline.rollout import Rollout
    from ownscim_infra.offline.scim_client import OktaScimClient

    spent = dict.fromkeys([*PHASES, "http"], 0.0)
    simulate.build_plan = _timed(spent, "plan", simulate.build_plan)  # type: ignore[attr-defined]
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
    start = time.perf_counter()
    report = simulate.simulate(config, directory)
    render_text(report)
    total = time.perf_counter() - start
    spent["up"] -= spent["okta http"]
    spent["rest"] = total - sum(spent[p] for p in PHASES if p != "rest")
    active = sum(1 for u in report.users if u.own is not None and u.own.active)
    return {"total": total, "users": len(report.users), "active": active, "ok": report.ok, **spent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000", help="Okta users per run, comma-separated")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    from tests import generated

    cells = ["users", "provisioned", "total s", "ms/user", *(f"{p} ms/user" for p in PHASES)]
    print("| " + " | ".join(cells) + " |")
    print("|" + "|".join("-" * (len(c) + 2) for c in cells) + "|")
    per_user: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            config, directory = generated.write(
                Path(tmp), size // 2, max(1, size // 20), extra_users=size - size // 2, others=("Everyone",)
            )
            runs = []
            for _ in range(args.repeat):
                out = subprocess.run(
                    [sys.executable, __file__, "--child", str(config), str(directory)],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=ROOT,
                )
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            run = {k: statistics.median(r[k] for r in runs) for k in ("total", *PHASES)}
            active = runs[0]["active"]
            per_user[size] = run["total"] / active * 1000
            phases = [f"{run[p] / active * 1000:.2f}" for p in PHASES]
            row = [str(size), str(active), f"{run['total']:.1f}", f"{per_user[size]:.2f}", *phases]
            print("| " + " | ".join(row) + " |", flush=True)
            if not runs[0]["ok"]:
                print(f"  (the report for {size} users is not ok: a difference or a finding)", flush=True)
    if len(per_user) > 1:
        small, large = min(per_user), max(per_user)
        print(f"\nper-user time at {large} over {small}: {per_user[large] / per_user[small]:.2f}x")


if __name__ == "__main__":
    main()
