"""One server per SQLite data directory, with real `ostium` processes: a second server is
refused naming the first one's PID, a killed server's lock file blocks no restart, and
each offline command beside a live server either reads a snapshot or refuses naming it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import (
    ADMIN_ENV,
    RunningServer,
    admin_headers,
    free_port,
    one_line,
    run_cli,
    start_server,
)
from tests.support import SECRET, realm_export

pytestmark = pytest.mark.e2e


def _port(server: RunningServer) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def test_a_second_server_on_the_same_data_directory_is_refused(tmp_path: Path) -> None:
    first = start_server(tmp_path, env=ADMIN_ENV)
    try:
        second = run_cli(
            "start-dev",
            f"--data-dir={tmp_path}",
            "--http-host=127.0.0.1",
            f"--http-port={free_port()}",
            f"--http-management-port={free_port()}",
        )
        assert second.returncode == 1
        line = one_line(second.stderr)
        assert f"'{tmp_path}'" in line and f"PID {first.process.pid}" in line, line
        assert "--data-dir" in line
        # The first server goes on answering, its writes undisturbed.
        assert httpx.get(f"{first.base_url}/realms/master").status_code == 200
        realms = httpx.get(f"{first.base_url}/admin/realms", headers=admin_headers(first.base_url))
        assert realms.status_code == 200
    finally:
        first.stop()


def test_a_server_killed_with_sigkill_blocks_no_restart(tmp_path: Path) -> None:
    first = start_server(tmp_path)
    first.process.kill()  # SIGKILL: no clean-up runs, the lock file stays behind
    first.process.wait()
    first.stop()
    lock_file = tmp_path / "ostium.lock"
    assert lock_file.read_text().strip() == str(first.process.pid)
    again = start_server(tmp_path, port=_port(first))
    try:
        assert httpx.get(f"{again.base_url}/realms/master").status_code == 200
        assert lock_file.read_text().strip() == str(again.process.pid)
    finally:
        again.stop()
    # Stopped cleanly, it leaves no PID that could name an unrelated process later.
    assert lock_file.read_text() == ""


# --- offline commands beside a live server ----------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("live")
    (data_dir / "import").mkdir()
    (data_dir / "import" / "test-realm.json").write_text(json.dumps(realm_export()))
    server = start_server(data_dir, "--import-realm", env=ADMIN_ENV)
    yield server
    server.stop()


def _refused_naming(
    result: subprocess.CompletedProcess[str], server: RunningServer, advice: str
) -> None:
    assert result.returncode == 1, result
    line = one_line(result.stderr)
    assert f"'{server.data_dir}'" in line and f"PID {server.process.pid}" in line, line
    assert advice in line, line


def test_import_beside_a_live_server_is_refused_and_changes_nothing(
    live: RunningServer, tmp_path: Path
) -> None:
    """An overriding import would replace the realm under the server's caches."""
    headers = admin_headers(live.base_url)
    users = f"{live.base_url}/admin/realms/test/users"
    created = httpx.post(users, headers=headers, json={"username": "kept", "enabled": True})
    assert created.status_code == 201, created.text
    realm_file = tmp_path / "test-realm.json"
    realm_file.write_text(json.dumps(realm_export()))
    result = run_cli(
        "import", "--file", str(realm_file), "--override", "true", f"--data-dir={live.data_dir}"
    )
    _refused_naming(result, live, "admin API")
    found = httpx.get(users, headers=headers, params={"username": "kept", "exact": "true"})
    assert [user["username"] for user in found.json()] == ["kept"]


def test_keys_rotate_beside_a_live_server_is_refused(live: RunningServer) -> None:
    certs = f"{live.base_url}/realms/test/protocol/openid-connect/certs"
    before = httpx.get(certs).json()
    result = run_cli("keys", "rotate", "--realm", "test", f"--data-dir={live.data_dir}")
    _refused_naming(result, live, "POST /admin/realms/test/keys/rotate")
    assert httpx.get(certs).json() == before


def test_regenerate_secret_beside_a_live_server_is_refused(live: RunningServer) -> None:
    result = run_cli(
        "clients",
        "regenerate-secret",
        "--realm",
        "test",
        "--client",
        "app",
        f"--data-dir={live.data_dir}",
    )
    _refused_naming(result, live, "/admin/realms/test/clients/")
    token = httpx.post(
        f"{live.base_url}/realms/test/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=("app", SECRET),
    )
    assert token.status_code == 200, token.text


def test_token_inspect_reads_beside_a_live_server(live: RunningServer) -> None:
    token = httpx.post(
        f"{live.base_url}/realms/test/protocol/openid-connect/token",
        data={"grant_type": "password", "username": "alice", "password": "wonderland"},
        auth=("app", SECRET),
    )
    assert token.status_code == 200, token.text
    result = run_cli(
        "token", "inspect", token.json()["access_token"], f"--data-dir={live.data_dir}"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "valid"


def test_export_reads_beside_a_live_server_while_it_writes(
    live: RunningServer, tmp_path: Path
) -> None:
    """The server keeps writing (users through the admin API) while exports read: WAL lets
    a reader and the writer go on together, and the busy timeout covers checkpoints, so
    neither side sees 'database is locked'."""
    with sqlite3.connect(live.data_dir / "ostium.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    headers = admin_headers(live.base_url)
    statuses: list[int] = []

    def write_users() -> None:
        with httpx.Client(base_url=live.base_url, headers=headers, timeout=30) as client:
            for index in range(40):
                created = client.post(
                    "/admin/realms/test/users", json={"username": f"busy-{index}", "enabled": True}
                )
                statuses.append(created.status_code)

    writer = threading.Thread(target=write_users)
    writer.start()
    exports = []
    try:
        while writer.is_alive() or not exports:
            out = tmp_path / f"export-{len(exports)}.json"
            exports.append(
                run_cli(
                    "export",
                    "--realm",
                    "test",
                    "--file",
                    str(out),
                    f"--data-dir={live.data_dir}",
                )
            )
    finally:
        writer.join()
    assert statuses == [201] * 40
    assert all(result.returncode == 0 for result in exports), [r.stderr for r in exports]
    final = tmp_path / "final.json"
    result = run_cli(
        "export", "--realm", "test", "--file", str(final), f"--data-dir={live.data_dir}"
    )
    assert result.returncode == 0, result.stderr
    usernames = {user["username"] for user in json.loads(final.read_text())["users"]}
    assert {f"busy-{index}" for index in range(40)} <= usernames


def test_each_offline_command_says_whether_it_runs_beside_a_live_server() -> None:
    says = {
        ("export", "--help"): "may run beside a live server",
        ("token", "inspect", "--help"): "may run beside a live server",
        ("import", "--help"): "refuses while one runs",
        ("keys", "rotate", "--help"): "this refuses",
        ("clients", "regenerate-secret", "--help"): "this refuses",
    }
    for command, text in says.items():
        result = run_cli(*command)
        assert result.returncode == 0, result
        assert text in " ".join(result.stdout.split()), (command, result.stdout)
