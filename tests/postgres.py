"""A fresh PostgreSQL database for a test run (OSTIUM_TEST_DB_URL, default the local server).

Unreachable: the test is skipped with the reason, except under CI=true, where that is a
failure — CI must never go green without having run against PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import asyncpg
import pytest
from sqlalchemy.engine import make_url

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    return os.environ.get("OSTIUM_TEST_DB_URL", DEFAULT_PG)


async def _admin(sql: str) -> None:
    url = make_url(admin_url())
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
        timeout=5,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _run(sql: str) -> None:
    """asyncpg in a thread of its own: callers may be inside a running event loop."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _admin(sql)).result()


@contextmanager
def fresh_database() -> Iterator[str]:
    """Yields a `postgresql://…` URL of a new database, dropped afterwards."""
    name = f"ostium_test_{uuid.uuid4().hex[:12]}"
    try:
        _run(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = f"PostgreSQL not reachable at {admin_url()}: {exc}; set OSTIUM_TEST_DB_URL"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield make_url(admin_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        _run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
