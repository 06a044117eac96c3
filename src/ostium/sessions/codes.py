"""Authorization codes where Keycloak keeps them: single-use entries in the
`actionTokens` cache, never in the database.

A code lives a minute (the realm's access-code lifespan) and is read once; writing it
to the database and updating it there cost two statements per login. In a cluster the
cache is Redis, so the node that redeems a code need not be the one that issued it."""

from __future__ import annotations

import dataclasses

from ostium.domain import AuthorizationCode
from ostium.sessions.distributed import DistributedCache, ttl_until

__all__ = ["CachedCodes"]


class CachedCodes:
    """The `CodeRepository` of a running server."""

    def __init__(self, cache: DistributedCache) -> None:
        self._cache = cache

    async def add(self, code: AuthorizationCode) -> None:
        await self._cache.put(
            _key(code.code_hash), dataclasses.asdict(code), ttl=ttl_until(code.expires)
        )

    async def consume(self, code_hash: str) -> tuple[AuthorizationCode, bool] | None:
        """The use mark is added only if absent (`add` is atomic on Redis too): of two
        concurrent redemptions exactly one is the first."""
        found = await self._cache.get(_key(code_hash))
        if found is None:
            return None
        code = AuthorizationCode(**{**found, "consumed": False})
        first = await self._cache.add(
            _key(code_hash, used=True), {"used": 1}, ttl=ttl_until(code.expires)
        )
        code.consumed = not first
        return code, first

    async def purge_expired(self, now: int) -> None:
        """Nothing to do: entries expire with their time to live."""


def _key(code_hash: str, *, used: bool = False) -> str:
    return f"code-used:{code_hash}" if used else f"code:{code_hash}"
