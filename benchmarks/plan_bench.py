"""Offline plan at scale: time, peak memory and Okta lookups, against the bare-runtime floor.

For generated configs (``tests/generated.py``) of 20, 1,000 and 5,000 people (4, 50 and 100
groups, every fifth an existing group looked up by name), each run in a fresh process:

- ``plan``: ``build_plan`` (config read and validated, the real program under Pulumi's mock
  runtime, the resources recorded and sorted) and the text rendering, as ``python -m
  ownscim_infra plan`` does;
- ``floor``: the same mock runtime (``pulumi.runtime.set_mocks``, Pulumi's ``MockMonitor``)
  declaring as many plain ``pulumi.CustomResource`` children of one component, four string
  inputs each, and nothing else: what any program of that size costs;
- ``typed``: the same, but each resource a pulumi-okta ``okta.app.User`` with the options the
  program gives an assignment (``depends_on``, ``ignore_changes``, ``replacement_trigger``,
  ``delete_before_replace``, ``replace_on_changes``) and its user id from an ``Output``: what
  the Pulumi SDK and pulumi-okta cost for resources like the program's, without the program.

Both processes import the same modules first (Pulumi, pulumi-okta, this package), so the
figures compare the work, not the imports. Time is measured from after the imports to the
end, wall clock and, in brackets, the process's CPU time (steadier on a shared machine);
memory is the process's peak RSS (``ru_maxrss``). Median of ``--repeat`` runs (one run per
process). Prints a table with the ratios plan/floor, and the lookups the plan declares
(``okta:user/getUsers`` / ``okta:index/getGroups``, or the per-person ones of before).

    .venv/bin/python benchmarks/plan_bench.py [--repeat 3] [--sizes 20,1000,5000]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: people -> groups of the generated config (the issue's sizes: 50 groups at 1,000 people, 100 at 5,000)
SIZES = {20: 5, 1000: 50, 5000: 100}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child_plan(config: str) -> dict[str, object]:
    from ownscim_infra.offline.plan import build_plan, render_text

    start, cpu = time.perf_counter(), time.process_time()
    plan = build_plan(config)
    render_text(plan)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    tokens = [lookup["token"] for lookup in plan.lookups]
    return {
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": _peak_mb(),
        "resources": len(plan.resources),
        "user_lookups": sum("user/getUser" in t for t in tokens),
        "group_lookups": sum("getGroup" in t for t in tokens),
    }


def _bare_runtime(stack: str, count: int, program: Callable[[], None]) -> dict[str, object]:
    """Run ``program`` (which declares ``count`` resources) under Pulumi's mock runtime, with
    mocks that echo the inputs and answer every invoke with nothing: time, CPU, peak memory."""
    import pulumi
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
            return f"{args.name}-id", dict(args.inputs)

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
            return {}, []

    start, cpu = time.perf_counter(), time.process_time()
    pulumi.runtime.set_mocks(Mocks(), project="bench", stack=stack, preview=True)
    _sync_await(run_pulumi_func(program))
    return {
        "seconds": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
        "peak_mb": _peak_mb(),
        "resources": count,
    }


def child_floor(count: int) -> dict[str, object]:
    import pulumi

    import ownscim_infra.offline.plan  # noqa: F401  the same imports as the plan's process

    def program() -> None:
        parent = pulumi.ComponentResource("bench:index:Parent", "parent")
        for i in range(count - 1):
            pulumi.CustomResource(
                "bench:index:Plain",
                f"plain-{i}",
                {"appId": "app", "userId": f"user-{i}", "username": f"u{i}@example.com", "profile": "{}"},
                opts=pulumi.ResourceOptions(parent=parent),
            )

    return _bare_runtime("floor", count, program)


def child_typed(count: int) -> dict[str, object]:
    import json as _json

    import pulumi
    import pulumi_okta as okta

    import ownscim_infra.offline.plan  # noqa: F401  the same imports as the plan's process

    def program() -> None:
        parent = pulumi.ComponentResource("bench:index:Parent", "parent")
        first = pulumi.CustomResource("bench:index:Plain", "first", {}, opts=pulumi.ResourceOptions(parent=parent))
        ids = pulumi.Output.from_input({f"u{i}@example.com": f"user-{i}" for i in range(count)})
        for i in range(count - 2):
            profile = _json.dumps({"regions": "us1"})
            okta.app.User(
                f"user-{i}",
                app_id=first.id,
                user_id=ids.apply(lambda found, i=i: found[f"u{i}@example.com"]),
                username=f"u{i}@example.com",
                profile=profile,
                opts=pulumi.ResourceOptions(
                    parent=parent,
                    depends_on=[first],
                    ignore_changes=["profile"],
                    replacement_trigger=profile,
                    delete_before_replace=True,
                    replace_on_changes=["userId"],
                ),
            )

    return _bare_runtime("typed", count, program)


def _run_child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(float(r[key]) for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="people per config, comma-separated")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, value = args.child
        children = {"plan": child_plan, "floor": child_floor, "typed": child_typed}
        print(json.dumps(children[kind](value if kind == "plan" else int(value))))  # type: ignore[operator]
        return
    from tests import generated

    cells = [
        "people",
        "groups",
        "resources",
        "user lookups",
        "group lookups",
        "plan s (CPU)",
        "floor s (CPU)",
        "time ratio (CPU)",
        "plan MB",
        "floor MB",
        "memory ratio",
        "typed s (CPU)",
        "typed MB",
        "plan/typed (CPU)",
    ]
    print("| " + " | ".join(cells) + " |")
    print("|" + "|".join("-" * (len(c) + 2) for c in cells) + "|")
    with tempfile.TemporaryDirectory() as tmp:
        for people in (int(s) for s in args.sizes.split(",")):
            groups = SIZES.get(people, max(1, people // 20))
            config, _ = generated.write(Path(tmp), people, groups)
            runs: dict[str, list[dict[str, float]]] = {"plan": [], "floor": [], "typed": []}
            for _ in range(args.repeat):
                runs["plan"].append(_run_child("plan", str(config)))
                count = str(int(runs["plan"][-1]["resources"]))
                runs["floor"].append(_run_child("floor", count))
                runs["typed"].append(_run_child("typed", count))
            m = {k: {f: _median(v, f) for f in ("seconds", "cpu", "peak_mb")} for k, v in runs.items()}
            first = runs["plan"][0]
            row = [
                str(people),
                str(groups),
                str(int(first["resources"])),
                str(int(first["user_lookups"])),
                str(int(first["group_lookups"])),
                f"{m['plan']['seconds']:.2f} ({m['plan']['cpu']:.2f})",
                f"{m['floor']['seconds']:.2f} ({m['floor']['cpu']:.2f})",
                f"{m['plan']['seconds'] / m['floor']['seconds']:.2f}x ({m['plan']['cpu'] / m['floor']['cpu']:.2f}x)",
                f"{m['plan']['peak_mb']:.0f}",
                f"{m['floor']['peak_mb']:.0f}",
                f"{m['plan']['peak_mb'] / m['floor']['peak_mb']:.2f}x",
                f"{m['typed']['seconds']:.2f} ({m['typed']['cpu']:.2f})",
                f"{m['typed']['peak_mb']:.0f}",
                f"{m['plan']['cpu'] / m['typed']['cpu']:.2f}x",
            ]
            print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
