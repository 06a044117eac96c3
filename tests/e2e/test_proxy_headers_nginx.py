"""Ostium behind Debian's nginx with `--proxy-headers=xforwarded`: the issuer is the one the
browser typed, the event log names the browser's address, and the same headers sent straight
to Ostium from an address outside `--proxy-trusted-addresses` change nothing.

Three loopback addresses keep the parties apart: the browser connects from 127.0.0.3, nginx
reaches Ostium from 127.0.0.2 (`proxy_bind`), the only trusted proxy.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import (
    RunningServer,
    free_port,
    nginx_with_servers,
    running_proxy,
    start_server,
    system_binary,
)

pytestmark = pytest.mark.e2e

BROWSER = "127.0.0.3"
PROXY = "127.0.0.2"
PUBLIC_HOST = "id.example.test"


def _nginx_config(prefix: Path, port: int, upstream: str) -> str:
    server = f"""    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass {upstream};
            proxy_bind {PROXY};
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-Port $server_port;
        }}
    }}
"""
    return nginx_with_servers(prefix, server)


def _browser() -> httpx.Client:
    # trust_env=False: a developer's HTTP_PROXY must not sit between us and loopback.
    transport = httpx.HTTPTransport(local_address=BROWSER)
    return httpx.Client(transport=transport, trust_env=False, timeout=5)


@pytest.fixture
def ostium(tmp_path: Path) -> Iterator[RunningServer]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    running = start_server(
        data_dir, "--proxy-headers=xforwarded", f"--proxy-trusted-addresses={PROXY}"
    )
    yield running
    running.stop()


@pytest.fixture
def nginx(tmp_path: Path, ostium: RunningServer) -> Iterator[str]:
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    port = free_port()
    config = prefix / "nginx.conf"
    config.write_text(_nginx_config(prefix, port, ostium.base_url))
    binary = system_binary("nginx")
    command = [binary, "-p", str(prefix), "-c", str(config)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    base = f"http://127.0.0.1:{port}"

    def probe() -> None:
        with _browser() as browser:
            browser.get(f"{base}/realms/master")

    with running_proxy([*command, "-g", "daemon off;"], [prefix / "stderr.log"], probe, "nginx"):
        yield base


def _issuer(client: httpx.Client, url: str, **headers: str) -> str:
    response = client.get(f"{url}/realms/master/.well-known/openid-configuration", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["issuer"])


def _wait_for_line(server: RunningServer, text: str) -> None:
    """The event's log line reaches the output pipe asynchronously."""
    deadline = time.monotonic() + 10
    while text not in server.text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert text in server.text(), server.text()


def test_headers_sent_straight_to_ostium_are_ignored(ostium: RunningServer) -> None:
    forged = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example.com",
        "X-Forwarded-For": "198.51.100.66",
    }
    with _browser() as browser:
        assert _issuer(browser, ostium.base_url, **forged) == f"{ostium.base_url}/realms/master"
        failed = browser.post(
            f"{ostium.base_url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": "nobody",
                "password": "x",
            },
            headers=forged,
        )
    assert failed.status_code == 401
    _wait_for_line(ostium, f"ip={BROWSER}")
    assert "198.51.100.66" not in ostium.text()


def test_through_nginx_the_issuer_and_client_address_are_the_browsers(
    ostium: RunningServer, nginx: str
) -> None:
    port = nginx.rsplit(":", 1)[1]
    with _browser() as browser:
        issuer = _issuer(browser, nginx, Host=f"{PUBLIC_HOST}:{port}")
        failed = browser.post(
            f"{nginx}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": "nobody",
                "password": "x",
            },
            headers={"Host": f"{PUBLIC_HOST}:{port}"},
        )
    assert issuer == f"http://{PUBLIC_HOST}:{port}/realms/master"
    assert failed.status_code == 401
    _wait_for_line(ostium, f"ip={BROWSER}")
    assert f"ip={PROXY}" not in ostium.text()
