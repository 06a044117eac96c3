"""Keycloak's named caches, built from the configuration (Keycloak: caching guide).

| kind        | caches                                                   | `--cache=local` | `--cache=redis`      |
|-------------|----------------------------------------------------------|-----------------|----------------------|
| local       | realms, users, authorization, keys                       | in-process LRU  | in-process LRU       |
| replicated  | work                                                     | nothing to do   | Redis pub/sub        |
| distributed | authenticationSessions, sessions, clientSessions,        | in-process      | Redis, shared by all |
|             | offlineSessions, offlineClientSessions, loginFailures,   |                 | nodes                |
|             | actionTokens                                             |                 |                      |
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from ostium.sessions.distributed import (
    DistributedCache,
    LocalDistributedCache,
    RedisDistributedCache,
)
from ostium.sessions.local_cache import LocalCache
from ostium.sessions.stats import CacheStats
from ostium.sessions.work import Invalidation, LocalWork, RedisWork, WorkChannel

__all__ = ["DISTRIBUTED", "LOCAL", "CacheSizes", "Caches"]

LOCAL = ("realms", "users", "authorization", "keys")
DISTRIBUTED = (
    "authenticationSessions",
    "sessions",
    "clientSessions",
    "offlineSessions",
    "offlineClientSessions",
    "loginFailures",
    "actionTokens",
)
KEYS_TTL_SECONDS = 3600.0  # Keycloak: the keys cache expires its entries after an hour


@dataclass(frozen=True)
class CacheSizes:
    """Max entries per node (`--cache-embedded-<name>-max-count`); None is unbounded."""

    realms: int | None = 10000
    users: int | None = 10000
    authorization: int | None = 10000
    keys: int | None = 1000
    sessions: int | None = 10000
    client_sessions: int | None = 10000
    offline_sessions: int | None = 10000
    offline_client_sessions: int | None = 10000

    def of(self, name: str) -> int | None:
        attribute = {
            "clientSessions": "client_sessions",
            "offlineSessions": "offline_sessions",
            "offlineClientSessions": "offline_client_sessions",
        }.get(name, name)
        value = getattr(self, attribute, None)
        return value if isinstance(value, int) else None


@dataclass
class Caches:
    local: dict[str, LocalCache[Any]]
    distributed: dict[str, DistributedCache]
    work: WorkChannel
    mode: str = "local"
    redis: Redis | RedisCluster | None = field(default=None, repr=False)
    # Bumped by every invalidation: a loader that saw it change while it read from the
    # database does not cache what it read.
    generation: int = 0

    @classmethod
    def build(
        cls,
        sizes: CacheSizes | None = None,
        *,
        redis: Redis | RedisCluster | None = None,
        histograms: bool = False,
        namespace: str = "ostium",
    ) -> Caches:
        """Local mode without `redis`; distributed caches and `work` on Redis with it, their
        keys under `namespace` (one per cluster sharing a Redis; tests use their own)."""
        sizes = sizes or CacheSizes()
        local: dict[str, LocalCache[Any]] = {
            name: LocalCache(name, sizes.of(name), KEYS_TTL_SECONDS if name == "keys" else None)
            for name in LOCAL
        }
        distributed: dict[str, DistributedCache] = {
            name: RedisDistributedCache(name, redis, namespace=namespace)
            if redis is not None
            else LocalDistributedCache(name, sizes.of(name))
            for name in DISTRIBUTED
        }
        work: WorkChannel = (
            RedisWork(redis, namespace=namespace) if redis is not None else LocalWork()
        )
        caches = cls(local, distributed, work, "redis" if redis is not None else "local", redis)
        for stats in caches.stats():
            stats.histograms = histograms
        work.subscribe(caches.apply, caches.clear_local)
        return caches

    def __getitem__(self, name: str) -> DistributedCache:
        return self.distributed[name]

    def stats(self) -> Iterator[CacheStats]:
        for cache in self.local.values():
            yield cache.stats
        yield self.work.stats
        for remote in self.distributed.values():
            yield remote.stats

    def apply(self, invalidation: Invalidation) -> None:
        self.generation += 1
        cache = self.local.get(invalidation.cache)
        if cache is None:
            return
        if invalidation.everything:
            cache.clear()
        elif invalidation.group is not None:
            cache.invalidate_group(invalidation.group)
        elif invalidation.key is not None:
            cache.invalidate(invalidation.key)

    def clear_local(self) -> None:
        self.generation += 1
        for cache in self.local.values():
            cache.clear()

    async def invalidate(self, invalidations: list[Invalidation]) -> None:
        """Here at once, on the other nodes through `work`."""
        for invalidation in invalidations:
            self.apply(invalidation)
        await self.work.publish(invalidations)

    async def start(self) -> None:
        await self.work.start()

    async def close(self) -> None:
        await self.work.stop()
        if self.redis is not None:
            await self.redis.aclose()
