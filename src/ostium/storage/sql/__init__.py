"""The SQL implementation of the storage interfaces."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from ostium.storage.sql.migrate import DatabaseNewerThanCodeError, migrate
from ostium.storage.sql.storage import SqlStorage, configure_sqlite

__all__ = ["DatabaseNewerThanCodeError", "SqlStorage", "open_storage"]


async def open_storage(url: str, *, run_migrations: bool = True) -> SqlStorage:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection: SQLite has one writer anyway, and queueing in the pool is
        # cheaper and fairer than writers polling on a busy database file.
        engine = create_async_engine(url, pool_size=1, max_overflow=0)
        configure_sqlite(engine)
    else:
        engine = create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    storage = SqlStorage(engine)
    if run_migrations:
        try:
            await migrate(engine)
        except BaseException:
            await engine.dispose()
            raise
    return storage
