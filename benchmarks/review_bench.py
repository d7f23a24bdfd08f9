"""``review`` at scale against the two plans it contains, side by side, and how its cost grows
with the change rather than with the org.

**Against its plans** (``--sizes``, default 1,000 and 5,000 people): for each size N, a generated
BASE config and directory (``tests/generated.py``) in two shapes: ``declared``, the issue's own
(N people each assigned directly, N/100 groups, N/10 more users who have the app through their
groups only: 1,100 and 5,500 users), and ``half`` (N Okta users, the first N/2 assigned
directly, the others through their N/20 groups); everyone also in ``Everyone``; NEW moves the
first group to another region. In fresh processes that import the same modules first, each
timed from after the imports, CPU time of the process (all threads) and peak RSS:

- ``plan BASE`` and ``plan NEW``: ``build_plan`` of each config (what ``review`` cannot go under
  without changing Pulumi's SDK);
- ``review``: ``review(BASE, NEW, directory)`` and its Markdown, as the command does, with the
  directory as ``ownscim directory pull`` writes it (JSON: what a review reads in CI), and
  with ``--yaml`` also the same users in YAML (the bounded YAML reader).

Prints review CPU over the sum of the two plans' CPU (the issue's target: at most 1.25 at
5,000 people) and review peak memory over the larger plan's (at most 1.3).

**A change whose order matters** (``--conflict``, on by default, the ``declared`` shape): NEW
moves the first group and, in the same change, gives one of its members other regions directly:
two steps with no dependency that touch one person, so the review runs the change in both
orders. Prints that review's CPU over the plain move's (each run of the change in another order
used to run BASE again: about 2x; with BASE's run kept, the cost of one more run of the change).

**Proportional to the change** (``--directories``, default 5,000 and 50,000 users): one config
(10 groups of 50 people, 500 people in all, assigned through their groups) and a directory of
D users, the 500 and D - 500 others in 200 departments the config does not assign (a JSON file,
as ``directory pull`` writes it); NEW moves one group of 50 to another region. Prints the
review's CPU at each D, its findings, and the ratio largest over smallest (target: at most 2).
``--lookalike-groups`` names the others' groups ``Other Team 000`` to ``Other Team 199`` instead,
as the first passes did: ten of them are a letter or two from the config's ``Own Team 000`` to
``009``, so one user in twenty gets a ``directory-group-typo`` finding, a report that grows with
the org (2,250 findings at 50,000 users).

**Where a review's CPU goes** (``--no-phases`` skips it; the ``declared`` shape at each of
``--sizes``): the review of the first table again, in a fresh process, with each of its phases
timed (CPU of the process, all threads): the two plans, the directory, BASE's run
(``simulate.run_base``) and the change's (``simulate.run_change``), and inside each the SCIM
requests Okta's client sent the emulated Own (``OktaScimClient._send``: the client, the
in-process transport and the receiver's application and threads, which the caller waits for),
the Markdown, and CPython's cyclic collections (``gc.callbacks``; the plans' own, measured
alone, too). The table is the run whose total is the median (its rows add up). Prints the
review's CPU over its plans' (measured again in the same run), with and without those SCIM
requests.

    .venv/bin/python benchmarks/review_bench.py [--sizes 1000,5000] [--shapes declared,half] [--yaml]
        [--no-conflict] [--directories 5000,50000] [--lookalike-groups] [--no-phases] [--repeat 1]
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
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(kind: str, args: list[str]) -> dict[str, Any]:
    # both kinds import the same modules first (the receiver's too): the figures compare the work
    import gc

    from ownscim_infra.offline import review as review_module
    from ownscim_infra.offline.plan import build_plan
    from ownscim_infra.receiver import app  # noqa: F401

    collections = _Phases()  # no phase is wrapped: only the collector's CPU (:meth:`_Phases.on_gc`)
    gc.callbacks.append(collections.on_gc)
    start, cpu = time.perf_counter(), time.process_time()
    extra: dict[str, Any] = {}
    if kind == "plan":
        build_plan(args[0])
    else:
        rv = review_module.review(args[0], args[1], args[2])
        review_module.render_markdown(rv)
        extra["orders"] = len(rv.orders.outcomes)  # the runs of the change: 1 + the other orders
        extra["findings"] = len(rv.warnings) + len(rv.already_warnings)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    gc.callbacks.remove(collections.on_gc)
    extra["gc_cpu"] = sum(collections.cpu.values())
    return {"seconds": seconds, "cpu": cpu, "peak_mb": _peak_mb(), **extra}


class _Phases:
    """CPU seconds (``time.process_time``: all threads) spent in named functions, counted once
    when they nest (the outermost call), and within each of them in SCIM requests
    (``"<phase>: SCIM"``) and in CPython's cyclic collections (``"<phase>: collector"``,
    :meth:`on_gc`); outside every phase the name is ``"the rest"``."""

    REST = "the rest"

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.active: str | None = None
        self.collections = {"count": 0, "full": 0}
        self._started: list[float] = []

    def _add(self, key: str, spent: float) -> None:
        self.cpu[key] = self.cpu.get(key, 0.0) + spent

    def wrap(self, owner: Any, attribute: str, name: str) -> None:
        """Replace ``owner.attribute`` by the same function, timed as ``name`` (``"SCIM"``: a
        request, timed within the phase that sends it)."""
        import functools

        function = getattr(owner, attribute)

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.active is not None and name != "SCIM":
                return function(*args, **kwargs)
            outer, start = self.active, time.process_time()
            if name != "SCIM":
                self.active = name
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.process_time() - start
                self._add(name if name != "SCIM" else f"{outer or self.REST}: SCIM", spent)
                self.active = outer

        setattr(owner, attribute, timed)

    def on_gc(self, phase: str, info: dict[str, int]) -> None:
        """A ``gc.callbacks`` callback: each collection's CPU, in the phase it interrupts."""
        if phase == "start":
            self._started.append(time.process_time())
        elif self._started:
            self._add(f"{self.active or self.REST}: collector", time.process_time() - self._started.pop())
            self.collections["count"] += 1
            self.collections["full"] += info["generation"] == 2


