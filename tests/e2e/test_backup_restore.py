"""Seed 000, the Argo Workflows case: SSO breaks with 401 "token not valid" after the
identity server's database is restored. In Ostium keys and client secrets live in the
database, so restoring a backup brings back exactly what the tokens and the clients
were issued against; and a backup that lacks the keys fails saying so ("unknown kid").
Both SQLite (online backup API) and PostgreSQL (pg_dump / pg_restore)."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ADMIN_ENV, RunningServer, admin_headers, start_server, system_binary
from tests.postgres import fresh_database
from tests.support import CALLBACK, SECRET, form_of, realm_export

pytestmark = pytest.mark.e2e


@dataclass
class Database:
    """How one engine is backed up, damaged and restored, and the server options for it."""

    options: list[str]
    backup: Callable[[Path], None]
    restore: Callable[[Path], None]
    drop_keys: Callable[[Path], None]  # make a backup that lacks the realm's keys


@contextmanager
def sqlite_database(data_dir: Path) -> Iterator[Database]:
    db = data_dir / "ostium.db"

    def backup(to: Path) -> None:
        # SQLite's online backup: a consistent copy while the server runs.
        with closing(sqlite3.connect(db)) as source, closing(sqlite3.connect(to)) as target:
            source.backup(target)

    def restore(source: Path) -> None:
        for leftover in data_dir.glob("ostium.db-*"):
            leftover.unlink()
        shutil.copyfile(source, db)

    def drop_keys(path: Path) -> None:
        # Closed, not just committed: the backup is in WAL mode and the file copied by
        # `restore` must hold the change.
        with closing(sqlite3.connect(path)) as conn, conn:
            conn.execute("DELETE FROM realm_keys")

    yield Database([], backup, restore, drop_keys)


@contextmanager
def postgres_database() -> Iterator[Database]:
    pg_dump, pg_restore, psql = (system_binary(n) for n in ("pg_dump", "pg_restore", "psql"))
    with fresh_database() as url:

        def backup(to: Path) -> None:
            subprocess.run([pg_dump, "--format=custom", f"--file={to}", url], check=True)

        def restore(source: Path) -> None:
            subprocess.run(
                [
                    pg_restore,
                    "--clean",
                    "--if-exists",
                    "--single-transaction",
                    f"--dbname={url}",
                    str(source),
                ],
                check=True,
            )

        def drop_keys(path: Path) -> None:
            # Restore into the live database, delete the keys, dump again: a backup
            # taken by someone who excluded the keys table.
            restore(path)
            subprocess.run([psql, url, "-qc", "DELETE FROM realm_keys"], check=True)
            backup(path)

        yield Database(["--db=postgres", f"--db-url={url}"], backup, restore, drop_keys)


class Rp:
    """A confidential client with its users' tokens and a browser's SSO cookies."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.browser = httpx.Client(base_url=server.base_url)

    def close(self) -> None:
        self.browser.close()

    @property
    def oidc(self) -> str:
        return f"{self.server.base_url}/realms/test/protocol/openid-connect"

    def browser_login(self) -> None:
        page = self.browser.get(
            f"{self.oidc}/auth",
            params={
                "client_id": "app",
                "response_type": "code",
                "redirect_uri": CALLBACK,
                "scope": "openid",
            },
        )
        action, hidden = form_of(page.text)
        done = self.browser.post(
            action, data={**hidden, "username": "alice", "password": "wonderland"}
        )
        assert done.status_code == 302, done.text

    def sso(self) -> httpx.Response:
        return self.browser.get(
            f"{self.oidc}/auth",
            params={
                "client_id": "app",
                "response_type": "code",
                "redirect_uri": CALLBACK,
                "prompt": "none",
            },
        )

    def tokens(self, secret: str = SECRET) -> httpx.Response:
        return httpx.post(
            f"{self.oidc}/token",
            data={
                "grant_type": "password",
                "username": "alice",
                "password": "wonderland",
                "scope": "openid",
            },
            auth=("app", secret),
        )

    def introspect(self, token: str, secret: str = SECRET) -> dict[str, Any]:
        return dict(
            httpx.post(
                f"{self.oidc}/token/introspect", data={"token": token}, auth=("app", secret)
            ).json()
        )

    def userinfo(self, token: str) -> httpx.Response:
        return httpx.get(f"{self.oidc}/userinfo", headers={"Authorization": f"Bearer {token}"})


def rotate_everything(server: RunningServer) -> str:
    """What broke the seed's SSO: new keys (the old ones gone at once) and a new secret."""
    headers = admin_headers(server.base_url)
    base = f"{server.base_url}/admin/realms/test"
    for algorithm in ("RS256", "HS512"):
        rotated = httpx.post(
            f"{base}/keys/rotate", json={"algorithm": algorithm, "gracePeriod": 0}, headers=headers
        )
        assert rotated.status_code == 201, rotated.text
    app = httpx.get(f"{base}/clients", params={"clientId": "app"}, headers=headers).json()[0]
    secret = httpx.post(f"{base}/clients/{app['id']}/client-secret", headers=headers)
    return str(secret.json()["value"])


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_restored_backup_brings_back_keys_secrets_and_sessions(
    engine: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "import").mkdir(parents=True)
    (data_dir / "import" / "test-realm.json").write_text(json.dumps(realm_export()))
    database = sqlite_database(data_dir) if engine == "sqlite" else postgres_database()
    with database as db:
        server = start_server(data_dir, "--import-realm", *db.options, env=ADMIN_ENV)
        port = int(server.base_url.rsplit(":", 1)[1])
        rp = Rp(server)
        try:
            rp.browser_login()
            before = rp.tokens().json()
            backup = tmp_path / "backup.db"
            db.backup(backup)

            new_secret = rotate_everything(server)
            assert rp.tokens().status_code == 401  # the old secret no longer works
            broken = rp.introspect(before["access_token"], new_secret)
            assert broken["active"] is False  # what the seed's users saw
        finally:
            server.stop()

        db.restore(backup)
        server = start_server(data_dir, *db.options, port=port)
        rp.server = server
        try:
            assert rp.introspect(before["access_token"])["active"] is True
            assert rp.userinfo(before["access_token"]).status_code == 200
            refreshed = httpx.post(
                f"{rp.oidc}/token",
                data={"grant_type": "refresh_token", "refresh_token": before["refresh_token"]},
                auth=("app", SECRET),
            )
            assert refreshed.status_code == 200, refreshed.text
            sso = rp.sso()
            assert sso.status_code == 302 and "code=" in sso.headers["location"]
            assert rp.tokens().status_code == 200  # the restored secret, no manual step
        finally:
            server.stop()

        # A backup without the keys: the server makes new ones, and old tokens fail
        # saying which key is missing instead of a bare "token not valid".
        db.drop_keys(backup)
        db.restore(backup)
        server = start_server(data_dir, *db.options, port=port)
        rp.server = server
        try:
            kid = json.loads(_segment(before["access_token"], 0))["kid"]
            verdict = rp.introspect(before["access_token"])
            assert verdict["active"] is False
            assert f"unknown kid '{kid}" in verdict["error_description"]
            challenge = rp.userinfo(before["access_token"]).headers["www-authenticate"]
            assert "unknown kid" in challenge
            assert rp.tokens().status_code == 200  # new logins work with the new keys
        finally:
            server.stop()
            rp.close()


def _segment(token: str, index: int) -> str:
    part = token.split(".")[index]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()
