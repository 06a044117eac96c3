"""Schema migrations at start-up, and the refusal of a database newer than the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["HEAD", "KNOWN_REVISIONS", "DatabaseNewerThanCodeError", "migrate"]

MIGRATIONS = Path(__file__).parent / "migrations"
# Kept as constants so an up-to-date database starts without importing Alembic at all;
# a test checks them against Alembic's script directory.
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005")
HEAD = KNOWN_REVISIONS[-1]


class DatabaseNewerThanCodeError(Exception):
    pass


def _current(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return str(row[0]) if row else None


def _upgrade(conn: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        current = await conn.run_sync(_current)
        if current == HEAD:
            return
        if current is not None and current not in KNOWN_REVISIONS:
            raise DatabaseNewerThanCodeError(
                f"The database schema (revision {current}) is newer than this Ostium "
                f"(revision {HEAD}): upgrade Ostium or restore a matching backup"
            )
        await conn.run_sync(_upgrade)


def alembic_head() -> Any:
    """Alembic's own idea of the head revision, for the test that guards HEAD."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()