def phases_child(base: str, new: str, directory: str) -> dict[str, Any]:
    """The review of :func:`child` with its phases timed (:class:`_Phases`)."""
    import gc

    from ownscim_infra.offline import review as review_module
    from ownscim_infra.offline import simulate
    from ownscim_infra.offline.scim_client import OktaScimClient
    from ownscim_infra.receiver import app  # noqa: F401

    phases = _Phases()
    phases.wrap(simulate, "build_plan", "plans (build_plan x 2)")
    phases.wrap(simulate, "load_directory", "directory (load_directory)")
    phases.wrap(simulate, "run_base", "BASE's run (run_base)")
    phases.wrap(simulate, "run_change", "the change's run (run_change)")
    phases.wrap(review_module, "explore_orders", "other orders (explore_orders)")
    phases.wrap(review_module, "render_markdown", "Markdown (render_markdown)")
    phases.wrap(OktaScimClient, "_send", "SCIM")
    gc.callbacks.append(phases.on_gc)
    cpu = time.process_time()
    rv = review_module.review(base, new, directory)
    review_module.render_markdown(rv)
    total = time.process_time() - cpu
    gc.callbacks.remove(phases.on_gc)
    phases.cpu[phases.REST] = total - sum(v for k, v in phases.cpu.items() if ": " not in k)
    return {"total": total, "phases": phases.cpu, "gc": phases.collections, "findings": len(rv.warnings)}


#: What the review does outside the timed phases.
REST_LABEL = "the rest (findings, BASE's run kept for other orders, receivers started and closed)"


