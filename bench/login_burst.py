"""Health latency and password-grant throughput during a login burst.

```
python3 bench/login_burst.py [--logins N] [--rounds N]
```

Starts `ostium start-dev` (SQLite, temporary data directory, the bootstrap admin),
fires N concurrent password grants (`admin-cli`, right and wrong passwords, unknown
users) per round while /health/ready on the management port is asked again and again,
and prints the health latency percentiles and the grants answered per second (by status:
200, 401, 503 beyond the hashing queue's bound).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import free_port, spawn, wait_ready


async def burst(
    base: str, management: str, logins: int
) -> tuple[list[float], dict[int, int], float]:
    token = f"{base}/realms/master/protocol/openid-connect/token"
    choices = [("admin", "admin-pw"), ("admin", "wrong"), ("nobody", "guess")]
    async with (
        httpx.AsyncClient(limits=httpx.Limits(max_connections=logins + 1), timeout=120) as http,
        httpx.AsyncClient(timeout=120) as probe,
    ):
        started = time.perf_counter()
        grants = asyncio.gather(
            *(
                http.post(
                    token,
                    data={
                        "grant_type": "password",
                        "client_id": "admin-cli",
                        "username": u,
                        "password": p,
                    },
                )
                for u, p in (choices[i % 3] for i in range(logins))
            )
        )
        latencies: list[float] = []
        while not grants.done() or not latencies:
            t = time.perf_counter()
            await probe.get(f"{management}/health/ready")
            latencies.append(time.perf_counter() - t)
        responses = await grants
        seconds = time.perf_counter() - started
    statuses: dict[int, int] = {}
    for response in responses:
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    return latencies, statuses, seconds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port, management = free_port(), free_port()
        server = spawn(
            "ostium",
            [
                sys.executable,
                "-m",
                "ostium",
                "start-dev",
                f"--http-port={port}",
                f"--http-management-port={management}",
                "--http-host=127.0.0.1",
                f"--data-dir={tmp}",
                "--health-enabled=true",
                "--bootstrap-admin-username=admin",
                "--bootstrap-admin-password=admin-pw",
            ],
            Path(tmp) / "ostium.log",
        )
        base, mgmt = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{management}"
        try:
            await wait_ready(server, [f"{base}/realms/master", f"{mgmt}/health/ready"])
            latencies: list[float] = []
            statuses: dict[int, int] = {}
            seconds = 0.0
            for _ in range(args.rounds):
                lat, st, sec = await burst(base, mgmt, args.logins)
                latencies += lat
                seconds += sec
                for k, v in st.items():
                    statuses[k] = statuses.get(k, 0) + v
        finally:
            server.stop()
    print(f"{args.rounds} bursts of {args.logins} concurrent password grants")
    print(
        f"health/ready: n={len(latencies)} p50={statistics.median(latencies) * 1000:.1f} ms "
        f"p90={percentile(latencies, 0.9) * 1000:.1f} ms "
        f"p99={percentile(latencies, 0.99) * 1000:.1f} ms max={max(latencies) * 1000:.1f} ms"
    )
    total = sum(statuses.values())
    print(f"grants: {total / seconds:.1f}/s answered, by status {dict(sorted(statuses.items()))}")


if __name__ == "__main__":
    asyncio.run(main())
