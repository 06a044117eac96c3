"""The SQL implementation of the storage interfaces."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ostium.storage.sql.migrate import DatabaseNewerThanCodeError, migrate
from ostium.storage.sql.storage import SqlStorage, configure_sqlite

__all__ = [
    "DatabaseNewerThanCodeError",
    "DatabaseUnavailableError",
    "SqlStorage",
    "open_storage",
]


class DatabaseUnavailableError(Exception):
    """The database cannot be reached or refuses the connection; the message is one line
    that names the option to fix, for the operator to read instead of a trace."""


async def open_storage(url: str, *, run_migrations: bool = True) -> SqlStorage:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _unavailable(parsed, exc) from None
        # One connection: SQLite has one writer anyway, and queueing in the pool is
        # cheaper and fairer than writers polling on a busy database file.
        engine = create_async_engine(url, pool_size=1, max_overflow=0)
        configure_sqlite(engine)
    else:
        engine = create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    storage = SqlStorage(engine)
    await _check_connection(engine, parsed)
    if run_migrations:
        try:
            await migrate(engine)
        except BaseException:
            await engine.dispose()
            raise
    return storage


async def _check_connection(engine: AsyncEngine, url: URL) -> None:
    """Connects once before migrating, so that a refused connection reads as one line
    naming what to fix, and a failing migration is never mistaken for one."""
    try:
        async with engine.connect():
            pass
    except (DBAPIError, OSError) as exc:
        await engine.dispose()
        raise _unavailable(url, exc) from None


# PostgreSQL's SQLSTATEs for a refused connection (PostgreSQL: Appendix A, class 28 and 3D).
_ADVICE = {
    "28P01": "check --db-password (or the password in --db-url)",
    "28000": "check --db-username (or the user in --db-url) and the server's pg_hba.conf",
    "3D000": "create the database, or fix its name in --db-url",
}


def _unavailable(url: URL, exc: BaseException) -> DatabaseUnavailableError:
    if url.get_backend_name() == "sqlite":
        cause = exc.orig if isinstance(exc, DBAPIError) else exc
        return DatabaseUnavailableError(
            f"Cannot open the SQLite database '{url.database}': {cause}:"
            " check that its directory (--data-dir) exists and is writable"
        )
    where = f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}"
    if isinstance(exc, DBAPIError):
        # asyncpg's own error, under SQLAlchemy's wrapper, has the server's message alone.
        cause = exc.orig.__cause__ if exc.orig is not None else None
        message = getattr(cause, "message", None) or str(exc.orig)
        advice = _ADVICE.get(str(getattr(exc.orig, "sqlstate", "")), "check --db-url")
        return DatabaseUnavailableError(f"Cannot connect to {where}: {message}: {advice}")
    if isinstance(exc, ConnectionRefusedError):
        reason = "connection refused"  # asyncpg's own text lists every address it tried
    elif isinstance(exc, TimeoutError):
        reason = "no answer in time"
    else:
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    return DatabaseUnavailableError(
        f"Cannot connect to {where}: {reason}:"
        " is the server running, and are the host and port in --db-url right?"
    )
