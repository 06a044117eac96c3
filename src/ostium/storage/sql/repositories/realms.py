"""Realms: one row each, the settings without a column of their own as JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    delete,
    insert,
    select,
    update,
)

from ostium.domain import (
    Realm,
)
from ostium.storage.sql import tables as t
from ostium.storage.sql.repositories.base import SqlRepository, from_settings, settings_json

__all__ = ["SqlRealmRepository"]


_REALM_COLUMNS = {"id", "name", "enabled"}


class SqlRealmRepository(SqlRepository):
    def _row(self, realm: Realm) -> dict[str, Any]:
        return {
            "id": realm.id,
            "name": realm.name,
            "enabled": realm.enabled,
            "settings": settings_json(realm, _REALM_COLUMNS),
        }

    async def get(self, realm_id: str) -> Realm | None:
        row = await self._one(select(t.realms).where(t.realms.c.id == realm_id))
        return from_settings(Realm, row, _REALM_COLUMNS) if row else None

    async def get_by_name(self, name: str) -> Realm | None:
        row = await self._one(select(t.realms).where(t.realms.c.name == name))
        return from_settings(Realm, row, _REALM_COLUMNS) if row else None

    async def list_all(self) -> list[Realm]:
        rows = await self._all(select(t.realms).order_by(t.realms.c.name))
        return [from_settings(Realm, r, _REALM_COLUMNS) for r in rows]

    async def add(self, realm: Realm) -> None:
        await self._write(insert(t.realms).values(**self._row(realm)))

    async def update(self, realm: Realm) -> None:
        await self._write(
            update(t.realms).where(t.realms.c.id == realm.id).values(**self._row(realm))
        )

    async def delete(self, realm_id: str) -> None:
        # Users reference clients (service accounts) and clients reference the realm;
        # deleting in dependency order keeps it correct without relying on cascade order.
        await self.conn.execute(delete(t.users).where(t.users.c.realm_id == realm_id))
        await self.conn.execute(delete(t.realms).where(t.realms.c.id == realm_id))
