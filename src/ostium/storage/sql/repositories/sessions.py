"""User sessions and the client sessions within them (persistent and offline)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from sqlalchemy import (
    Row,
    delete,
    insert,
    or_,
    select,
    update,
)

from ostium.domain import (
    ClientSession,
    UserSession,
)
from ostium.storage.sql import tables as t
from ostium.storage.sql.repositories.base import SqlRepository

__all__ = ["SqlUserSessionRepository"]


def _user_session(row: Row[Any]) -> UserSession:
    values = row._asdict()
    values["notes"] = json.loads(values["notes"])
    return UserSession(**values)


def _client_session(row: Row[Any]) -> ClientSession:
    values = row._asdict()
    values["notes"] = json.loads(values["notes"])
    return ClientSession(**values)


class SqlUserSessionRepository(SqlRepository):
    async def add(self, session: UserSession) -> None:
        values = dataclasses.asdict(session)
        values["notes"] = json.dumps(session.notes)
        await self._write(insert(t.user_sessions).values(**values))

    async def get(self, session_id: str) -> UserSession | None:
        row = await self._one(select(t.user_sessions).where(t.user_sessions.c.id == session_id))
        return _user_session(row) if row else None

    async def touch(self, session_id: str, last_refresh: int) -> None:
        await self.conn.execute(
            update(t.user_sessions)
            .where(t.user_sessions.c.id == session_id)
            .values(last_refresh=last_refresh)
        )

    async def update(self, session: UserSession) -> None:
        await self.conn.execute(
            update(t.user_sessions)
            .where(t.user_sessions.c.id == session.id)
            .values(
                last_refresh=session.last_refresh,
                remember_me=session.remember_me,
                notes=json.dumps(session.notes),
            )
        )

    async def delete(self, session_id: str) -> None:
        await self.conn.execute(delete(t.user_sessions).where(t.user_sessions.c.id == session_id))

    async def list_for_user(self, user_id: str) -> list[UserSession]:
        rows = await self._all(
            select(t.user_sessions)
            .where(t.user_sessions.c.user_id == user_id)
            .order_by(t.user_sessions.c.started)
        )
        return [_user_session(r) for r in rows]

    async def list_for_realm(self, realm_id: str) -> list[UserSession]:
        rows = await self._all(
            select(t.user_sessions)
            .where(t.user_sessions.c.realm_id == realm_id)
            .order_by(t.user_sessions.c.started)
        )
        return [_user_session(r) for r in rows]

    async def list_for_client(self, client_id: str) -> list[UserSession]:
        rows = await self._all(
            select(t.user_sessions)
            .join(t.client_sessions, t.client_sessions.c.user_session_id == t.user_sessions.c.id)
            .where(t.client_sessions.c.client_id == client_id)
            .order_by(t.user_sessions.c.started)
        )
        return [_user_session(r) for r in rows]

    async def list_expired(
        self,
        realm_id: str,
        *,
        offline: bool,
        remember_me: bool,
        idle_before: int,
        started_before: int,
    ) -> list[UserSession]:
        c = t.user_sessions.c
        rows = await self._all(
            select(t.user_sessions).where(
                c.realm_id == realm_id,
                c.offline == offline,
                c.remember_me == remember_me,
                or_(c.last_refresh < idle_before, c.started < started_before),
            )
        )
        return [_user_session(r) for r in rows]

    async def _delete_where(self, condition: Any) -> list[str]:
        ids = [r.id for r in await self._all(select(t.user_sessions.c.id).where(condition))]
        if ids:
            await self.conn.execute(delete(t.user_sessions).where(t.user_sessions.c.id.in_(ids)))
        return ids

    async def delete_for_user(self, user_id: str) -> list[str]:
        return await self._delete_where(t.user_sessions.c.user_id == user_id)

    async def delete_for_realm(self, realm_id: str) -> list[str]:
        return await self._delete_where(t.user_sessions.c.realm_id == realm_id)

    async def add_client_session(self, session: ClientSession) -> None:
        await self.delete_client_session(session.user_session_id, session.client_id)
        values = dataclasses.asdict(session)
        values["notes"] = json.dumps(session.notes)
        await self._write(insert(t.client_sessions).values(**values))

    async def update_client_session(self, session: ClientSession) -> None:
        c = t.client_sessions.c
        await self.conn.execute(
            update(t.client_sessions)
            .where(c.user_session_id == session.user_session_id, c.client_id == session.client_id)
            .values(timestamp=session.timestamp, notes=json.dumps(session.notes))
        )

    async def get_client_session(
        self, user_session_id: str, client_id: str
    ) -> ClientSession | None:
        row = await self._one(
            select(t.client_sessions).where(
                t.client_sessions.c.user_session_id == user_session_id,
                t.client_sessions.c.client_id == client_id,
            )
        )
        return _client_session(row) if row else None

    async def list_client_sessions(self, user_session_id: str) -> list[ClientSession]:
        rows = await self._all(
            select(t.client_sessions).where(t.client_sessions.c.user_session_id == user_session_id)
        )
        return [_client_session(r) for r in rows]

    async def delete_client_session(self, user_session_id: str, client_id: str) -> None:
        await self.conn.execute(
            delete(t.client_sessions).where(
                t.client_sessions.c.user_session_id == user_session_id,
                t.client_sessions.c.client_id == client_id,
            )
        )
