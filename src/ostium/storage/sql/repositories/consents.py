"""Users' consents to clients, one row per user and client."""

from __future__ import annotations

import json

from sqlalchemy import delete, insert, select, update

from ostium.domain.consent import UserConsent
from ostium.storage.sql import tables as t
from ostium.storage.sql.repositories.base import SqlRepository

__all__ = ["SqlConsentRepository"]


def _consent(row: object) -> UserConsent:
    values = row._asdict()  # type: ignore[attr-defined]
    values["granted_scopes"] = json.loads(values["granted_scopes"])
    return UserConsent(**values)


class SqlConsentRepository(SqlRepository):
    async def get(self, user_id: str, client_id: str) -> UserConsent | None:
        rows = await self._all(
            select(t.user_consents).where(
                t.user_consents.c.user_id == user_id, t.user_consents.c.client_id == client_id
            )
        )
        return _consent(rows[0]) if rows else None

    async def list_for_user(self, user_id: str) -> list[UserConsent]:
        rows = await self._all(
            select(t.user_consents)
            .where(t.user_consents.c.user_id == user_id)
            .order_by(t.user_consents.c.created_date)
        )
        return [_consent(r) for r in rows]

    async def put(self, consent: UserConsent) -> None:
        values = {
            "granted_scopes": json.dumps(consent.granted_scopes),
            "created_date": consent.created_date,
            "last_updated_date": consent.last_updated_date,
        }
        changed = await self._write(
            update(t.user_consents)
            .where(
                t.user_consents.c.user_id == consent.user_id,
                t.user_consents.c.client_id == consent.client_id,
            )
            .values(**values)
        )
        if not changed:
            await self._write(
                insert(t.user_consents).values(
                    user_id=consent.user_id, client_id=consent.client_id, **values
                )
            )

    async def delete(self, user_id: str, client_id: str) -> bool:
        result = await self.conn.execute(
            delete(t.user_consents).where(
                t.user_consents.c.user_id == user_id, t.user_consents.c.client_id == client_id
            )
        )
        return bool(result.rowcount)
