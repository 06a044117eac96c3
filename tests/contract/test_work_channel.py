"""The `work` channel over a real Redis: invalidations reach the other nodes, and a node
that lost Redis comes back with its local caches cleared (it may have missed some)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from redis.asyncio import Redis

from ostium.sessions.caches import Caches
from ostium.sessions.work import Invalidation, RedisWork
from tests.redis_server import namespace, redis_address, redis_process


async def eventually(check: object, seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def started_node(client: Redis, prefix: str) -> Caches:
    caches = Caches.build(redis=client, namespace=prefix)
    await caches.start()
    assert isinstance(caches.work, RedisWork)
    await asyncio.wait_for(caches.work.connected.wait(), 5)
    return caches


async def test_an_invalidation_on_one_node_reaches_the_others() -> None:
    host, port = redis_address()
    prefix = namespace()
    clients = [Redis(host=host, port=port) for _ in range(2)]
    one, two = [await started_node(c, prefix) for c in clients]
    try:
        for node in (one, two):
            node.local["realms"].put("realm:r1", "cached", group="r1")
            node.local["users"].put("user:r1:u1", "cached", group="r1")
        await one.invalidate([Invalidation("realms", group="r1")])
        assert one.local["realms"].get("realm:r1") is None  # at once where it happened
        await eventually(lambda: two.local["realms"].get("realm:r1") is None)
        assert two.local["users"].get("user:r1:u1") == "cached"  # only what was named
        await one.invalidate([Invalidation("users", key="user:r1:u1")])
        await eventually(lambda: len(two.local["users"]) == 0)
    finally:
        for node in (one, two):
            await node.close()


async def test_a_node_reconnects_after_redis_restarts(tmp_path: Path) -> None:
    with redis_process(tmp_path) as server:
        prefix = namespace()
        one = await started_node(Redis(host="127.0.0.1", port=server.port), prefix)
        two = await started_node(Redis(host="127.0.0.1", port=server.port), prefix)
        try:
            two.local["realms"].put("realm:r1", "cached before the restart", group="r1")
            server.restart()
            assert isinstance(two.work, RedisWork)
            await eventually(lambda: len(two.local["realms"]) == 0, seconds=10)
            await asyncio.wait_for(two.work.connected.wait(), 10)
            two.local["realms"].put("realm:r1", "cached after", group="r1")
            await one.invalidate([Invalidation("realms", group="r1")])
            await eventually(lambda: len(two.local["realms"]) == 0, seconds=10)
            await one["sessions"].put("s", {"alive": True}, ttl=60)
            assert await two["sessions"].get("s") == {"alive": True}
        finally:
            await one.close()
            await two.close()
