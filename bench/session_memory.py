"""Memory per active user session (one client session each), in-process and in Redis.

- local: a fresh Python process logs N users in through the real repositories
  (`CacheOnlySessionRepository` for `--features-disabled=persistent-user-sessions`,
  `PersistentSessionRepository` for the default) over `Caches.build()`; the figure is its
  RSS growth (VmRSS of /proc/self/status, so Linux only) divided by N. The SQL repository
  behind them is a stub that stores nothing: online cache-only sessions never reach it and
  for the persistent mode only the cache entries are measured.
- redis: the same N cache-only logins through `RedisDistributedCache` under a namespace of
  their own, measured with MEMORY USAGE on a sample of sessions and with the INFO memory
  `used_memory` delta; the namespace is deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from redis.asyncio import Redis

from ostium.domain import ClientSession, Realm, User, UserSession
from ostium.services.sessions import attach_client, create_user_session
from ostium.sessions.caches import Caches, CacheSizes
from ostium.sessions.distributed import LocalDistributedCache
from ostium.sessions.user_sessions import (
    CacheOnlySessionRepository,
    PersistentSessionRepository,
    Transaction,
)
from ostium.storage.interfaces import Repositories, UserSessionRepository

DEFAULT_SESSIONS = 100_000
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"
MODES = ("cache-only", "persistent")
SAMPLE = 1000  # sessions whose Redis keys are weighed one by one
CONCURRENCY = 16  # logins in flight at once against Redis (more is no faster)
SCOPE = "openid profile email"


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class RealmLookup:
    """What the repositories ask for a session's lifetime: Keycloak's default timeouts."""

    def __init__(self, realm: Realm) -> None:
        self._realm = realm

    async def get(self, realm_id: str) -> Realm | None:
        return self._realm if realm_id == self._realm.id else None


class NoDatabase:
    """Stands in for the SQL repository: stores nothing, refuses every read."""

    async def add(self, session: UserSession) -> None:
        return None

    async def add_client_session(self, session: ClientSession) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"the benchmark's stub database has no {name!r}")


@dataclass
class SessionsOnly:
    """The one repository `create_user_session` and `attach_client` use."""

    sessions: UserSessionRepository


@dataclass
class Login:
    session_id: str
    user_id: str


class Logins:
    """N users of one realm logging in to one client, as the password grant does it."""

    def __init__(self, caches: Caches, *, persistent: bool) -> None:
        self.realm = Realm(id=str(uuid.uuid4()), name="bench")
        self.client_id = str(uuid.uuid4())
        self.caches = caches
        self.persistent = persistent
        self.realms = RealmLookup(self.realm)
        self.database = cast(UserSessionRepository, NoDatabase())

    def _repos(self, tx: Transaction) -> Repositories:
        persistent = PersistentSessionRepository(self.database, self.caches, tx, self.realms)
        sessions: UserSessionRepository = (
            persistent
            if self.persistent
            else cast(
                UserSessionRepository,
                CacheOnlySessionRepository(persistent, self.caches, self.realms),
            )
        )
        return cast(Repositories, SessionsOnly(sessions))

    async def login(self, number: int, now: int) -> Login:
        user = User(id=str(uuid.uuid4()), realm_id=self.realm.id, username=f"user{number}")
        tx = Transaction()
        repos = self._repos(tx)
        session = await create_user_session(
            repos,
            self.realm,
            user,
            now=now,
            ip_address=f"10.0.{number // 256 % 256}.{number % 256}",
        )
        await attach_client(repos, session, self.client_id, now=now, redirect_uri=None, scope=SCOPE)
        for action in tx.after_commit:  # the transaction "committed"
            await action()
        return Login(session.id, user.id)


async def measure_local(count: int, mode: str) -> dict[str, Any]:
    caches = Caches.build(CacheSizes(sessions=2 * count, client_sessions=2 * count))
    logins = Logins(caches, persistent=mode == "persistent")
    now = int(time.time())
    await logins.login(-1, now)  # warm-up: first calls allocate what every later one reuses
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    for number in range(count):
        await logins.login(number, now)
    elapsed = time.perf_counter() - started
    gc.collect()
    after = rss_bytes()
    sizes = {
        name: cache.local_size()
        for name in ("sessions", "clientSessions")
        if isinstance(cache := caches.distributed[name], LocalDistributedCache)
    }
    return {
        "mode": mode,
        "sessions": count,
        "rss_before": before,
        "rss_after": after,
        "seconds": elapsed,
        "entries": sizes,
    }


def run_local_child(count: int, mode: str) -> dict[str, Any]:
    """Each mode in a fresh interpreter: nothing another measurement freed is reused."""
    completed = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--sessions", str(count)],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


async def used_memory(client: Redis) -> int:
    info = await client.info("memory")
    return int(info["used_memory"])


async def weigh(client: Redis, key: str) -> int:
    # SAMPLES 0 weighs every member of a set, not an estimate from five of them.
    return int(await client.memory_usage(key, samples=0) or 0)


async def delete_namespace(client: Redis, namespace: str) -> int:
    deleted = 0
    batch: list[bytes] = []
    async for key in client.scan_iter(match=f"{namespace}:*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            deleted += int(await client.unlink(*batch))
            batch.clear()
    if batch:
        deleted += int(await client.unlink(*batch))
    return deleted


async def fill_redis(logins: Logins, count: int, now: int) -> list[Login]:
    """All N logins, CONCURRENCY at a time; returns the first SAMPLE of them."""
    sample: list[Login] = []
    for first in range(0, count, CONCURRENCY):
        async with asyncio.TaskGroup() as group:  # one failure cancels the others
            tasks = [
                group.create_task(logins.login(n, now))
                for n in range(first, min(first + CONCURRENCY, count))
            ]
        if len(sample) < SAMPLE:
            sample.extend(task.result() for task in tasks[: SAMPLE - len(sample)])
    return sample


async def measure_redis(count: int, url: str) -> dict[str, Any]:
    namespace = f"bench-{uuid.uuid4().hex[:12]}"
    client = Redis.from_url(url)
    caches = Caches.build(redis=client, namespace=namespace)
    logins = Logins(caches, persistent=False)
    now = int(time.time())
    try:
        await client.ping()
        before = await used_memory(client)
        started = time.perf_counter()
        sample = await fill_redis(logins, count, now)
        elapsed = time.perf_counter() - started
        after = await used_memory(client)
        prefix = f"{namespace}:"
        parts = {"session": 0, "client session": 0, "user index": 0, "session index": 0}
        for login in sample:
            parts["session"] += await weigh(client, f"{prefix}sessions:{login.session_id}")
            parts["client session"] += await weigh(
                client, f"{prefix}clientSessions:{login.session_id}:{logins.client_id}"
            )
            parts["user index"] += await weigh(
                client, f"{prefix}sessions:index:user:{login.user_id}"
            )
            parts["session index"] += await weigh(
                client, f"{prefix}clientSessions:index:session:{login.session_id}"
            )
        per_session = {name: total / len(sample) for name, total in parts.items()}
        # The realm's and the client's index hold every session: a share of each per session.
        shared = await weigh(client, f"{prefix}sessions:index:realm:{logins.realm.id}")
        shared += await weigh(client, f"{prefix}sessions:index:client:{logins.client_id}")
        per_session["realm + client index share"] = shared / count
        return {
            "sessions": count,
            "sample": len(sample),
            "seconds": elapsed,
            "used_memory_delta": after - before,
            "per_session": per_session,
        }
    finally:
        await caches.close()
        # A client of its own: whatever went wrong above may have left the pool unusable.
        cleaner = Redis.from_url(url)
        try:
            deleted = await delete_namespace(cleaner, namespace)
            print(f"(deleted {deleted} Redis keys under {namespace}:*)")
        finally:
            await cleaner.aclose()


def report_local(result: dict[str, Any]) -> None:
    delta = result["rss_after"] - result["rss_before"]
    count = result["sessions"]
    print(
        f"local, {result['mode']:<10}  {delta / count:7.0f} B/session  "
        f"(RSS {result['rss_before'] / 2**20:.1f} -> {result['rss_after'] / 2**20:.1f} MiB, "
        f"{count} sessions in {result['seconds']:.1f}s, cache entries incl. 1 warm-up {result['entries']})"
    )


def report_redis(result: dict[str, Any]) -> None:
    count = result["sessions"]
    parts: dict[str, float] = result["per_session"]
    total = sum(parts.values())
    print(
        f"redis, cache-only  {total:7.0f} B/session  by MEMORY USAGE on {result['sample']} "
        f"sessions ({count} written in {result['seconds']:.1f}s)"
    )
    for name, value in parts.items():
        print(f"    {name:<28} {value:7.0f} B")
    entries = parts["session"] + parts["client session"]
    print(f"redis, persistent  {entries:7.0f} B/session  (its entries only: no indexes)")
    print(
        f"redis, used_memory {result['used_memory_delta'] / count:7.0f} B/session  "
        f"(INFO memory delta {result['used_memory_delta'] / 2**20:.1f} MiB; "
        "counts anything else writing to this Redis meanwhile)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sessions",
        type=int,
        default=DEFAULT_SESSIONS,
        help=f"active user sessions to create (default {DEFAULT_SESSIONS})",
    )
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help=f"the Redis to measure; keys go under a new namespace (default {DEFAULT_REDIS_URL})",
    )
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sessions < 1:
        parser.error("--sessions must be at least 1")
    if args.child:
        print(json.dumps(asyncio.run(measure_local(args.sessions, args.child))))
        return
    print(f"{args.sessions} active user sessions, one client session each\n")
    for mode in MODES:
        report_local(run_local_child(args.sessions, mode))
    print()
    report_redis(asyncio.run(measure_redis(args.sessions, args.redis_url)))


if __name__ == "__main__":
    main()
