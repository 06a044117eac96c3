"""The distributed caches (`authenticationSessions`, `sessions`, `loginFailures`, …): one
interface, an in-process implementation for one node and a Redis one for a cluster.

Values are JSON objects. They are copied in and out in both implementations, so code
that mutates what it read behaves the same whether the cache is local or remote.
Indexes (sets of ids, e.g. the sessions of a user) make cache-only data listable.
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from ostium.sessions.local_cache import LocalCache
from ostium.sessions.stats import CacheStats

__all__ = [
    "TOMBSTONE",
    "DistributedCache",
    "LocalDistributedCache",
    "RedisDistributedCache",
    "is_tombstone",
]

Value = dict[str, Any]

# What `remove` leaves behind for a while: a reader that loaded the entry from the
# database just before it was deleted cannot bring it back (`add` and `replace` skip it).
TOMBSTONE: Value = {"_removed": True}
TOMBSTONE_SECONDS = 60


def is_tombstone(value: Value | None) -> bool:
    return value is not None and value.get("_removed") is True


_REPLACE = """
local current = redis.call('GET', KEYS[1])
if current and string.find(current, '"_removed": true', 1, true) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""


class DistributedCache(Protocol):
    name: str
    stats: CacheStats

    async def get(self, key: str) -> Value | None: ...
    async def put(self, key: str, value: Value, *, ttl: int) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def add(self, key: str, value: Value, *, ttl: int) -> bool:
        """Stores only if the key is absent; True when this call stored it. Atomic across
        nodes: single-use marks rely on it."""
        ...

    async def replace(self, key: str, value: Value, *, ttl: int) -> bool:
        """Stores unless the key holds a tombstone; True when stored."""
        ...

    async def remove(self, key: str) -> None:
        """Deletes, leaving a short-lived tombstone."""
        ...

    async def increment(self, key: str, field: str, *, ttl: int) -> int:
        """Atomically adds one to a counter field of the value (creating it) and returns it."""
        ...

    async def index_add(self, index: str, member: str, *, ttl: int) -> None: ...
    async def index_remove(self, index: str, member: str) -> None: ...
    async def index_members(self, index: str) -> set[str]: ...
    async def index_delete(self, index: str) -> None: ...


def ttl_until(expires: int, *, at_least: int = 60) -> int:
    """Seconds an entry about something that expires at `expires` (epoch seconds) is kept:
    never less than a minute, so clocks a little apart do not drop it early; what it is
    about refuses itself once expired."""
    return max(expires - int(time.time()), at_least)


