"""The `loginFailures` cache: per realm and user, the counters brute-force detection keeps.

Failures are read and written on every failed login of a protected realm; two nodes
failing the same user at the same instant may lose one count (Keycloak's replicated
cache has the same window), never lock someone out who should not be.
"""

from __future__ import annotations

import dataclasses

from ostium.domain.brute_force import LoginFailure
from ostium.sessions.distributed import DistributedCache

__all__ = ["LoginFailures"]


class LoginFailures:
    def __init__(self, cache: DistributedCache) -> None:
        self._cache = cache

    @staticmethod
    def _key(realm_id: str, user_id: str) -> str:
        return f"{realm_id}:{user_id}"

    async def get(self, realm_id: str, user_id: str) -> LoginFailure | None:
        value = await self._cache.get(self._key(realm_id, user_id))
        return LoginFailure(**value) if value else None

    async def put(
        self, realm_id: str, user_id: str, failure: LoginFailure, *, keep_seconds: int
    ) -> None:
        key = self._key(realm_id, user_id)
        await self._cache.put(key, dataclasses.asdict(failure), ttl=keep_seconds)
        await self._cache.index_add(f"realm:{realm_id}", user_id, ttl=keep_seconds)

    async def clear(self, realm_id: str, user_id: str) -> None:
        await self._cache.delete(self._key(realm_id, user_id))
        await self._cache.index_remove(f"realm:{realm_id}", user_id)

    async def clear_realm(self, realm_id: str) -> None:
        for user_id in await self._cache.index_members(f"realm:{realm_id}"):
            await self._cache.delete(self._key(realm_id, user_id))
        await self._cache.index_delete(f"realm:{realm_id}")
