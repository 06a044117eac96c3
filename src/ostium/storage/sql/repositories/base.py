"""What every SQL repository shares: its transaction's connection, writes in a savepoint
that turn unique violations into DuplicateError, and dataclass fields kept as JSON."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    Row,
    Table,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from ostium.storage.interfaces import DuplicateError
from ostium.storage.sql.connection import LazyConnection

__all__ = ["SqlRepository", "from_settings", "settings_json"]

D = TypeVar("D")


def _is_unique_violation(error: IntegrityError) -> bool:
    text = str(error.orig).lower()
    return "unique" in text or "duplicate key" in text


class SqlRepository:
    def __init__(self, conn: LazyConnection) -> None:
        self.conn = conn

    async def _write(self, statement: Any, rows: list[dict[str, Any]] | None = None) -> int:
        """Runs a write (with `rows`, an executemany) in a savepoint so a constraint
        violation leaves the outer transaction usable, and turns unique violations into
        DuplicateError."""
        try:
            conn = await self.conn.connection()
            async with conn.begin_nested():
                result = await conn.execute(statement, rows)
        except IntegrityError as error:
            if _is_unique_violation(error):
                raise DuplicateError(str(error.orig).splitlines()[0]) from None
            raise ValueError(f"Integrity error: {str(error.orig).splitlines()[0]}") from None
        return int(result.rowcount or 0)

    async def _ignore_duplicate(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Idempotent link inserts (role mappings, memberships)."""
        for row in rows:
            exists = await self.conn.execute(
                select(func.count())
                .select_from(table)
                .where(*[table.c[k] == v for k, v in row.items()])
            )
            if not exists.scalar_one():
                await self._write(insert(table).values(**row))

    async def _one(self, statement: Any) -> Row[Any] | None:
        return (await self.conn.execute(statement)).first()

    async def _all(self, statement: Any) -> Sequence[Row[Any]]:
        return (await self.conn.execute(statement)).all()


def settings_json(obj: Any, stored_columns: set[str]) -> str:
    """The dataclass fields not stored in their own column, as JSON."""
    values = {k: v for k, v in dataclasses.asdict(obj).items() if k not in stored_columns}
    return json.dumps(values)


def from_settings(cls: type[D], row: Row[Any], stored_columns: set[str]) -> D:
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {k: v for k, v in json.loads(row.settings).items() if k in known}
    values.update({c: getattr(row, c) for c in stored_columns})
    return cls(**values)
