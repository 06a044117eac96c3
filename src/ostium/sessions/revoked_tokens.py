"""Revoked access tokens, as Keycloak keeps them: a mark per token id in the
`actionTokens` cache, written through to the database and loaded back at start.

Every bearer-token check (userinfo, introspection, the admin API) asks whether the
token was revoked; the answer comes from the cache, never from a database round-trip.
The database holds the marks so that a restart, or a node joining a cluster whose
Redis was emptied, refuses what was revoked before it."""

from __future__ import annotations

from ostium.sessions.distributed import DistributedCache, ttl_until
from ostium.storage.interfaces import RevokedTokenRepository

__all__ = ["RevokedTokens"]


class RevokedTokens:
    def __init__(self, cache: DistributedCache) -> None:
        self._cache = cache

    async def mark(self, jti: str, expires: int) -> None:
        await self._cache.put(_key(jti), {"expires": expires}, ttl=ttl_until(expires))

    async def is_revoked(self, jti: str) -> bool:
        return await self._cache.get(_key(jti)) is not None

    async def load(self, stored: RevokedTokenRepository, now: int) -> int:
        """At start: every stored revocation not yet expired is marked again."""
        found = await stored.list_unexpired(now)
        for jti, expires in found:
            await self.mark(jti, expires)
        return len(found)


def _key(jti: str) -> str:
    return f"revoked:{jti}"
