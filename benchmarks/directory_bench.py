"""Loading a large directory file: the time ``load_directory`` takes for a file as
``directory pull`` writes it (JSON, one user a line), against a baseline measured in the same run.

For each size N (default 50,000 and 100,000): N users, each with a login, first and last
names, one or two groups and, for one in three, two profile attributes (``department``,
``countryCode``) and a custom one under ``profile``, the file written by
:func:`ownscim_infra.live.directory_pull.render`. Timed, each the median of ``--repeat`` runs:

- **json.loads**: the standard library parsing the same file (the baseline: the least any
  loader of this file can take);
- **load_directory**: what ``plan``, ``simulate`` and ``review`` run: the file read, parsed
  (duplicate keys refused) and validated into the pydantic model;
- **by_login**: the index of the users by login that every lookup builds first.

The target (issue 18): 50,000 users load in under 10 s.

    .venv/bin/python benchmarks/directory_bench.py [--sizes 50000,100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ownscim_infra.config.directory import load_directory  # noqa: E402
from ownscim_infra.live.directory_pull import render  # noqa: E402

#: the target of issue 18, seconds for 50,000 users
TARGET_50K = 10.0


def users(n: int) -> list[dict[str, Any]]:
    """``n`` users as ``directory pull`` writes them."""
    out = []
    for i in range(n):
        user: dict[str, Any] = {
            "login": f"user{i:06d}@example.com",
            "first_name": f"First{i % 977}",
            "last_name": f"Last{i}",
            "groups": ["Own EMEA", "Own US"] if i % 2 else [f"Own Team {i % 40}"],
        }
        if i % 3 == 0:
            user |= {"countryCode": "DE", "department": "Sales", "profile": {"ownTeam": "backup"}}
        out.append(user)
    return out


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'users':>8} {'MB':>6} {'json.loads s':>13} {'load_directory s':>17} {'by_login s':>11} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for n in (int(s) for s in args.sizes.split(",")):
            path = Path(folder) / f"d{n}.json"
            path.write_text(
                render({"source": "https://acme.okta.com", "generatedAt": "2026-12-03T14:00:00Z", "users": users(n)})
            )
            baseline = median_time(lambda path=path: json.loads(path.read_bytes()), args.repeat)
            loaded = median_time(lambda path=path: load_directory(path), args.repeat)
            directory = load_directory(path)
            assert len(directory.users) == n
            indexed = median_time(lambda path=path: load_directory(path).by_login, args.repeat) - loaded
            size = path.stat().st_size / 1e6
            index = max(indexed, 0.0)
            print(f"{n:>8} {size:>6.1f} {baseline:>13.2f} {loaded:>17.2f} {index:>11.2f} {loaded / baseline:>6.1f}")
            if n == 50_000:
                verdict = "within" if loaded <= TARGET_50K else "OVER"
                print(f"         50,000 users: {loaded:.2f} s, {verdict} the {TARGET_50K:g} s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
