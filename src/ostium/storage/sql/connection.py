"""The connection the repositories of one transaction share."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

from sqlalchemy import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["LazyConnection"]


class LazyConnection:
    """One transaction, begun at its first statement. Most requests read only what the
    caches hold: they must not wait for a pooled connection (SQLite has one) nor pay a
    BEGIN and COMMIT round-trip for nothing.

    A transaction that has only read can be ended early (`release_reads`) and a new one
    begins at the next statement: a login reads the user, then hashes the password for
    tens of milliseconds, and holding SQLite's one connection meanwhile would let only
    one login at a time reach the hashing pool."""

    def __init__(self, engine: AsyncEngine, stack: AsyncExitStack) -> None:
        self._engine = engine
        self._begin: AbstractAsyncContextManager[AsyncConnection] | None = None
        self._conn: AsyncConnection | None = None
        self._written = False
        stack.push_async_exit(self._end)

    async def connection(self) -> AsyncConnection:
        """The raw connection, for writes (savepoints, executemany): from here on the
        transaction keeps it to the end."""
        self._written = True
        return await self._open()

    async def _open(self) -> AsyncConnection:
        if self._conn is None:
            begin = self._engine.begin()
            self._conn = await begin.__aenter__()
            self._begin = begin
        return self._conn

    async def execute(self, statement: Any) -> CursorResult[Any]:
        if not getattr(statement, "is_select", False):
            self._written = True  # anything but a SELECT may write: keep it in one transaction
        result: CursorResult[Any] = await (await self._open()).execute(statement)
        return result

    async def release_reads(self) -> None:
        """Commit and give back the connection if this transaction has only read."""
        if self._conn is not None and not self._written:
            await self._end(None, None, None)

    async def _end(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        begin, self._begin, self._conn = self._begin, None, None
        self._written = False
        if begin is None:
            return False
        return bool(await begin.__aexit__(exc_type, exc, tb))
