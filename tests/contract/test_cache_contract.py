"""One contract for the distributed caches, on the in-process implementation and on a
real Redis server: what the session, login-failure and action-token code relies on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from ostium.domain import AuthorizationCode
from ostium.sessions.action_tokens import ActionTokens
from ostium.sessions.codes import CachedCodes
from ostium.sessions.distributed import (
    DistributedCache,
    LocalDistributedCache,
    RedisDistributedCache,
    is_tombstone,
)
from ostium.sessions.revoked_tokens import RevokedTokens
from tests.redis_server import namespace, redis_address


@pytest.fixture(params=["local", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[DistributedCache]:
    if request.param == "local":
        yield LocalDistributedCache("sessions", None)
        return
    host, port = redis_address()
    client = Redis(host=host, port=port)
    try:
        yield RedisDistributedCache("sessions", client, namespace=namespace())
    finally:
        await client.aclose()


async def test_values_round_trip_as_copies(cache: DistributedCache) -> None:
    assert await cache.get("a") is None
    value = {"id": "a", "notes": {"k": "v"}, "n": 1}
    await cache.put("a", value, ttl=60)
    value["notes"]["k"] = "changed by the caller"
    got = await cache.get("a")
    assert got == {"id": "a", "notes": {"k": "v"}, "n": 1}
    assert got is not None
    got["n"] = 2
    assert (await cache.get("a")) == {"id": "a", "notes": {"k": "v"}, "n": 1}
    await cache.delete("a")
    assert await cache.get("a") is None


async def test_add_is_atomic_first_writer_wins(cache: DistributedCache) -> None:
    results = await asyncio.gather(*(cache.add("once", {"by": i}, ttl=60) for i in range(10)))
    assert results.count(True) == 1
    winner = results.index(True)
    assert await cache.get("once") == {"by": winner}


async def test_a_removed_entry_cannot_be_brought_back_by_a_late_reader(
    cache: DistributedCache,
) -> None:
    await cache.put("s", {"v": 1}, ttl=60)
    await cache.remove("s")
    assert is_tombstone(await cache.get("s"))
    assert await cache.add("s", {"v": "stale, read before the delete"}, ttl=60) is False
    assert await cache.replace("s", {"v": "stale update"}, ttl=60) is False
    assert is_tombstone(await cache.get("s"))
    await cache.put("t", {"v": 1}, ttl=60)
    assert await cache.replace("t", {"v": 2}, ttl=60) is True
    assert await cache.get("t") == {"v": 2}


async def test_counters_count_every_increment(cache: DistributedCache) -> None:
    counts = await asyncio.gather(*(cache.increment("c", "failures", ttl=60) for _ in range(5)))
    assert sorted(counts) == [1, 2, 3, 4, 5]


async def test_indexes(cache: DistributedCache) -> None:
    await cache.index_add("user:u1", "s1", ttl=60)
    await cache.index_add("user:u1", "s2", ttl=60)
    await cache.index_add("user:u2", "s3", ttl=60)
    assert await cache.index_members("user:u1") == {"s1", "s2"}
    await cache.index_remove("user:u1", "s1")
    assert await cache.index_members("user:u1") == {"s2"}
    await cache.index_delete("user:u1")
    assert await cache.index_members("user:u1") == set()
    assert await cache.index_members("user:u2") == {"s3"}


async def test_hits_and_misses_are_counted(cache: DistributedCache) -> None:
    await cache.put("x", {}, ttl=60)
    await cache.get("x")
    await cache.get("y")
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)


async def test_redis_entries_expire_with_their_ttl() -> None:
    host, port = redis_address()
    client = Redis(host=host, port=port)
    prefix = namespace()
    try:
        cache = RedisDistributedCache("sessions", client, namespace=prefix)
        await cache.put("k", {"v": 1}, ttl=120)
        await cache.index_add("i", "m", ttl=300)
        assert 0 < await client.ttl(f"{prefix}:sessions:k") <= 120
        assert 0 < await client.ttl(f"{prefix}:sessions:index:i") <= 300
        assert cache.stats.remote_calls == 2
    finally:
        await client.aclose()


async def test_an_action_token_is_used_once_across_nodes() -> None:
    """Two nodes' caches on one Redis: of concurrent uses of one token, one wins."""
    host, port = redis_address()
    prefix = namespace()
    clients = [Redis(host=host, port=port) for _ in range(2)]
    try:
        nodes = [
            ActionTokens(RedisDistributedCache("actionTokens", c, namespace=prefix))
            for c in clients
        ]
        uses = await asyncio.gather(
            *(nodes[i % 2].use("jti-1", expires=1_000_300, now=1_000_000) for i in range(8))
        )
        assert uses.count(True) == 1
        assert await nodes[0].use("jti-2", expires=1_000_300, now=1_000_000) is True
        assert 0 < await clients[0].ttl(f"{prefix}:actionTokens:jti-2") <= 300
    finally:
        for client in clients:
            await client.aclose()


async def test_a_code_is_redeemed_once_on_whichever_node(cache: DistributedCache) -> None:
    """Codes live in `actionTokens`: issued on one node, the first of concurrent
    redemptions wins, a replay is known as one, an unknown code is not found."""
    codes = CachedCodes(cache)
    expires = int(time.time()) + 60
    await codes.add(AuthorizationCode("h1", "r", "c", "s", "https://cb", "openid", expires))
    results = await asyncio.gather(*(codes.consume("h1") for _ in range(5)))
    firsts = [found[1] for found in results if found is not None]
    assert sorted(firsts) == [False, False, False, False, True]
    replay = await codes.consume("h1")
    assert replay is not None
    code, first = replay
    assert (first, code.consumed, code.redirect_uri, code.expires) == (
        False,
        True,
        "https://cb",
        expires,
    )
    assert await codes.consume("unknown") is None


async def test_revoked_token_marks(cache: DistributedCache) -> None:
    marks = RevokedTokens(cache)
    assert await marks.is_revoked("jti-1") is False
    await marks.mark("jti-1", int(time.time()) + 300)
    assert await marks.is_revoked("jti-1") is True
    assert await marks.is_revoked("jti-2") is False
