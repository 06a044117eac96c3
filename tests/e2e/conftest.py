"""Real `ostium` processes on free loopback ports."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from keycloak import KeycloakAdmin
from playwright.sync_api import Browser, sync_playwright

from tests.postgres import fresh_database
from tests.support import realm_export

# The bootstrap administrator the e2e servers are started with (env of `start_server`).
ADMIN_ENV = {
    "OSTIUM_BOOTSTRAP_ADMIN_USERNAME": "admin",
    "OSTIUM_BOOTSTRAP_ADMIN_PASSWORD": "admin-pw",
}


def admin_headers(base_url: str) -> dict[str, str]:
    """A bearer header for the master realm's administrator (admin-cli, password grant)."""
    response = httpx.post(
        f"{base_url}/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": ADMIN_ENV["OSTIUM_BOOTSTRAP_ADMIN_USERNAME"],
            "password": ADMIN_ENV["OSTIUM_BOOTSTRAP_ADMIN_PASSWORD"],
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def process_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a server process. Bytecode caching stays on even where the
    shell turned it off: every `ostium` process would otherwise compile its imports
    afresh, seconds per start on a small machine."""
    env = {**os.environ, **(extra or {})}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def system_binary(name: str) -> str:
    """A program from Debian's packages (haproxy, nginx), which `.ci/run` installs: a
    missing one skips the test with the reason, and fails it under CI=true."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if path is None:
        message = f"{name} is not installed (apt-get install {name})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    base_url: str
    management_url: str
    data_dir: Path
    output: list[str]
    drain: threading.Thread | None = None

    def text(self) -> str:
        return "".join(self.output)

    def stop(self) -> str:
        """SIGTERM, as an orchestrator stops it; returns everything it printed."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.drain is not None:
            self.drain.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.text()


def _drain(process: subprocess.Popen[str], sink: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        sink.append(line)


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `ostium …` to completion (for commands that refuse to start)."""
    return subprocess.run(
        [sys.executable, "-m", "ostium", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=process_env(env),
        cwd=cwd,
        check=False,
    )


def start_server(
    data_dir: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
    management_port: int | None = None,
    relative_path: str = "",
    ready_path: str = "",
) -> RunningServer:
    """`port` reuses a previous server's port: the issuer URL, and so every token,
    depends on it; a load balancer also knows a node by its ports. `relative_path` (such
    as /auth) starts it with --http-relative-path, and the URLs below include it.
    `ready_path`: a path on the management port (with --health-enabled=true) that tells
    when the server is up, for a public port a plain request cannot reach."""
    port, management = port or free_port(), management_port or free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ostium",
            "start-dev",
            f"--http-port={port}",
            f"--http-management-port={management}",
            "--http-host=127.0.0.1",
            f"--data-dir={data_dir}",
            *([f"--http-relative-path={relative_path}"] if relative_path else []),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=process_env(env),
    )
    server = RunningServer(
        process,
        f"http://127.0.0.1:{port}{relative_path}",
        f"http://127.0.0.1:{management}{relative_path}",
        data_dir,
        [],
    )
    # Drain the output in the background so the server never blocks on a full pipe.
    server.drain = threading.Thread(target=_drain, args=(process, server.output), daemon=True)
    server.drain.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"ostium exited early:\n{server.stop()}")
        try:
            probe = (
                f"{server.management_url}{ready_path}"
                if ready_path
                else f"{server.base_url}/realms/master"
            )
            if httpx.get(probe, timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError(f"ostium did not start in time:\n{server.stop()}")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """A start-dev process with the test realm imported, on SQLite and on PostgreSQL: the
    client and admin suites must pass on both."""
    data_dir = tmp_path_factory.mktemp("data")
    (data_dir / "import").mkdir()
    (data_dir / "import" / "test-realm.json").write_text(json.dumps(realm_export()))
    with ExitStack() as stack:
        database: list[str] = []
        if request.param == "postgres":
            database = ["--db=postgres", f"--db-url={stack.enter_context(fresh_database())}"]
        running = start_server(
            data_dir,
            "--import-realm",
            "--health-enabled=true",
            "--metrics-enabled=true",
            *database,
            env=ADMIN_ENV,
        )
        yield running
        running.stop()


def keycloak_admin(server: RunningServer, realm: str) -> KeycloakAdmin:
    """python-keycloak's KeycloakAdmin for `realm`, signed in as the master administrator
    through `admin-cli`, as a Keycloak script signs in."""
    return KeycloakAdmin(
        server_url=server.base_url + "/",
        username=ADMIN_ENV["OSTIUM_BOOTSTRAP_ADMIN_USERNAME"],
        password=ADMIN_ENV["OSTIUM_BOOTSTRAP_ADMIN_PASSWORD"],
        realm_name=realm,
        user_realm_name="master",
        client_id="admin-cli",
    )


def client_credentials_claims(server: RunningServer, secret: str) -> dict[str, Any]:
    """The claims of a `client_credentials` token of the test realm's `app` client: what a
    service account gets after an import."""
    token = httpx.post(
        f"{server.base_url}/realms/test/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=("app", secret),
    )
    assert token.status_code == 200, token.text
    payload = token.json()["access_token"].split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def one_line(stderr: str) -> str:
    """What an operator reads when a command refuses: a single line, never a traceback."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@contextmanager
def running_proxy(
    command: list[str], logs: list[Path], probe: Callable[[], object], name: str
) -> Iterator[subprocess.Popen[bytes]]:
    """A proxy from Debian's packages (nginx, HAProxy, Apache) run in the foreground with
    its output in `logs[0]`, handed over once `probe` (a request through it) gets an answer,
    stopped afterwards. A proxy that exits or stays silent fails with its logs."""
    with logs[0].open("wb") as sink:
        process = subprocess.Popen(command, stderr=sink, stdout=sink)

    def output() -> str:
        return "".join(log.read_text(errors="replace") for log in logs if log.exists())

    try:
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, output()
            try:
                probe()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"{name} did not answer in time:\n{output()}"
                time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def nginx_with_servers(prefix: Path, server: str) -> str:
    """A whole nginx configuration around `server` (its `server { … }` blocks) for an
    unprivileged nginx run with `-p prefix`: pid, logs and temporary files under `prefix`."""
    temp = " ".join(
        f"{name}_temp_path {prefix / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    {temp}
{server}
}}
"""


# Flags for a closed network: no sandbox (root), no background calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, driven by Playwright through `executable_path` (no browser is
    downloaded); one per test module, each test in a context of its own."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=system_binary("chromium"), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
