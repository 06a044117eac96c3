"""The caches in front of storage: what every request reads comes from memory.

`CachedStorage` wraps a `Storage`. Inside a transaction:
- realms and clients are read through the local `realms` cache, users through `users`;
  keys through `keys` (see `web.runtime`);
- a write marks the transaction: from then on it reads from the database, and once it
  has committed, the entries it may have made stale are invalidated here and, through
  `work`, on every other node. A rolled-back transaction invalidates nothing.
- user and client sessions go through `user_sessions` (persistent, the default, or
  cache-only);
- authorization codes and revoked-token marks live in `actionTokens` (see `codes` and
  `revoked_tokens`): the database holds no codes, and revocations only as a backup.

Cached objects are kept pickled and rebuilt on the way out: a caller may mutate what it
read (the admin API does, before it writes) without touching the cached entry, and
unpickling costs a fifth of a deep copy on the hot paths that read a realm, a client
and the authorization data on every token.
"""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from ostium.domain import Client, Realm, User
from ostium.sessions.caches import Caches
from ostium.sessions.codes import CachedCodes
from ostium.sessions.local_cache import LocalCache
from ostium.sessions.revoked_tokens import RevokedTokens
from ostium.sessions.user_sessions import (
    CacheOnlySessionRepository,
    PersistentSessionRepository,
    Transaction,
)
from ostium.sessions.work import Invalidation
from ostium.storage.interfaces import Repositories, Storage

__all__ = ["CachedStorage"]

T = TypeVar("T")


class _Passthrough:
    """Delegates every attribute to the wrapped repository; subclasses override what they
    cache or must watch."""

    def __init__(self, inner: Any, caches: Caches, tx: Transaction) -> None:
        self._inner = inner
        self._caches = caches
        self._tx = tx

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def _cached(
        self,
        cache: str,
        key: str,
        load: Callable[[], Awaitable[T]],
        *,
        group: Callable[[T], str | None] = lambda _: None,
        keep_none: bool = False,
    ) -> T:
        """Read-through, unless this transaction has written: then it must see its own
        writes, which the cache does not hold yet. A `None` answer is cached only where
        every write drops the whole cache (`keep_none`); elsewhere it would outlive the
        creation that ends it."""
        if self._tx.wrote:
            return await load()
        local: LocalCache[bytes] = self._caches.local[cache]
        found = local.get(key)
        if found is not None:
            return pickle.loads(found)  # type: ignore[no-any-return]  # noqa: S301 - our own bytes
        generation = self._caches.generation
        value = await load()
        # An invalidation that arrived while loading may concern what was just read:
        # then the value is returned but not kept.
        if (value is not None or keep_none) and generation == self._caches.generation:
            local.put(key, pickle.dumps(value, pickle.HIGHEST_PROTOCOL), group=group(value))
        return value

    def _changed(self, *invalidations: Invalidation) -> None:
        self._tx.wrote = True
        self._tx.invalidations.extend(invalidations)


def _id(realm_id: str) -> Callable[[object], str]:
    """The group of a realm's entries, whatever was found."""
    return lambda _: realm_id


def _realm_changed(realm_id: str) -> tuple[Invalidation, ...]:
    return (
        _AUTHORIZATION_CHANGED,
        Invalidation("realms", group=realm_id),
        Invalidation("users", group=realm_id),
        Invalidation("keys", key=realm_id),
    )


class _Realms(_Passthrough):
    async def get(self, realm_id: str) -> Realm | None:
        return await self._cached(
            "realms", f"realm:{realm_id}", lambda: self._inner.get(realm_id), group=_id(realm_id)
        )

    async def get_by_name(self, name: str) -> Realm | None:
        # Keyed by name, grouped under the id found: a rename invalidates the group.
        return await self._cached(
            "realms",
            f"name:{name}",
            lambda: self._inner.get_by_name(name),
            group=lambda realm: realm.id if realm else None,
        )

    async def add(self, realm: Realm) -> None:
        self._changed(*_realm_changed(realm.id))
        await self._inner.add(realm)

    async def update(self, realm: Realm) -> None:
        self._changed(*_realm_changed(realm.id))
        await self._inner.update(realm)

    async def delete(self, realm_id: str) -> None:
        self._changed(*_realm_changed(realm_id))
        await self._inner.delete(realm_id)


class _Clients(_Passthrough):
    async def get(self, realm_id: str, id: str) -> Client | None:
        return await self._cached(
            "realms",
            f"client:{realm_id}:{id}",
            lambda: self._inner.get(realm_id, id),
            group=_id(realm_id),
        )

    async def get_by_client_id(self, realm_id: str, client_id: str) -> Client | None:
        return await self._cached(
            "realms",
            f"clientId:{realm_id}:{client_id}",
            lambda: self._inner.get_by_client_id(realm_id, client_id),
            group=_id(realm_id),
        )

    def _client_changed(self, realm_id: str) -> None:
        # A client's roles and scope links are authorization data too.
        self._changed(Invalidation("realms", group=realm_id), _AUTHORIZATION_CHANGED)

    async def add(self, client: Client) -> None:
        self._client_changed(client.realm_id)
        await self._inner.add(client)

    async def update(self, client: Client) -> None:
        self._client_changed(client.realm_id)
        await self._inner.update(client)

    async def delete(self, realm_id: str, id: str) -> None:
        self._client_changed(realm_id)
        await self._inner.delete(realm_id, id)