def phases(sizes: list[int], repeat: int, tmp: Path) -> None:
    """Where the review of the declared shape spends its CPU, against its plans measured alone."""
    for size in sizes:
        base, directory = _base_files(tmp / f"phases-{size}", "declared", size)
        new, listed = _moved(base), _as_pulled(directory)
        alone = [_run("plan", config, repeat=repeat) for config in (base, new)]
        plans = {k: sum(a[k] for a in alone) for k in ("cpu", "gc_cpu")}
        runs = _child_runs("phases", base, new, listed, repeat=repeat)
        run = sorted(runs, key=lambda r: r["total"])[len(runs) // 2]  # the median run, whose rows add up
        cpu, total = run["phases"], run["total"]
        names = [k for k in cpu if ": " not in k and k != _Phases.REST] + [_Phases.REST]
        findings = run["findings"]
        print(f"\nWhere a review of {size} people spends its CPU ({findings} findings; the median of {repeat} runs):\n")
        _header(["phase", "CPU s", "share", "of which SCIM requests to Own", "of which CPython's collector"])
        for name in names:
            scim, collector = cpu.get(f"{name}: SCIM", 0.0), cpu.get(f"{name}: collector", 0.0)
            label = REST_LABEL if name == _Phases.REST else name
            _row([label, f"{cpu[name]:.2f}", f"{cpu[name] / total:.0%}", f"{scim:.2f}", f"{collector:.2f}"])
        scim = sum(v for k, v in cpu.items() if k.endswith(": SCIM"))
        collector = sum(v for k, v in cpu.items() if k.endswith(": collector"))
        _row(["review", f"{total:.2f}", "100%", f"{scim:.2f}", f"{collector:.2f}"])
        inside = cpu.get("plans (build_plan x 2)", 0.0)
        print(
            f"\nCollections: {run['gc']['count']}, {run['gc']['full']} of them full."
            f" The two plans measured alone: {plans['cpu']:.2f} s, of which CPython's collector {plans['gc_cpu']:.2f} s"
            f" (in the review: {inside:.2f} s).\nReview over the plans measured alone: {total / plans['cpu']:.2f}x."
            f" Without its SCIM requests ({scim:.2f} s; as if every request cost nothing, Okta's client included):"
            f" {(total - scim) / plans['cpu']:.2f}x over the plans measured alone,"
            f" {(total - scim) / inside:.2f}x over the plans as timed in the review.",
            flush=True,
        )


def _child_runs(kind: str, *paths: Path, repeat: int) -> list[dict[str, Any]]:
    """What each of ``repeat`` fresh processes running ``--child kind paths`` printed."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--child", kind, *map(str, paths)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs


def _run(kind: str, *paths: Path, repeat: int) -> dict[str, float]:
    runs = _child_runs(kind, *paths, repeat=repeat)
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def _header(cells: list[str]) -> None:
    """Print a Markdown table's header and separator (the rows follow as they are measured)."""
    print("| " + " | ".join(cells) + " |")
    print("|" + "|".join("-" * (len(c) + 2) for c in cells) + "|")


def _row(cells: list[str]) -> None:
    """Print one row of the table, at once (a row can take minutes)."""
    print("| " + " | ".join(cells) + " |", flush=True)


def _timed(run: dict[str, float]) -> str:
    """``wall (CPU)`` seconds of a measured run."""
    return f"{run['seconds']:.1f} ({run['cpu']:.1f})"


def _moved(config: Path, group: int = 0) -> Path:
    """NEW: ``config`` with its ``group``-th group moved to a region it did not have."""
    data = yaml.safe_load(config.read_text())
    regions = data["groups"][group]["regions"]
    data["groups"][group]["regions"] = [next(r for r in reversed(data["regions"]) if r not in regions)]
    new = config.with_name(config.stem + "-new.yaml")
    new.write_text(yaml.safe_dump(data, sort_keys=False))
    return new


def _base_files(folder: Path, shape: str, size: int) -> tuple[Path, Path]:
    """BASE's config and YAML directory of ``shape`` (see the module) for ``size`` people."""
    from tests import generated

    folder.mkdir()
    if shape == "declared":
        return generated.write(folder, size, max(1, size // 100), extra_users=size // 10, others=("Everyone",))
    return generated.write(folder, size // 2, max(1, size // 20), extra_users=size - size // 2, others=("Everyone",))


def against_plans(sizes: list[int], shapes: list[str], yaml_rows: bool, repeat: int, tmp: Path) -> None:
    cells = ["people", "shape", "users", "directory", "plan BASE s (CPU)", "plan NEW s (CPU)", "review s (CPU)"]
    cells += ["review/plans (CPU)", "plan MB (larger)", "review MB", "memory ratio"]
    _header(cells)
    for shape in shapes:
        for size in sizes:
            base, directory = _base_files(tmp / f"{shape}-{size}", shape, size)
            users = len(yaml.safe_load(directory.read_text())["users"])
            new = _moved(base)
            plan_base = _run("plan", base, repeat=repeat)
            plan_new = _run("plan", new, repeat=repeat)
            plans_cpu = plan_base["cpu"] + plan_new["cpu"]
            larger = max(plan_base["peak_mb"], plan_new["peak_mb"])
            kinds = [("json", _as_pulled(directory))] + ([("yaml", directory)] if yaml_rows else [])
            for kind, listed in kinds:
                rv = _run("review", base, new, listed, repeat=repeat)
                row = [
                    str(size),
                    shape,
                    str(users),
                    kind,
                    _timed(plan_base),
                    _timed(plan_new),
                    _timed(rv),
                    f"{rv['cpu'] / plans_cpu:.2f}x",
                    f"{larger:.0f}",
                    f"{rv['peak_mb']:.0f}",
                    f"{rv['peak_mb'] / larger:.2f}x",
                ]
                _row(row)


def _conflicting(config: Path) -> Path:
    """NEW: the first group moved (:func:`_moved`) and its first member (person 0, assigned
    directly without regions) given a region directly in the same change."""
    moved = _moved(config)
    data = yaml.safe_load(moved.read_text())
    data["people"][0]["regions"] = [data["regions"][-1]]
    new = config.with_name(config.stem + "-conflict.yaml")
    new.write_text(yaml.safe_dump(data, sort_keys=False))
    return new


def order_matters(sizes: list[int], repeat: int, tmp: Path) -> None:
    print("\nA change whose order matters (the declared shape; the review runs the change in both orders):\n")
    cells = ["people", "plain move: review s (CPU)", "move + conflict: review s (CPU)", "orders run"]
    cells += ["CPU over the plain move"]
    _header(cells)
    for size in sizes:
        base, directory = _base_files(tmp / f"conflict-{size}", "declared", size)
        listed = _as_pulled(directory)
        plain = _run("review", base, _moved(base), listed, repeat=repeat)
        both = _run("review", base, _conflicting(base), listed, repeat=repeat)
        row = [
            str(size),
            _timed(plain),
            _timed(both),
            f"{plain.get('orders', 1):.0f} / {both.get('orders', 1):.0f}",
            f"{both['cpu'] / plain['cpu']:.2f}x",
        ]
        _row(row)


def _as_pulled(directory: Path) -> Path:
    """The YAML ``directory`` as ``ownscim directory pull`` writes a directory: JSON, one user a
    line (:func:`ownscim_infra.live.directory_pull.render`; the users in the same order)."""
    from ownscim_infra.live.directory_pull import render

    pulled = directory.with_suffix(".json")
    pulled.write_text(render({"users": yaml.safe_load(directory.read_text())["users"]}))
    return pulled


#: The proportional case: groups of the config, people in each.
GROUPS, MEMBERS = 10, 50


def _proportional_files(users: int, folder: Path, lookalike: bool = False) -> tuple[Path, Path, Path]:
    """The config (:data:`GROUPS` groups of :data:`MEMBERS`, assigned through the groups, no
    person assigned directly), NEW (the first group moved) and a JSON directory of ``users``
    (the others in 200 departments, or with ``lookalike`` in 200 ``Other Team`` groups)."""
    from tests import generated

    folder.mkdir()
    data = generated.config_data(0, GROUPS)
    for group in data["groups"]:
        group.pop("create", None)
        group.setdefault("description", "Team")
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    rows = []
    for i in range(users):
        assigned = i < GROUPS * MEMBERS
        other = f"{'Other Team' if lookalike else 'Department'} {i % 200:03d}"
        groups = [generated.group_name(i // MEMBERS)] if assigned else [other]
        rows.append(
            {
                "login": generated.login(i),
                "first_name": "First",
                "last_name": f"Last{i:05d}",
                "groups": [*groups, "Everyone"],
            }
        )
    from ownscim_infra.live.directory_pull import render

    directory = folder / "directory.json"
    directory.write_text(render({"users": rows}))  # as `directory pull` writes it
    return config, _moved(config), directory


def proportional(directories: list[int], repeat: int, tmp: Path, lookalike: bool = False) -> None:
    others = "Other Team groups" if lookalike else "departments"
    print(f"\nOne group of {MEMBERS} moved; {GROUPS * MEMBERS} people assigned; the others in {others}:\n")
    cells = ["directory users", "review s (CPU)", "review MB", "findings", "CPU over the smallest"]
    _header(cells)
    first: float | None = None
    for users in directories:
        config, new, directory = _proportional_files(users, tmp / f"directory-{users}", lookalike)
        rv = _run("review", config, new, directory, repeat=repeat)
        first = first or rv["cpu"]
        cpu = _timed(rv)
        row = [str(users), cpu, f"{rv['peak_mb']:.0f}", f"{rv['findings']:.0f}", f"{rv['cpu'] / first:.2f}x"]
        _row(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000", help="people per review against its plans ('' to skip)")
    parser.add_argument("--shapes", default="declared,half", help="config shapes against the plans (see the module)")
    parser.add_argument("--yaml", action="store_true", help="also review with the directory in YAML")
    parser.add_argument("--no-conflict", action="store_true", help="skip the change whose order matters")
    parser.add_argument("--directories", default="5000,50000", help="directory users, one group changed ('' to skip)")
    parser.add_argument(
        "--lookalike-groups", action="store_true", help="the others' groups a letter from the config's (see the module)"
    )
    parser.add_argument("--no-phases", action="store_true", help="skip where the review's CPU goes (see the module)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, paths = args.child[0], args.child[1:]
        print(json.dumps(phases_child(*paths) if kind == "phases" else child(kind, paths)))
        return
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else []
        if sizes:
            against_plans(sizes, args.shapes.split(","), args.yaml, args.repeat, tmp)
        if sizes and not args.no_conflict:
            order_matters(sizes, args.repeat, tmp)
        if sizes and not args.no_phases:
            phases(sizes, args.repeat, tmp)
        if args.directories:
            directories = [int(s) for s in args.directories.split(",")]
            proportional(directories, args.repeat, tmp, args.lookalike_groups)


if __name__ == "__main__":
    main()
