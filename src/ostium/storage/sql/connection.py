"""The connection the repositories of one transaction share."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from sqlalchemy import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["LazyConnection"]


class LazyConnection:
    """One transaction, begun at its first statement. Most requests read only what the
    caches hold: they must not wait for a pooled connection (SQLite has one) nor pay a
    BEGIN and COMMIT round-trip for nothing."""

    def __init__(self, engine: AsyncEngine, stack: AsyncExitStack) -> None:
        self._engine = engine
        self._stack = stack
        self._conn: AsyncConnection | None = None

    async def connection(self) -> AsyncConnection:
        if self._conn is None:
            self._conn = await self._stack.enter_async_context(self._engine.begin())
        return self._conn

    async def execute(self, statement: Any) -> CursorResult[Any]:
        result: CursorResult[Any] = await (await self.connection()).execute(statement)
        return result
