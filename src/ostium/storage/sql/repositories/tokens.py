"""Authorization codes (consumed once, atomically) and revoked token ids."""

from __future__ import annotations

import dataclasses

from sqlalchemy import (
    delete,
    insert,
    select,
    update,
)

from ostium.domain import (
    AuthorizationCode,
)
from ostium.storage.sql import tables as t
from ostium.storage.sql.repositories.base import SqlRepository

__all__ = ["SqlCodeRepository", "SqlRevokedTokenRepository"]

# --- codes and revoked tokens -------------------------------------------------------------


class SqlCodeRepository(SqlRepository):
    async def add(self, code: AuthorizationCode) -> None:
        await self._write(insert(t.authorization_codes).values(**dataclasses.asdict(code)))

    async def consume(self, code_hash: str) -> tuple[AuthorizationCode, bool] | None:
        # The conditional UPDATE is the atomic step: of two concurrent redemptions only
        # one sees a row change.
        changed = await self.conn.execute(
            update(t.authorization_codes)
            .where(
                t.authorization_codes.c.code_hash == code_hash,
                t.authorization_codes.c.consumed.is_(False),
            )
            .values(consumed=True)
        )
        row = await self._one(
            select(t.authorization_codes).where(t.authorization_codes.c.code_hash == code_hash)
        )
        if row is None:
            return None
        return AuthorizationCode(**row._asdict()), bool(changed.rowcount)

    async def purge_expired(self, now: int) -> None:
        await self.conn.execute(
            delete(t.authorization_codes).where(t.authorization_codes.c.expires < now)
        )


class SqlRevokedTokenRepository(SqlRepository):
    async def revoke(self, jti: str, expires: int) -> None:
        await self._ignore_duplicate(t.revoked_tokens, [{"jti": jti, "expires": expires}])

    async def is_revoked(self, jti: str) -> bool:
        row = await self._one(select(t.revoked_tokens.c.jti).where(t.revoked_tokens.c.jti == jti))
        return row is not None

    async def list_unexpired(self, now: int) -> list[tuple[str, int]]:
        c = t.revoked_tokens.c
        rows = await self._all(select(c.jti, c.expires).where(c.expires >= now))
        return [(row.jti, row.expires) for row in rows]

    async def purge_expired(self, now: int) -> None:
        await self.conn.execute(delete(t.revoked_tokens).where(t.revoked_tokens.c.expires < now))
