"""Realm signing and encryption keys."""

from __future__ import annotations

import dataclasses

from sqlalchemy import (
    delete,
    insert,
    select,
    update,
)

from ostium.domain import (
    RealmKey,
)
from ostium.storage.sql import tables as t
from ostium.storage.sql.repositories.base import SqlRepository

__all__ = ["SqlKeyRepository"]


class SqlKeyRepository(SqlRepository):
    async def list_all(self, realm_id: str) -> list[RealmKey]:
        rows = await self._all(
            select(t.realm_keys)
            .where(t.realm_keys.c.realm_id == realm_id)
            .order_by(t.realm_keys.c.created, t.realm_keys.c.kid)
        )
        return [RealmKey(**row._asdict()) for row in rows]

    async def add(self, key: RealmKey) -> None:
        await self._write(insert(t.realm_keys).values(**dataclasses.asdict(key)))

    async def update(self, key: RealmKey) -> None:
        await self._write(
            update(t.realm_keys)
            .where(t.realm_keys.c.id == key.id)
            .values(**dataclasses.asdict(key))
        )

    async def delete(self, key_id: str) -> None:
        await self.conn.execute(delete(t.realm_keys).where(t.realm_keys.c.id == key_id))
