"""The `work` channel: tells every node which local cache entries a change made stale.

Keycloak replicates invalidations through its `work` cache; Ostium publishes them on a
Redis pub/sub channel. A node applies its own invalidations at once and ignores their
echo. Pub/sub delivers nothing to a disconnected subscriber, so after any reconnect a
node clears its local caches: a missed invalidation can cost a reload, never staleness.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from ostium.sessions.stats import CacheStats

__all__ = ["Invalidation", "LocalWork", "RedisWork", "WorkChannel"]

_log = logging.getLogger("ostium.cache")


@dataclass(frozen=True)
class Invalidation:
    cache: str  # realms, users, authorization, keys
    key: str | None = None  # one entry
    group: str | None = None  # every entry of a group (a realm's id)
    everything: bool = False


Handler = Callable[[Invalidation], None]


class WorkChannel(Protocol):
    stats: CacheStats

    def subscribe(self, handler: Handler, on_reconnect: Callable[[], None]) -> None: ...
    async def publish(self, invalidations: list[Invalidation]) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class LocalWork:
    """One node: its own invalidations are all there is."""

    def __init__(self) -> None:
        self.stats = CacheStats("work")

    def subscribe(self, handler: Handler, on_reconnect: Callable[[], None]) -> None:
        return None

    async def publish(self, invalidations: list[Invalidation]) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class RedisWork:
    def __init__(
        self,
        client: Redis | RedisCluster,
        *,
        retry_seconds: float = 0.5,
        namespace: str = "ostium",
    ) -> None:
        self.stats = CacheStats("work")
        self._client = client
        self._channel = f"{namespace}:work"
        self._node = uuid.uuid4().hex
        self._handlers: list[Handler] = []
        self._reconnect_handlers: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._retry = retry_seconds
        self.connected = asyncio.Event()

    def subscribe(self, handler: Handler, on_reconnect: Callable[[], None]) -> None:
        self._handlers.append(handler)
        self._reconnect_handlers.append(on_reconnect)

    async def publish(self, invalidations: list[Invalidation]) -> None:
        if not invalidations:
            return
        message = json.dumps({"from": self._node, "items": [asdict(i) for i in invalidations]})
        try:
            await self._client.publish(self._channel, message)
            self.stats.remote_calls += 1
        except RedisError as exc:
            # The change is committed; the other nodes reload when they reconnect.
            _log.warning("Could not publish cache invalidations: %s", exc)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="ostium-work")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen(self) -> None:
        first = True
        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                if not first:
                    _log.info("Reconnected to the work channel; local caches cleared")
                self._clear_local()
                first = False
                # redis-py reconnects a pub/sub connection by itself and subscribes again;
                # the callback tells us, since messages may have been lost meanwhile.
                if pubsub.connection is not None:
                    pubsub.connection.register_connect_callback(self._reconnected)
                self.connected.set()
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                    if message is not None:
                        self._deliver(message.get("data"))
            except (RedisError, OSError) as exc:
                self.connected.clear()
                _log.warning("Work channel lost (%s); reconnecting", exc)
                await asyncio.sleep(self._retry)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _clear_local(self) -> None:
        for handler in self._reconnect_handlers:
            handler()

    async def _reconnected(self, connection: Any) -> None:
        _log.info("Reconnected to the work channel; local caches cleared")
        self._clear_local()

    def _deliver(self, data: Any) -> None:
        try:
            message = json.loads(data)
            if message.get("from") == self._node:
                return
            items = [Invalidation(**item) for item in message.get("items", [])]
        except (ValueError, TypeError):
            _log.warning("Ignored a malformed work message")
            return
        for item in items:
            for handler in self._handlers:
                handler(item)