class _Users(_Passthrough):
    async def get(self, realm_id: str, id: str) -> User | None:
        return await self._cached(
            "users",
            f"user:{realm_id}:{id}",
            lambda: self._inner.get(realm_id, id),
            group=_id(realm_id),
        )

    async def get_service_account(self, client_internal_id: str) -> User | None:
        found: User | None = await self._cached(
            "authorization",
            f"users.get_service_account:{client_internal_id}",
            lambda: self._inner.get_service_account(client_internal_id),
            keep_none=True,
        )
        return found

    async def add(self, user: User) -> None:
        self._changed(
            Invalidation("users", key=f"user:{user.realm_id}:{user.id}"), _AUTHORIZATION_CHANGED
        )
        await self._inner.add(user)

    async def update(self, user: User) -> None:
        self._changed(
            Invalidation("users", key=f"user:{user.realm_id}:{user.id}"), _AUTHORIZATION_CHANGED
        )
        await self._inner.update(user)

    async def delete(self, realm_id: str, id: str) -> None:
        self._changed(Invalidation("users", key=f"user:{realm_id}:{id}"), _AUTHORIZATION_CHANGED)
        await self._inner.delete(realm_id, id)


class _Keys(_Passthrough):
    async def add(self, key: Any) -> None:
        self._changed(Invalidation("keys", key=key.realm_id))
        await self._inner.add(key)

    async def update(self, key: Any) -> None:
        self._changed(Invalidation("keys", key=key.realm_id))
        await self._inner.update(key)

    async def delete(self, key_id: str) -> None:
        # The key's realm is not known from its id alone: every realm's keys reload.
        self._changed(Invalidation("keys", everything=True))
        await self._inner.delete(key_id)


class _RevokedTokens(_Passthrough):
    """Asked on every bearer-token check: answered from the `actionTokens` marks, which
    a revocation joins once it has committed."""

    def __init__(self, inner: Any, caches: Caches, tx: Transaction) -> None:
        super().__init__(inner, caches, tx)
        self._marks = RevokedTokens(caches["actionTokens"])

    async def is_revoked(self, jti: str) -> bool:
        return await self._marks.is_revoked(jti)

    async def revoke(self, jti: str, expires: int) -> None:
        await self._inner.revoke(jti, expires)
        self._tx.after_commit.append(lambda: self._marks.mark(jti, expires))


# Everything that decides what a token says about a user: role mappings, composites,
# group memberships, client scopes and service accounts. Read on every token issued,
# written rarely (an administrator), so any write drops the whole `authorization` cache.
_AUTHORIZATION_CHANGED = Invalidation("authorization", everything=True)


class _Authorization(_Passthrough):
    """Read-through on the listed reads of one repository; any other method is a write
    (or a read that must not be cached) and goes to storage, marking the transaction."""

    def __init__(
        self, inner: Any, caches: Caches, tx: Transaction, name: str, reads: frozenset[str]
    ) -> None:
        super().__init__(inner, caches, tx)
        self._name = name
        self._reads = reads

    def __getattr__(self, method: str) -> Any:
        target = getattr(self._inner, method)
        if method in self._reads:

            async def read(*args: Any) -> Any:
                key = f"{self._name}.{method}:{args!r}"
                return await self._cached(
                    "authorization", key, lambda: target(*args), keep_none=True
                )

            return read
        if method in _WRITES:

            async def write(*args: Any, **kwargs: Any) -> Any:
                self._changed(_AUTHORIZATION_CHANGED)
                return await target(*args, **kwargs)

            return write
        return target


_WRITES = frozenset(
    {
        "add",
        "update",
        "delete",
        "add_composites",
        "remove_composites",
        "grant_to_user",
        "revoke_from_user",
        "grant_to_group",
        "revoke_from_group",
        "add_member",
        "remove_member",
    }
)
_ROLE_READS = frozenset(
    {
        "get",
        "get_realm_role",
        "get_client_role",
        "list_realm_roles",
        "list_client_roles",
        "composites_of",
        "user_roles",
        "group_roles",
    }
)
_GROUP_READS = frozenset({"get", "list_all", "user_groups"})
_SCOPE_READS = frozenset({"get", "get_by_name", "list_all"})


class CachedRepositories:
    def __init__(self, inner: Repositories, caches: Caches, tx: Transaction, persistent: bool):
        self._inner = inner
        self.realms = _Realms(inner.realms, caches, tx)
        self.clients = _Clients(inner.clients, caches, tx)
        self.users = _Users(inner.users, caches, tx)
        self.roles = _Authorization(inner.roles, caches, tx, "roles", _ROLE_READS)
        self.groups = _Authorization(inner.groups, caches, tx, "groups", _GROUP_READS)
        self.client_scopes = _Authorization(
            inner.client_scopes, caches, tx, "client_scopes", _SCOPE_READS
        )
        self.keys = _Keys(inner.keys, caches, tx)
        self.revoked_tokens = _RevokedTokens(inner.revoked_tokens, caches, tx)
        self.codes = CachedCodes(caches["actionTokens"])
        stored = PersistentSessionRepository(inner.sessions, caches, tx, self.realms)
        self.sessions: PersistentSessionRepository | CacheOnlySessionRepository = (
            stored if persistent else CacheOnlySessionRepository(stored, caches, self.realms)
        )

    async def release_reads(self) -> None:
        await self._inner.release_reads()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class CachedStorage:
    def __init__(self, inner: Storage, caches: Caches, *, persistent_sessions: bool = True):
        self.inner = inner
        self.caches = caches
        self.persistent_sessions = persistent_sessions

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repositories]:
        tx = Transaction()
        async with self.inner.transaction() as repos:
            yield CachedRepositories(repos, self.caches, tx, self.persistent_sessions)
        # Committed: now, and only now, what it changed may be dropped from the caches.
        await self.caches.invalidate(tx.invalidations)
        for action in tx.after_commit:
            await action()

    async def ping(self) -> None:
        await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()
