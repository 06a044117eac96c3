"""Clients and client scopes, with their protocol mappers kept in the settings JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Row,
    delete,
    insert,
    select,
    update,
)

from ostium.domain import (
    Client,
    ClientScope,
    ProtocolMapper,
)
from ostium.storage.sql import tables as t
from ostium.storage.sql.repositories.base import SqlRepository, from_settings, settings_json

__all__ = ["SqlClientRepository", "SqlClientScopeRepository"]

# --- clients ------------------------------------------------------------------------------

_CLIENT_COLUMNS = {"id", "realm_id", "client_id", "enabled", "secret"}


def _client(row: Row[Any]) -> Client:
    """Nested protocol mappers come back from their JSON as dataclasses."""
    client = from_settings(Client, row, _CLIENT_COLUMNS)
    client.protocol_mappers = [
        m if isinstance(m, ProtocolMapper) else ProtocolMapper(**m) for m in client.protocol_mappers
    ]
    return client


class SqlClientRepository(SqlRepository):
    def _row(self, client: Client) -> dict[str, Any]:
        return {
            "id": client.id,
            "realm_id": client.realm_id,
            "client_id": client.client_id,
            "enabled": client.enabled,
            "secret": client.secret,
            "settings": settings_json(client, _CLIENT_COLUMNS),
        }

    async def get(self, realm_id: str, id: str) -> Client | None:
        row = await self._one(
            select(t.clients).where(t.clients.c.id == id, t.clients.c.realm_id == realm_id)
        )
        return _client(row) if row else None

    async def get_by_client_id(self, realm_id: str, client_id: str) -> Client | None:
        row = await self._one(
            select(t.clients).where(
                t.clients.c.client_id == client_id, t.clients.c.realm_id == realm_id
            )
        )
        return _client(row) if row else None

    async def list_all(
        self, realm_id: str, *, first: int = 0, max: int | None = None
    ) -> list[Client]:
        query = (
            select(t.clients)
            .where(t.clients.c.realm_id == realm_id)
            .order_by(t.clients.c.client_id)
            .offset(first)
            .limit(max)
        )
        return [_client(r) for r in await self._all(query)]

    async def add(self, client: Client) -> None:
        await self._write(insert(t.clients).values(**self._row(client)))

    async def update(self, client: Client) -> None:
        await self._write(
            update(t.clients).where(t.clients.c.id == client.id).values(**self._row(client))
        )

    async def delete(self, realm_id: str, id: str) -> None:
        await self.conn.execute(
            delete(t.clients).where(t.clients.c.id == id, t.clients.c.realm_id == realm_id)
        )


# --- client scopes ------------------------------------------------------------------------

_SCOPE_COLUMNS = {"id", "realm_id", "name"}


def _scope(row: Row[Any]) -> ClientScope:
    scope = from_settings(ClientScope, row, _SCOPE_COLUMNS)
    scope.protocol_mappers = [
        m if isinstance(m, ProtocolMapper) else ProtocolMapper(**m) for m in scope.protocol_mappers
    ]
    return scope


class SqlClientScopeRepository(SqlRepository):
    def _row(self, scope: ClientScope) -> dict[str, Any]:
        return {
            "id": scope.id,
            "realm_id": scope.realm_id,
            "name": scope.name,
            "settings": settings_json(scope, _SCOPE_COLUMNS),
        }

    async def get(self, realm_id: str, id: str) -> ClientScope | None:
        c = t.client_scopes.c
        row = await self._one(select(t.client_scopes).where(c.id == id, c.realm_id == realm_id))
        return _scope(row) if row else None

    async def get_by_name(self, realm_id: str, name: str) -> ClientScope | None:
        c = t.client_scopes.c
        row = await self._one(select(t.client_scopes).where(c.name == name, c.realm_id == realm_id))
        return _scope(row) if row else None

    async def list_all(self, realm_id: str) -> list[ClientScope]:
        c = t.client_scopes.c
        rows = await self._all(
            select(t.client_scopes).where(c.realm_id == realm_id).order_by(c.name)
        )
        return [_scope(r) for r in rows]

    async def add(self, scope: ClientScope) -> None:
        await self._write(insert(t.client_scopes).values(**self._row(scope)))

    async def update(self, scope: ClientScope) -> None:
        await self._write(
            update(t.client_scopes)
            .where(t.client_scopes.c.id == scope.id)
            .values(**self._row(scope))
        )

    async def delete(self, realm_id: str, id: str) -> None:
        c = t.client_scopes.c
        await self.conn.execute(delete(t.client_scopes).where(c.id == id, c.realm_id == realm_id))
