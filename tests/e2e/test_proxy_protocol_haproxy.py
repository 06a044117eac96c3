"""Ostium with `--proxy-protocol-enabled=true` behind Debian's HAProxy in TCP mode, which
sends the PROXY header (`send-proxy`, `send-proxy-v2`) before the client's bytes: the event
log names the client, never the balancer, and a connection without the header is closed.

Loopback addresses keep the parties apart: the clients connect from 127.0.0.3 (through the
v1 frontend) and 127.0.0.4 (through the v2 frontend), HAProxy reaches Ostium from 127.0.0.2.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import RunningServer, free_port, start_server, system_binary

pytestmark = pytest.mark.e2e

BALANCER = "127.0.0.2"
CLIENT_V1 = "127.0.0.3"
CLIENT_V2 = "127.0.0.4"


def _client(address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(transport=transport, trust_env=False, timeout=5)


@pytest.fixture(scope="module")
def ostium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path_factory.mktemp("data"),
        "--proxy-protocol-enabled=true",
        "--health-enabled=true",
        ready_path="/health/ready",
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def haproxy(
    tmp_path_factory: pytest.TempPathFactory, ostium: RunningServer
) -> Iterator[dict[str, str]]:
    directory = tmp_path_factory.mktemp("haproxy")
    upstream = ostium.base_url.removeprefix("http://")
    ports = {"v1": free_port(), "v2": free_port()}
    config = directory / "haproxy.cfg"
    config.write_text(
        f"""
global
    maxconn 64
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend v1
    bind 127.0.0.1:{ports["v1"]}
    default_backend ostium_v1
frontend v2
    bind 127.0.0.1:{ports["v2"]}
    default_backend ostium_v2
backend ostium_v1
    source {BALANCER}
    server node {upstream} send-proxy
backend ostium_v2
    source {BALANCER}
    server node {upstream} send-proxy-v2
"""
    )
    binary = system_binary("haproxy")
    checked = subprocess.run(
        [binary, "-c", "-f", str(config)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    process = subprocess.Popen(
        [binary, "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    urls = {version: f"http://127.0.0.1:{port}" for version, port in ports.items()}
    try:
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, "haproxy exited"
            try:
                with _client(CLIENT_V1) as client:
                    client.get(f"{urls['v1']}/realms/master")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "haproxy did not answer in time"
                time.sleep(0.05)
        yield urls
    finally:
        process.terminate()
        process.wait(timeout=10)


def _failed_login(client: httpx.Client, base: str) -> None:
    response = client.post(
        f"{base}/realms/master/protocol/openid-connect/token",
        data={"grant_type": "password", "client_id": "admin-cli", "username": "x", "password": "y"},
    )
    assert response.status_code == 401, response.text


def _wait_for_line(server: RunningServer, text: str) -> None:
    deadline = time.monotonic() + 10
    while text not in server.text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert text in server.text(), server.text()


def test_a_connection_without_the_header_is_closed(ostium: RunningServer) -> None:
    with _client(CLIENT_V1) as client, pytest.raises(httpx.TransportError):
        client.get(f"{ostium.base_url}/realms/master")
    _wait_for_line(ostium, "does not begin with a PROXY protocol header")


def test_through_haproxy_v1_and_v2_events_name_the_client(
    ostium: RunningServer, haproxy: dict[str, str]
) -> None:
    with _client(CLIENT_V1) as client:
        discovery = client.get(f"{haproxy['v1']}/realms/master/.well-known/openid-configuration")
        assert discovery.status_code == 200
        _failed_login(client, haproxy["v1"])
    with _client(CLIENT_V2) as client:
        _failed_login(client, haproxy["v2"])

    _wait_for_line(ostium, f"ip={CLIENT_V1}")
    _wait_for_line(ostium, f"ip={CLIENT_V2}")
    assert f"ip={BALANCER}" not in ostium.text()
