"""Offline plan speed: how long the mock-runtime run takes as the config grows.

Prints, for configs of N groups and 5N people: the time to load and validate the config
(the baseline, measured in the same run) and the time of a whole plan (program under the
mock runtime + all three renderers), median of several runs, and their ratio.
Usage: python benchmarks/plan_bench.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ownscim_infra.config import load_config
from ownscim_infra.plan import RENDERERS, build_plan

REGIONS = ["us1", "emea2", "uk1", "ca1", "au1"]


def make_config(groups: int, directory: Path) -> Path:
    data = {
        "app": {"label": "Own", "scim_base_url": "https://own.example/scim/v2"},
        "regions": REGIONS,
        "groups": [{"name": f"Own team {i}", "regions": REGIONS[: 1 + i % len(REGIONS)]} for i in range(groups)],
        "people": [
            {"login": f"user{i}@example.com", **({"regions": [REGIONS[i % 5]]} if i % 3 else {})}
            for i in range(groups * 5)
        ],
    }
    path = directory / f"bench-{groups}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'groups':>6} {'people':>6} {'resources':>9} {'load ms':>9} {'plan ms':>9} {'plan/load':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for groups in (4, 40, 200):
            path = make_config(groups, Path(tmp))
            load = median_seconds(lambda path=path: load_config(path), args.repeat)
            count = len(build_plan(path).resources)

            def whole_plan(path: Path = path) -> None:
                plan = build_plan(path)
                for render in RENDERERS.values():
                    render(plan)

            plan_s = median_seconds(whole_plan, args.repeat)
            print(
                f"{groups:>6} {groups * 5:>6} {count:>9} {load * 1e3:>9.1f} {plan_s * 1e3:>9.1f} {plan_s / load:>9.0f}x"
            )


if __name__ == "__main__":
    main()
