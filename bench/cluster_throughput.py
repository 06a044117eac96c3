"""Login and refresh throughput of 1, 2 and 3 nodes behind HAProxy, on PostgreSQL and Redis.

Each cluster size gets a new PostgreSQL database (dropped afterwards) and `start-dev` nodes
with `--cache=redis`, the realm of `tests.support.realm_export()` imported by the first
node, and the HAProxy configuration `ostium config haproxy` prints for them. An asyncio
load generator keeps `--concurrency` requests in flight through HAProxy for `--seconds`
per scenario:

- login: the password grant (alice), one argon2id verification and one new user session
  written to the database per request;
- refresh: the refresh_token grant, each worker on its own session, always with the
  refresh token it last received.

The Redis keys the nodes wrote (under `ostium:`, a namespace the command line cannot
change) are deleted at the end when they name an id from the run's database; anything
else they wrote expires by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for `tests.support`

from common import (
    Cluster,
    Node,
    admin_execute,
    database_url,
    delete_run_keys,
    free_port,
    haproxy_config,
    run_ids,
    spawn,
    wait_ready,
)

from tests.support import REALM, SECRET, realm_export

CLIENT = "app"
USERNAME = "alice"
DEFAULT_NODES = "1,2,3"
DEFAULT_SECONDS = 10.0
DEFAULT_CONCURRENCY = 16
DEFAULT_DB_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"
WARM_UP_SECONDS = 1.0


def password_of(username: str) -> str:
    for user in realm_export()["users"]:
        if user["username"] == username:
            return str(user["credentials"][0]["value"])
    raise LookupError(username)


@dataclass
class Placement:
    """Which CPUs the servers and the generator run on."""

    servers: list[int]
    generator: list[int]
    taskset: str | None

    @classmethod
    def choose(cls) -> Placement:
        cpus = sorted(os.sched_getaffinity(0))
        taskset = shutil.which("taskset")
        if len(cpus) >= 4:
            # One core of its own for the generator; the rest for nodes, HAProxy, databases.
            return cls(cpus[:-1], cpus[-1:], taskset)
        return cls(cpus, cpus, taskset)

    def prefix(self) -> list[str]:
        if self.taskset is None:
            return []
        return [self.taskset, "-c", ",".join(map(str, self.servers))]

    def describe(self) -> str:
        servers = ",".join(map(str, self.servers))
        if self.taskset is None:
            return f"no taskset: nothing pinned ({len(self.servers)} CPUs)"
        if self.servers == self.generator:
            return (
                f"only {len(self.servers)} CPUs: nodes and HAProxy pinned to {servers}, and the "
                "generator, PostgreSQL and Redis share them"
            )
        generator = ",".join(map(str, self.generator))
        return (
            f"nodes and HAProxy on CPUs {servers}, the generator on {generator} "
            "(PostgreSQL and Redis unpinned)"
        )


def node_command(
    node: Node, data_dir: Path, db_url: str, args: argparse.Namespace, placement: Placement
) -> list[str]:
    """Creates the node's data directory; the first node's holds the realm to import."""
    data_dir.mkdir()
    redis = urlsplit(args.redis_url)
    extra = []
    if node.name == "node1":
        (data_dir / "import").mkdir()
        (data_dir / "import" / f"{REALM}-realm.json").write_text(json.dumps(realm_export()))
        extra.append("--import-realm")
    return [
        *placement.prefix(),
        sys.executable,
        "-m",
        "ostium",
        "start-dev",
        f"--http-port={node.port}",
        f"--http-management-port={node.management}",
        "--http-host=127.0.0.1",
        f"--data-dir={data_dir}",
        f"--node-name={node.name}",
        "--cache=redis",
        f"--cache-remote-host={redis.hostname}",
        f"--cache-remote-port={redis.port or 6379}",
        "--db=postgres",
        f"--db-url={db_url}",
        "--health-enabled=true",
        *extra,
    ]


async def start_node(node: Node, command: list[str], log: Path) -> None:
    node.running = spawn(node.name, command, log)
    await wait_ready(
        node.running,
        [
            f"http://127.0.0.1:{node.management}/health/ready",
            f"http://127.0.0.1:{node.port}/realms/{REALM}",
        ],
    )


async def start_cluster(
    count: int, work: Path, db_url: str, args: argparse.Namespace, placement: Placement
) -> Cluster:
    cluster = Cluster(
        [Node(f"node{i}", free_port(), free_port()) for i in range(1, count + 1)], free_port()
    )
    try:
        commands = [node_command(n, work / n.name, db_url, args, placement) for n in cluster.nodes]
        logs = [work / f"{n.name}.log" for n in cluster.nodes]
        nodes = list(zip(cluster.nodes, commands, logs, strict=True))
        # The first node migrates the database and imports the realm; the others join.
        await start_node(*nodes[0])
        await asyncio.gather(*(start_node(*node) for node in nodes[1:]))
        config = work / "haproxy.cfg"
        config.write_text(haproxy_config(cluster))
        cluster.proxy = spawn(
            "haproxy", [*placement.prefix(), args.haproxy, "-f", str(config)], work / "haproxy.log"
        )
        await wait_ready(cluster.proxy, [f"{cluster.base_url}/realms/{REALM}"])
    except BaseException:
        cluster.stop()
        raise
    return cluster


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    elapsed: float = 0.0

    def failed(self, message: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or message


class Generator:
    def __init__(self, client: httpx.AsyncClient, token_url: str) -> None:
        self._client = client
        self._url = token_url
        self._password = password_of(USERNAME)

    async def _token(self, data: dict[str, str], load: Load | None) -> str | None:
        """One token request: its refresh token, or None on failure (counted in `load`)."""
        started = time.perf_counter()
        try:
            response = await self._client.post(self._url, data=data, auth=(CLIENT, SECRET))
        except httpx.HTTPError as exc:
            if load is not None:
                load.failed(f"{type(exc).__name__}: {exc}")
            return None
        if load is not None:
            if response.status_code == 200:
                load.latencies.append(time.perf_counter() - started)
            else:
                load.failed(f"HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code != 200:
            return None
        return str(response.json()["refresh_token"])

    async def login(self, load: Load | None = None) -> str | None:
        data = {
            "grant_type": "password",
            "username": USERNAME,
            "password": self._password,
            "scope": "openid",
        }
        return await self._token(data, load)

    async def _login_worker(self, deadline: float, load: Load | None) -> None:
        while time.perf_counter() < deadline:
            await self.login(load)

    async def _refresh_worker(self, token: str | None, deadline: float, load: Load) -> None:
        if token is None:
            load.failed("could not log in to get a refresh token")
            return
        while time.perf_counter() < deadline:
            fresh = await self._token({"grant_type": "refresh_token", "refresh_token": token}, load)
            token = fresh or token

    async def warm_up(self, scenario: str, concurrency: int) -> list[str | None]:
        """Logins for a second; for refresh, one login per worker: their refresh tokens."""
        if scenario == "refresh":
            return list(await asyncio.gather(*(self.login() for _ in range(concurrency))))
        deadline = time.perf_counter() + WARM_UP_SECONDS
        await asyncio.gather(*(self._login_worker(deadline, None) for _ in range(concurrency)))
        return []

    async def measure(
        self, scenario: str, concurrency: int, seconds: float, tokens: list[str | None]
    ) -> Load:
        load = Load()
        started = time.perf_counter()
        deadline = started + seconds
        if scenario == "login":
            await asyncio.gather(*(self._login_worker(deadline, load) for _ in range(concurrency)))
        else:
            await asyncio.gather(*(self._refresh_worker(t, deadline, load) for t in tokens))
        load.elapsed = time.perf_counter() - started
        return load


@dataclass
class Row:
    nodes: int
    scenario: str
    load: Load
    node_cpu: float
    proxy_cpu: float
    generator_cpu: float

    def cells(self) -> list[str]:
        ok = sorted(self.load.latencies)
        rate = len(ok) / self.load.elapsed if self.load.elapsed else 0.0
        p50 = statistics.median(ok) * 1000 if ok else float("nan")
        p99 = ok[min(len(ok) - 1, int(len(ok) * 0.99))] * 1000 if ok else float("nan")
        return [
            str(self.nodes),
            self.scenario,
            f"{rate:.1f}",
            f"{p50:.1f}",
            f"{p99:.1f}",
            str(self.load.errors),
            f"{self.node_cpu:.1f}",
            f"{self.proxy_cpu:.1f}",
            f"{self.generator_cpu:.1f}",
        ]


HEADER = [
    "nodes",
    "scenario",
    "requests/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "nodes CPU s",
    "HAProxy CPU s",
    "generator CPU s",
]


async def measure(count: int, args: argparse.Namespace, placement: Placement) -> list[Row]:
    name = f"ostium_bench_{uuid.uuid4().hex[:12]}"
    db_url = database_url(args.db_admin_url, name)
    await admin_execute(args.db_admin_url, f'CREATE DATABASE "{name}"')
    cluster: Cluster | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="ostium-bench-") as tmp:
            try:
                cluster = await start_cluster(count, Path(tmp), db_url, args, placement)
                limits = httpx.Limits(max_connections=args.concurrency)
                async with httpx.AsyncClient(timeout=30, limits=limits) as client:
                    generator = Generator(
                        client, f"{cluster.base_url}/realms/{REALM}/protocol/openid-connect/token"
                    )
                    rows = []
                    for scenario in ("login", "refresh"):
                        tokens = await generator.warm_up(scenario, args.concurrency)
                        nodes, proxy, mine = (
                            cluster.node_cpu(),
                            cluster.proxy_cpu(),
                            time.process_time(),
                        )
                        load = await generator.measure(
                            scenario, args.concurrency, args.seconds, tokens
                        )
                        rows.append(
                            Row(
                                count,
                                scenario,
                                load,
                                cluster.node_cpu() - nodes,
                                cluster.proxy_cpu() - proxy,
                                time.process_time() - mine,
                            )
                        )
                        if load.first_error:
                            print(f"  {count} node(s), {scenario}: first error: {load.first_error}")
                    return rows
            finally:
                if cluster is not None:
                    cluster.stop()
    finally:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            deleted = await delete_run_keys(args.redis_url, await run_ids(db_url))
            print(f"  {count} node(s): deleted {deleted} Redis keys of this run")
        await admin_execute(args.db_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join("---" for _ in HEADER) + "|"]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def node_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of numbers: {text!r}"
        ) from None
    if not counts or any(c < 1 for c in counts):
        raise argparse.ArgumentTypeError("node counts must be 1 or more")
    return counts


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--nodes",
        type=node_counts,
        default=node_counts(DEFAULT_NODES),
        help=f"cluster sizes to measure, comma-separated (default {DEFAULT_NODES})",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=DEFAULT_SECONDS,
        help=f"measured duration of each scenario (default {DEFAULT_SECONDS:g})",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"requests in flight (default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--db-admin-url",
        default=DEFAULT_DB_ADMIN_URL,
        help="PostgreSQL database to create and drop the run's databases from "
        f"(default {DEFAULT_DB_ADMIN_URL})",
    )
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help=f"the nodes' Redis, host and port only (default {DEFAULT_REDIS_URL})",
    )
    parser.add_argument(
        "--haproxy",
        default=shutil.which("haproxy") or "haproxy",
        help="the haproxy executable (default: found on PATH)",
    )
    return parser.parse_args()


async def run(args: argparse.Namespace, placement: Placement) -> list[Row]:
    rows: list[Row] = []
    for count in args.nodes:
        print(f"measuring {count} node(s)...", flush=True)
        rows += await measure(count, args, placement)
    return rows


def main() -> None:
    args = parse_arguments()
    placement = Placement.choose()
    if placement.generator != sorted(os.sched_getaffinity(0)):
        os.sched_setaffinity(0, placement.generator)
    print(f"{placement.describe()}; concurrency {args.concurrency}, {args.seconds:g}s per scenario")
    rows = asyncio.run(run(args, placement))
    print()
    print(markdown(rows))


if __name__ == "__main__":
    main()
