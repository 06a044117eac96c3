"""`Storage` on SQLAlchemy's async engine: SQLite (aiosqlite) or PostgreSQL (asyncpg)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from ostium.storage.sql.connection import LazyConnection
from ostium.storage.sql.repositories.clients import SqlClientRepository, SqlClientScopeRepository
from ostium.storage.sql.repositories.consents import SqlConsentRepository
from ostium.storage.sql.repositories.keys import SqlKeyRepository
from ostium.storage.sql.repositories.realms import SqlRealmRepository
from ostium.storage.sql.repositories.roles_groups import SqlGroupRepository, SqlRoleRepository
from ostium.storage.sql.repositories.sessions import SqlUserSessionRepository
from ostium.storage.sql.repositories.tokens import SqlCodeRepository, SqlRevokedTokenRepository
from ostium.storage.sql.repositories.users import SqlCredentialRepository, SqlUserRepository

__all__ = ["SqlRepositories", "SqlStorage", "configure_sqlite"]


class SqlRepositories:
    """All repositories bound to one connection, hence to one transaction."""

    def __init__(self, conn: LazyConnection) -> None:
        self._conn = conn
        self.realms = SqlRealmRepository(conn)
        self.clients = SqlClientRepository(conn)
        self.client_scopes = SqlClientScopeRepository(conn)
        self.users = SqlUserRepository(conn)
        self.credentials = SqlCredentialRepository(conn)
        self.roles = SqlRoleRepository(conn)
        self.groups = SqlGroupRepository(conn)
        self.keys = SqlKeyRepository(conn)
        self.sessions = SqlUserSessionRepository(conn)
        self.codes = SqlCodeRepository(conn)
        self.revoked_tokens = SqlRevokedTokenRepository(conn)
        self.consents = SqlConsentRepository(conn)

    async def release_reads(self) -> None:
        await self._conn.release_reads()


def configure_sqlite(engine: AsyncEngine) -> None:
    """Foreign keys on (SQLite has them off by default), WAL for concurrent readers, and
    a busy timeout so a writer waits for another instead of failing."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin (savepoints
        # need it), per SQLAlchemy's pysqlite/aiosqlite recipe.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


class SqlStorage:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlRepositories]:
        async with AsyncExitStack() as stack:
            yield SqlRepositories(LazyConnection(self.engine, stack))

    async def ping(self) -> None:
        """Keycloak's hybrid readiness check: a connection in use by a request proves the
        database answers; only an idle pool is probed. Probing through a busy pool would
        queue behind every request holding a connection (SQLite has one), and a burst of
        logins would make a healthy node look dead to its load balancer."""
        if self.engine.pool.checkedout() > 0:  # type: ignore[attr-defined]
            return
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()
