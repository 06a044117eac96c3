"""User and client sessions behind the `sessions`, `clientSessions`, `offlineSessions` and
`offlineClientSessions` caches (Keycloak: persistent user sessions).

- Persistent (the default): the database is the source of truth; sessions are loaded
  into their cache on first use and changed there once the database change has
  committed. Restarting every node logs nobody out.
- Cache-only (`--features-disabled=persistent-user-sessions`): online sessions live in
  the cache alone, as in Keycloak before version 25; offline sessions are always
  persisted.

Deletions leave tombstones (see `distributed`), so a node that read a session from the
database just before another node deleted it cannot bring it back into the cache.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ostium.domain import ClientSession, Realm, UserSession
from ostium.domain.session import session_expires_at
from ostium.sessions.caches import Caches
from ostium.sessions.distributed import DistributedCache, is_tombstone
from ostium.sessions.work import Invalidation
from ostium.storage.interfaces import UserSessionRepository

__all__ = ["CacheOnlySessionRepository", "PersistentSessionRepository", "Transaction"]

# When the realm is unknown (deleted meanwhile), keep cache entries this long at most.
_FALLBACK_TTL = 36000


@dataclass
class Transaction:
    """What one storage transaction changed, acted on once it has committed."""

    wrote: bool = False
    invalidations: list[Invalidation] = field(default_factory=list)
    after_commit: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    sessions_written: set[str] = field(default_factory=set)


class _RealmLookup(Protocol):
    async def get(self, realm_id: str) -> Realm | None: ...


def _session(value: dict[str, Any]) -> UserSession:
    return UserSession(**value)


def _client_session(value: dict[str, Any]) -> ClientSession:
    return ClientSession(**value)


def _client_key(user_session_id: str, client_id: str) -> str:
    return f"{user_session_id}:{client_id}"


async def _ttl(realms: _RealmLookup, session: UserSession) -> int:
    """Seconds the cache keeps a session: until it would expire unused, plus a minute."""
    realm = await realms.get(session.realm_id)
    if realm is None:
        return _FALLBACK_TTL
    return max(session_expires_at(realm, session) - session.last_refresh, 1) + 60


class PersistentSessionRepository:
    def __init__(
        self,
        inner: UserSessionRepository,
        caches: Caches,
        tx: Transaction,
        realms: _RealmLookup,
    ) -> None:
        self._inner = inner
        self._caches = caches
        self._tx = tx
        self._realms = realms

    def _cache(self, offline: bool) -> DistributedCache:
        return self._caches["offlineSessions" if offline else "sessions"]

    def _client_cache(self, offline: bool) -> DistributedCache:
        return self._caches["offlineClientSessions" if offline else "clientSessions"]

    def _after(self, action: Callable[[], Awaitable[Any]]) -> None:
        self._tx.after_commit.append(action)

    async def _store(self, session: UserSession) -> None:
        ttl = await _ttl(self._realms, session)
        self._after(
            lambda: self._cache(session.offline).replace(
                session.id, dataclasses.asdict(session), ttl=ttl
            )
        )

    async def add(self, session: UserSession) -> None:
        self._tx.sessions_written.add(session.id)
        await self._inner.add(session)
        await self._store(session)

    async def get(self, session_id: str) -> UserSession | None:
        if session_id in self._tx.sessions_written:
            return await self._inner.get(session_id)
        for offline in (False, True):
            cached = await self._cache(offline).get(session_id)
            if is_tombstone(cached):
                return None
            if cached is not None:
                return _session(cached)
        session = await self._inner.get(session_id)
        if session is not None:
            # `add`, not `put`: a tombstone written meanwhile wins.
            await self._cache(session.offline).add(
                session.id, dataclasses.asdict(session), ttl=await _ttl(self._realms, session)
            )
        return session

    async def touch(self, session_id: str, last_refresh: int) -> None:
        await self._inner.touch(session_id, last_refresh)
        session = await self.get(session_id)
        self._tx.sessions_written.add(session_id)
        if session is not None:
            session.last_refresh = last_refresh
            await self._store(session)

    async def update(self, session: UserSession) -> None:
        self._tx.sessions_written.add(session.id)
        await self._inner.update(session)
        await self._store(session)

    async def _forget(self, session_ids: list[str], client_keys: list[tuple[str, bool]]) -> None:
        for session_id in session_ids:
            await self._cache(False).remove(session_id)
            await self._cache(True).remove(session_id)
        for key, offline in client_keys:
            await self._client_cache(offline).remove(key)

    async def _client_keys(self, session_ids: list[str]) -> list[tuple[str, bool]]:
        keys = []
        for session_id in session_ids:
            for cs in await self._inner.list_client_sessions(session_id):
                keys.append((_client_key(session_id, cs.client_id), cs.offline))
        return keys

    async def delete(self, session_id: str) -> None:
        self._tx.sessions_written.add(session_id)
        client_keys = await self._client_keys([session_id])
        await self._inner.delete(session_id)
        self._after(lambda: self._forget([session_id], client_keys))

    async def list_for_user(self, user_id: str) -> list[UserSession]:
        return await self._inner.list_for_user(user_id)

    async def list_for_realm(self, realm_id: str) -> list[UserSession]:
        return await self._inner.list_for_realm(realm_id)

    async def list_for_client(self, client_id: str) -> list[UserSession]:
        return await self._inner.list_for_client(client_id)

    async def list_expired(
        self,
        realm_id: str,
        *,
        offline: bool,
        remember_me: bool,
        idle_before: int,
        started_before: int,
    ) -> list[UserSession]:
        return await self._inner.list_expired(
            realm_id,
            offline=offline,
            remember_me=remember_me,
            idle_before=idle_before,
            started_before=started_before,
        )

    async def _delete_many(self, sessions: list[UserSession]) -> list[str]:
        ids = [s.id for s in sessions]
        client_keys = await self._client_keys(ids)
        for session_id in ids:
            self._tx.sessions_written.add(session_id)
            await self._inner.delete(session_id)
        self._after(lambda: self._forget(ids, client_keys))
        return ids

    async def delete_for_user(self, user_id: str) -> list[str]:
        online = [s for s in await self._inner.list_for_user(user_id) if not s.offline]
        return await self._delete_many(online)

    async def delete_for_realm(self, realm_id: str) -> list[str]:
        online = [s for s in await self._inner.list_for_realm(realm_id) if not s.offline]
        return await self._delete_many(online)

    async def add_client_session(self, session: ClientSession) -> None:
        await self._inner.add_client_session(session)
        key = _client_key(session.user_session_id, session.client_id)
        self._tx.sessions_written.add(key)
        value = dataclasses.asdict(session)
        self._after(lambda: self._client_cache(session.offline).put(key, value, ttl=_FALLBACK_TTL))

    async def update_client_session(self, session: ClientSession) -> None:
        await self._inner.update_client_session(session)
        key = _client_key(session.user_session_id, session.client_id)
        self._tx.sessions_written.add(key)
        value = dataclasses.asdict(session)
        # `replace`: a client session logged out meanwhile stays logged out.
        self._after(
            lambda: self._client_cache(session.offline).replace(key, value, ttl=_FALLBACK_TTL)
        )

    async def get_client_session(
        self, user_session_id: str, client_id: str
    ) -> ClientSession | None:
        key = _client_key(user_session_id, client_id)
        if key in self._tx.sessions_written:
            return await self._inner.get_client_session(user_session_id, client_id)
        for offline in (False, True):
            cached = await self._client_cache(offline).get(key)
            if is_tombstone(cached):
                return None
            if cached is not None:
                return _client_session(cached)
        found = await self._inner.get_client_session(user_session_id, client_id)
        if found is not None:
            await self._client_cache(found.offline).add(
                key, dataclasses.asdict(found), ttl=_FALLBACK_TTL
            )
        return found

    async def list_client_sessions(self, user_session_id: str) -> list[ClientSession]:
        return await self._inner.list_client_sessions(user_session_id)

    async def delete_client_session(self, user_session_id: str, client_id: str) -> None:
        key = _client_key(user_session_id, client_id)
        self._tx.sessions_written.add(key)
        found = await self._inner.get_client_session(user_session_id, client_id)
        await self._inner.delete_client_session(user_session_id, client_id)
        offline = found.offline if found is not None else False
        self._after(lambda: self._client_cache(offline).remove(key))


class CacheOnlySessionRepository:
    """Online sessions in the `sessions`/`clientSessions` caches only, with indexes by
    user, realm and client so the admin API can list them; offline ones persisted."""

    def __init__(
        self,
        persistent: PersistentSessionRepository,
        caches: Caches,
        realms: _RealmLookup,
    ) -> None:
        self._persistent = persistent
        self._sessions = caches["sessions"]
        self._clients = caches["clientSessions"]
        self._realms = realms

    async def _put(self, session: UserSession) -> int:
        ttl = await _ttl(self._realms, session)
        await self._sessions.put(session.id, dataclasses.asdict(session), ttl=ttl)
        return ttl

    async def add(self, session: UserSession) -> None:
        if session.offline:
            await self._persistent.add(session)
            return
        ttl = await self._put(session)
        await self._sessions.index_add(f"user:{session.user_id}", session.id, ttl=ttl)
        await self._sessions.index_add(f"realm:{session.realm_id}", session.id, ttl=ttl)

    async def _cached(self, session_id: str) -> UserSession | None:
        value = await self._sessions.get(session_id)
        return None if value is None or is_tombstone(value) else _session(value)

    async def get(self, session_id: str) -> UserSession | None:
        return await self._cached(session_id) or await self._persistent.get(session_id)

    async def touch(self, session_id: str, last_refresh: int) -> None:
        session = await self._cached(session_id)
        if session is None:
            await self._persistent.touch(session_id, last_refresh)
            return
        session.last_refresh = last_refresh
        ttl = await _ttl(self._realms, session)
        await self._sessions.replace(session.id, dataclasses.asdict(session), ttl=ttl)

    async def update(self, session: UserSession) -> None:
        if session.offline:
            await self._persistent.update(session)
            return
        ttl = await _ttl(self._realms, session)
        await self._sessions.replace(session.id, dataclasses.asdict(session), ttl=ttl)

    async def delete(self, session_id: str) -> None:
        session = await self._cached(session_id)
        if session is None:
            await self._persistent.delete(session_id)
            return
        for client_id in await self._clients.index_members(f"session:{session_id}"):
            await self._clients.remove(_client_key(session_id, client_id))
            await self._sessions.index_remove(f"client:{client_id}", session_id)
        await self._clients.index_delete(f"session:{session_id}")
        await self._sessions.remove(session_id)
        await self._sessions.index_remove(f"user:{session.user_id}", session_id)
        await self._sessions.index_remove(f"realm:{session.realm_id}", session_id)

    async def _listed(self, index: str) -> list[UserSession]:
        found = []
        for session_id in await self._sessions.index_members(index):
            session = await self._cached(session_id)
            if session is None:
                await self._sessions.index_remove(index, session_id)  # expired meanwhile
            else:
                found.append(session)
        return sorted(found, key=lambda s: (s.started, s.id))

    async def list_for_user(self, user_id: str) -> list[UserSession]:
        return [
            *await self._listed(f"user:{user_id}"),
            *await self._persistent.list_for_user(user_id),
        ]

    async def list_for_realm(self, realm_id: str) -> list[UserSession]:
        return [
            *await self._listed(f"realm:{realm_id}"),
            *await self._persistent.list_for_realm(realm_id),
        ]

    async def list_for_client(self, client_id: str) -> list[UserSession]:
        return [
            *await self._listed(f"client:{client_id}"),
            *await self._persistent.list_for_client(client_id),
        ]

    async def list_expired(
        self,
        realm_id: str,
        *,
        offline: bool,
        remember_me: bool,
        idle_before: int,
        started_before: int,
    ) -> list[UserSession]:
        if offline:
            return await self._persistent.list_expired(
                realm_id,
                offline=True,
                remember_me=remember_me,
                idle_before=idle_before,
                started_before=started_before,
            )
        return [
            s
            for s in await self._listed(f"realm:{realm_id}")
            if s.remember_me == remember_me
            and (s.last_refresh < idle_before or s.started < started_before)
        ]

    async def delete_for_user(self, user_id: str) -> list[str]:
        sessions = await self._listed(f"user:{user_id}")
        for session in sessions:
            await self.delete(session.id)
        return [s.id for s in sessions]

    async def delete_for_realm(self, realm_id: str) -> list[str]:
        sessions = await self._listed(f"realm:{realm_id}")
        for session in sessions:
            await self.delete(session.id)
        return [s.id for s in sessions]

    async def add_client_session(self, session: ClientSession) -> None:
        owner = await self._cached(session.user_session_id)
        if owner is None:
            await self._persistent.add_client_session(session)
            return
        ttl = await _ttl(self._realms, owner)
        key = _client_key(session.user_session_id, session.client_id)
        await self._clients.put(key, dataclasses.asdict(session), ttl=ttl)
        await self._clients.index_add(f"session:{owner.id}", session.client_id, ttl=ttl)
        await self._sessions.index_add(f"client:{session.client_id}", owner.id, ttl=ttl)

    async def update_client_session(self, session: ClientSession) -> None:
        key = _client_key(session.user_session_id, session.client_id)
        if await self._clients.get(key) is None:
            await self._persistent.update_client_session(session)
            return
        owner = await self._cached(session.user_session_id)
        ttl = await _ttl(self._realms, owner) if owner is not None else _FALLBACK_TTL
        await self._clients.replace(key, dataclasses.asdict(session), ttl=ttl)

    async def get_client_session(
        self, user_session_id: str, client_id: str
    ) -> ClientSession | None:
        value = await self._clients.get(_client_key(user_session_id, client_id))
        if value is not None and not is_tombstone(value):
            return _client_session(value)
        return await self._persistent.get_client_session(user_session_id, client_id)

    async def list_client_sessions(self, user_session_id: str) -> list[ClientSession]:
        found = []
        for client_id in await self._clients.index_members(f"session:{user_session_id}"):
            value = await self._clients.get(_client_key(user_session_id, client_id))
            if value is not None and not is_tombstone(value):
                found.append(_client_session(value))
        return found or await self._persistent.list_client_sessions(user_session_id)

    async def delete_client_session(self, user_session_id: str, client_id: str) -> None:
        key = _client_key(user_session_id, client_id)
        if await self._clients.get(key) is None:
            await self._persistent.delete_client_session(user_session_id, client_id)
            return
        await self._clients.remove(key)
        await self._clients.index_remove(f"session:{user_session_id}", client_id)
        await self._sessions.index_remove(f"client:{client_id}", user_session_id)