class _Shapes:
    """Entries of one cache share their field names (a session's, a client session's):
    each entry is kept as one bytes object, the number of its shape (four bytes) and a
    JSON array of its values, not as a JSON object, so that a node holding 100,000 sessions does not hold their
    field names 100,000 times. Copies in and out, as Redis's strings are."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, ...], int] = {}
        self._fields: list[tuple[str, ...]] = []

    def encode(self, value: Value) -> bytes:
        fields = tuple(value)
        number = self._numbers.get(fields)
        if number is None:
            number = self._numbers[fields] = len(self._fields)
            self._fields.append(fields)
        values = json.dumps(list(value.values()), separators=(",", ":")).encode()
        return number.to_bytes(4, "big") + values

    def decode(self, entry: bytes) -> Value:
        fields = self._fields[int.from_bytes(entry[:4], "big")]
        return dict(zip(fields, json.loads(entry[4:]), strict=True))


class LocalDistributedCache:
    """`--cache=local`: the distributed caches of a single node, bounded where allowed."""

    def __init__(self, name: str, max_count: int | None) -> None:
        self.name = name
        self._entries: LocalCache[bytes] = LocalCache(name, max_count)
        self._shapes = _Shapes()
        self.stats = self._entries.stats
        self._indexes: dict[str, str | set[str]] = {}

    async def get(self, key: str) -> Value | None:
        entry = self._entries.get(key)
        return self._shapes.decode(entry) if entry is not None else None

    async def put(self, key: str, value: Value, *, ttl: int) -> None:
        self._entries.put(key, self._shapes.encode(value), ttl=max(ttl, 1))

    async def delete(self, key: str) -> None:
        self._entries.invalidate(key)

    async def add(self, key: str, value: Value, *, ttl: int) -> bool:
        if self._entries.get(key) is not None:
            return False
        await self.put(key, value, ttl=ttl)
        return True

    async def replace(self, key: str, value: Value, *, ttl: int) -> bool:
        if is_tombstone(await self.get(key)):
            return False
        await self.put(key, value, ttl=ttl)
        return True

    async def remove(self, key: str) -> None:
        await self.put(key, TOMBSTONE, ttl=TOMBSTONE_SECONDS)

    async def increment(self, key: str, field: str, *, ttl: int) -> int:
        value = await self.get(key) or {}
        count = int(value.get(field, 0)) + 1
        value[field] = count
        await self.put(key, value, ttl=ttl)
        return count

    async def index_add(self, index: str, member: str, *, ttl: int) -> None:
        # Most indexes hold one member (a user's one session, a session's one client):
        # a bare string then, not a set of some 200 bytes, per session held.
        found = self._indexes.get(index)
        if found is None:
            self._indexes[index] = member
        elif isinstance(found, str):
            if found != member:
                self._indexes[index] = {found, member}
        else:
            found.add(member)

    async def index_remove(self, index: str, member: str) -> None:
        found = self._indexes.get(index)
        if found is None:
            return
        if isinstance(found, str):
            if found == member:
                del self._indexes[index]
            return
        found.discard(member)
        if not found:
            del self._indexes[index]

    async def index_members(self, index: str) -> set[str]:
        found = self._indexes.get(index)
        if found is None:
            return set()
        return {found} if isinstance(found, str) else set(found)

    async def index_delete(self, index: str) -> None:
        self._indexes.pop(index, None)

    def local_size(self) -> int:
        """Entries held (the metrics' `cache_size`); a Redis cache has no cheap count."""
        return len(self._entries)


class RedisDistributedCache:
    """`--cache=redis`: entries are Redis strings under `ostium:<cache>:<key>` with Redis's
    own expiry, indexes are Redis sets. Every call is one round trip, counted."""

    def __init__(
        self, name: str, client: Redis | RedisCluster, *, namespace: str = "ostium"
    ) -> None:
        self.name = name
        self.stats = CacheStats(name)
        self._client = client
        self._prefix = f"{namespace}:{name}:"

    def _key(self, key: str) -> str:
        return self._prefix + key

    def _index(self, index: str) -> str:
        return f"{self._prefix}index:{index}"

    def _counted(self, operation: str, started: float) -> None:
        self.stats.remote_calls += 1
        self.stats.observe(operation, time.perf_counter() - started)

    async def get(self, key: str) -> Value | None:
        started = time.perf_counter()
        raw = await self._client.get(self._key(key))
        self._counted("get", started)
        if raw is None:
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return dict(json.loads(raw))

    async def put(self, key: str, value: Value, *, ttl: int) -> None:
        started = time.perf_counter()
        await self._client.set(self._key(key), json.dumps(value), ex=max(ttl, 1))
        self._counted("put", started)

    async def delete(self, key: str) -> None:
        started = time.perf_counter()
        await self._client.delete(self._key(key))
        self._counted("delete", started)

    async def add(self, key: str, value: Value, *, ttl: int) -> bool:
        started = time.perf_counter()
        stored = await self._client.set(self._key(key), json.dumps(value), ex=max(ttl, 1), nx=True)
        self._counted("add", started)
        return bool(stored)

    async def replace(self, key: str, value: Value, *, ttl: int) -> bool:
        started = time.perf_counter()
        stored = await self._client.eval(
            _REPLACE, 1, self._key(key), json.dumps(value), max(ttl, 1)
        )
        self._counted("replace", started)
        return bool(stored)

    async def remove(self, key: str) -> None:
        started = time.perf_counter()
        await self._client.set(self._key(key), json.dumps(TOMBSTONE), ex=TOMBSTONE_SECONDS)
        self._counted("remove", started)

    async def increment(self, key: str, field: str, *, ttl: int) -> int:
        # A hash keeps the counter atomic (HINCRBY) beside the other fields.
        started = time.perf_counter()
        name = self._key(key) + ":counters"
        count = await self._client.hincrby(name, field, 1)
        await self._client.expire(name, max(ttl, 1))
        self._counted("increment", started)
        return int(count)

    async def index_add(self, index: str, member: str, *, ttl: int) -> None:
        started = time.perf_counter()
        name = self._index(index)
        await self._client.sadd(name, member)
        await self._client.expire(name, max(ttl, 1), gt=True)
        # EXPIRE GT never sets an expiry on a key without one: give a new set its first.
        await self._client.expire(name, max(ttl, 1), nx=True)
        self._counted("index_add", started)

    async def index_remove(self, index: str, member: str) -> None:
        started = time.perf_counter()
        await self._client.srem(self._index(index), member)
        self._counted("index_remove", started)

    async def index_members(self, index: str) -> set[str]:
        started = time.perf_counter()
        members = await self._client.smembers(self._index(index))
        self._counted("index_members", started)
        return {m.decode() if isinstance(m, bytes) else str(m) for m in members}

    async def index_delete(self, index: str) -> None:
        started = time.perf_counter()
        await self._client.delete(self._index(index))
        self._counted("index_delete", started)
