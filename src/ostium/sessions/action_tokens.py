"""The `actionTokens` cache: single-use marks for action tokens (Keycloak: reset-password
and execute-actions links). A token's `jti` is marked when it is used; a second use
anywhere in the cluster finds the mark and is refused, until the token would have
expired anyway."""

from __future__ import annotations

from ostium.sessions.distributed import DistributedCache

__all__ = ["ActionTokens"]


class ActionTokens:
    def __init__(self, cache: DistributedCache) -> None:
        self._cache = cache

    async def use(self, jti: str, *, expires: int, now: int) -> bool:
        """True the first time a token is used; False for every use after it. The mark
        is kept until `expires`, after which the token's own expiry refuses it."""
        return await self._cache.add(jti, {"used": now}, ttl=max(expires - now, 1))

    async def used(self, jti: str) -> bool:
        """Whether the token was used already (a read: nothing is marked)."""
        return await self._cache.get(jti) is not None

    async def first_within(self, key: str, *, seconds: int, now: int) -> bool:
        """True if nothing marked `key` in the last `seconds`, marking it now: a limit
        of one per period, shared by every node (one reset e-mail per user a minute)."""
        return await self._cache.add(f"limit:{key}", {"at": now}, ttl=max(seconds, 1))
