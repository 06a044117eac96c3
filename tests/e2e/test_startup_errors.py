"""Errors a newcomer meets at start-up, with real `ostium` processes: each is one line that
says what to change, never a traceback; a start refused for a port or for Redis leaves a
fresh data directory as empty as it found it."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.conftest import free_port, one_line, run_cli, start_server
from tests.postgres import admin_url
from tests.postgres_server import PasswordPostgres, password_postgres

pytestmark = pytest.mark.e2e


def refused_start(data_dir: Path, *options: str) -> str:
    result = run_cli("start-dev", f"--data-dir={data_dir}", "--http-host=127.0.0.1", *options)
    assert result.returncode == 1, result
    return one_line(result.stderr)


@contextmanager
def taken_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    return directory


# --- ports ------------------------------------------------------------------------------------


def test_http_port_in_use_is_refused_before_anything_is_written(fresh: Path) -> None:
    with taken_port() as port:
        line = refused_start(fresh, f"--http-port={port}", f"--http-management-port={free_port()}")
    assert f"Port {port}" in line and "already in use" in line and "--http-port" in line, line
    assert list(fresh.iterdir()) == []


def test_management_port_in_use_is_refused_before_anything_is_written(fresh: Path) -> None:
    with taken_port() as port:
        line = refused_start(
            fresh,
            "--health-enabled=true",
            f"--http-port={free_port()}",
            f"--http-management-port={port}",
        )
    assert f"Port {port}" in line and "--http-management-port" in line, line
    assert list(fresh.iterdir()) == []
    same = free_port()
    line = refused_start(
        fresh, "--metrics-enabled=true", f"--http-port={same}", f"--http-management-port={same}"
    )
    assert "--http-port and --http-management-port are both" in line, line
    assert list(fresh.iterdir()) == []


# --- Redis ------------------------------------------------------------------------------------


def test_redis_unreachable_is_refused_before_anything_is_written(fresh: Path) -> None:
    nobody = free_port()  # bound and closed again: nothing listens there
    line = refused_start(
        fresh,
        f"--http-port={free_port()}",
        "--cache=redis",
        "--cache-remote-host=127.0.0.1",
        f"--cache-remote-port={nobody}",
    )
    assert f"Redis cache at 127.0.0.1:{nobody}" in line and "--cache-remote-port" in line, line
    assert list(fresh.iterdir()) == []


# --- PostgreSQL -------------------------------------------------------------------------------


def _shared_server_url(user: str, database: str) -> str:
    url = make_url(admin_url())
    return f"postgresql://{user}@{url.host}:{url.port or 5432}/{database}"


@pytest.mark.postgres
def test_postgres_unknown_role_is_one_line(fresh: Path) -> None:
    role = f"ostium_nobody_{uuid.uuid4().hex[:8]}"
    database = ["--db=postgres", f"--db-url={_shared_server_url(role, 'postgres')}"]
    line = refused_start(fresh, f"--http-port={free_port()}", *database)
    assert f'role "{role}" does not exist' in line and "--db-username" in line, line
    # The offline commands meet the same database the same way.
    export = run_cli("export", "--realm", "master", "--file", str(fresh / "x.json"), *database)
    assert export.returncode == 2
    assert f'role "{role}" does not exist' in one_line(export.stderr)


@pytest.mark.postgres
def test_postgres_missing_database_is_one_line(fresh: Path) -> None:
    name = f"ostium_missing_{uuid.uuid4().hex[:8]}"
    url = _shared_server_url(make_url(admin_url()).username or "postgres", name)
    line = refused_start(fresh, f"--http-port={free_port()}", "--db=postgres", f"--db-url={url}")
    assert f'database "{name}" does not exist' in line and "--db-url" in line, line


@pytest.mark.postgres
def test_postgres_unreachable_is_one_line(fresh: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    line = refused_start(fresh, f"--http-port={free_port()}", "--db=postgres", f"--db-url={url}")
    assert "connection refused" in line and "--db-url" in line, line


async def _create_role(server: PasswordPostgres, role: str, password: str) -> None:
    conn = await asyncpg.connect(server.url("postgres", server.superuser_password), timeout=10)
    try:
        await conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        await conn.execute(f"CREATE DATABASE {role} OWNER {role}")
    finally:
        await conn.close()


def test_postgres_wrong_password_is_one_line_and_the_right_one_starts(tmp_path: Path) -> None:
    """On a private server that asks for passwords: the shared one trusts local
    connections, where any password is let in."""
    with password_postgres() as server:
        asyncio.run(_create_role(server, "ostium_app", "right-pw"))
        wrong = server.url("ostium_app", "wrong-pw", "ostium_app")
        line = refused_start(
            tmp_path / "wrong", f"--http-port={free_port()}", "--db=postgres", f"--db-url={wrong}"
        )
        assert 'password authentication failed for user "ostium_app"' in line, line
        assert "--db-password" in line and "wrong-pw" not in line
        # The same role with its password starts: the refusal was the password's alone.
        right = server.url("ostium_app", "right-pw", "ostium_app")
        running = start_server(tmp_path / "right", "--db=postgres", f"--db-url={right}")
        try:
            assert httpx.get(f"{running.base_url}/realms/master").status_code == 200
        finally:
            running.stop()
