"""Helpers the benchmark scripts share: ports, child processes, /proc figures, PostgreSQL
databases and Redis keys of a run."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
from redis.asyncio import Redis

__all__ = [
    "START_SECONDS",
    "Cluster",
    "Node",
    "Process",
    "admin_execute",
    "cpu_seconds",
    "database_url",
    "delete_run_keys",
    "free_port",
    "haproxy_config",
    "machine_cpu_seconds",
    "rss_bytes",
    "run_ids",
    "spawn",
    "wait_ready",
]

START_SECONDS = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User plus system time of a running process (proc(5): fields 14 and 15)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return 0.0
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, steal): CPU time all CPUs spent on anything but idling, and the time the
    hypervisor ran something else while a CPU wanted to run, since boot (proc(5):
    /proc/stat; guest time is inside user)."""
    fields = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq) / CLOCK_TICKS, steal / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Resident set size of a running process (VmRSS of /proc/<pid>/status), 0 if gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@dataclass
class Process:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def spawn(name: str, command: list[str], log: Path, cwd: Path | None = None) -> Process:
    with log.open("wb") as sink:  # the child keeps its own descriptor
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, cwd=cwd)
    return Process(name, process, log)


async def wait_ready(process: Process, urls: list[str]) -> None:
    """Until every URL answers 200; the process's output if it exits or takes too long."""
    deadline = time.monotonic() + START_SECONDS
    async with httpx.AsyncClient(timeout=2) as client:
        pending = list(urls)
        while pending:
            if process.process.poll() is not None:
                raise RuntimeError(f"{process.name} exited early:\n{process.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{process.name} not ready in time:\n{process.tail()}")
            try:
                if (await client.get(pending[0])).status_code == 200:
                    pending.pop(0)
                    continue
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.005)


@dataclass
class Node:
    name: str
    port: int
    management: int
    running: Process | None = None

    @property
    def address(self) -> str:
        return f"{self.name}=127.0.0.1:{self.port}/{self.management}"


@dataclass
class Cluster:
    nodes: list[Node]
    listen: int
    proxy: Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.listen}"

    def processes(self) -> Iterator[Process]:
        if self.proxy is not None:
            yield self.proxy
        for node in self.nodes:
            if node.running is not None:
                yield node.running

    def node_cpu(self) -> float:
        return sum(cpu_seconds(n.running.process.pid) for n in self.nodes if n.running)

    def proxy_cpu(self) -> float:
        return cpu_seconds(self.proxy.process.pid) if self.proxy else 0.0

    def stop(self) -> None:
        for process in self.processes():
            process.stop()


def haproxy_config(cluster: Cluster) -> str:
    command = [sys.executable, "-m", "ostium", "config", "haproxy"]
    for node in cluster.nodes:
        command += ["--node", node.address]
    command += ["--listen", f"127.0.0.1:{cluster.listen}"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


async def admin_execute(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(admin_url, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def database_url(admin_url: str, name: str) -> str:
    return urlsplit(admin_url)._replace(path=f"/{name}").geturl()


async def run_ids(db_url: str) -> set[str]:
    """Ids that only this run's database holds: realms, clients, users, user sessions."""
    conn = await asyncpg.connect(db_url, timeout=5)
    try:
        records = await conn.fetch(
            "SELECT id FROM realms UNION ALL SELECT id FROM clients"
            " UNION ALL SELECT id FROM users UNION ALL SELECT id FROM user_sessions"
        )
    finally:
        await conn.close()
    return {str(record["id"]) for record in records}


async def delete_run_keys(redis_url: str, ids: set[str]) -> int:
    """Unlinks the `ostium:` keys that name one of the run's ids (random UUIDs: nobody
    else's keys can name them)."""
    client = Redis.from_url(redis_url)
    deleted = 0
    try:
        ours: list[bytes] = []
        async for key in client.scan_iter(match="ostium:*", count=1000):
            if ids.intersection(key.decode(errors="replace").split(":")):
                ours.append(key)
        for first in range(0, len(ours), 1000):
            deleted += int(await client.unlink(*ours[first : first + 1000]))
    finally:
        await client.aclose()
    return deleted
