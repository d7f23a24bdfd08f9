"""Benchmark the SCIM receiver with Okta-style traffic, against a no-storage baseline in the same run.

Starts the receiver on 127.0.0.1 (a temporary SQLite file), then with one httpx client:

- baseline: ``GET /ServiceProviderConfig`` (no storage work, no auth), N requests;
- okta: N/2 users provisioned as Okta does: lookup ``GET /Users?filter=userName eq "..."``
  then ``POST /Users`` (N requests in total).

Prints requests/s and p50/p95 latency (ms) of each, and the ratio okta/baseline.
Bounded: at most ``--requests`` per phase (default 500) and ``--max-seconds`` per phase.

    .venv/bin/python benchmarks/receiver_bench.py [--requests 500] [--max-seconds 60]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from ownscim_infra.receiver import ReceiverSettings, serve_in_background

TOKEN = "bench-token"


def _figures(latencies: list[float], elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "rps": len(ordered) / elapsed if elapsed else 0.0,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000,
    }


def run(requests: int, max_seconds: float) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = ReceiverSettings(regions=("us1", "emea2"), token=TOKEN, db_path=Path(tmp) / "bench.db")
        with (
            serve_in_background(settings) as receiver,
            httpx.Client(
                base_url=receiver.base_url,
                headers={"Authorization": f"Bearer {TOKEN}", "User-Agent": "Okta SCIM Client 1.0.0"},
                timeout=10,
            ) as client,
        ):
            client.get("/ServiceProviderConfig")  # warm up

            latencies, start = [], time.perf_counter()
            for _ in range(requests):
                t0 = time.perf_counter()
                assert client.get("/ServiceProviderConfig").status_code == 200
                latencies.append(time.perf_counter() - t0)
                if time.perf_counter() - start > max_seconds:
                    break
            baseline = _figures(latencies, time.perf_counter() - start)

            latencies, start = [], time.perf_counter()
            for i in range(requests // 2):
                user_name = f"bench.user{i}@example.com"
                t0 = time.perf_counter()
                found = client.get(
                    "/Users", params={"filter": f'userName eq "{user_name}"', "startIndex": 1, "count": 100}
                )
                latencies.append(time.perf_counter() - t0)
                assert found.status_code == 200 and found.json()["totalResults"] == 0
                t0 = time.perf_counter()
                created = client.post(
                    "/Users",
                    json={
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": user_name,
                        "name": {"givenName": "Bench", "familyName": f"User{i}"},
                        "emails": [{"primary": True, "value": user_name, "type": "work"}],
                        "displayName": f"Bench User{i}",
                        "locale": "en-US",
                        "externalId": f"00u{i}",
                        "groups": [],
                        "password": "not-stored",
                        "active": True,
                        "urn:ietf:params:scim:schemas:core:2.0": {"regions": "us1"},
                    },
                )
                latencies.append(time.perf_counter() - t0)
                assert created.status_code == 201
                if time.perf_counter() - start > max_seconds:
                    break
            okta = _figures(latencies, time.perf_counter() - start)
    return {"baseline": baseline, "okta": okta}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per phase (default 500)")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time bound per phase (default 60)")
    args = parser.parse_args()
    figures = run(max(2, args.requests), args.max_seconds)
    for name, label in (("baseline", "GET /ServiceProviderConfig (baseline)"), ("okta", "Okta lookup+create")):
        f = figures[name]
        print(
            f"{label:40s} {f['requests']:5d} req  {f['rps']:8.1f} req/s  "
            f"p50 {f['p50_ms']:6.2f} ms  p95 {f['p95_ms']:6.2f} ms"
        )
    ratio = figures["okta"]["rps"] / figures["baseline"]["rps"]
    p50_ratio = figures["okta"]["p50_ms"] / figures["baseline"]["p50_ms"]
    print(f"ratio okta/baseline throughput: {ratio:.2f}  (p50 ratio {p50_ratio:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
