"""Ostium with `--proxy-protocol-enabled=true` behind Debian's HAProxy in TCP mode, which
sends the PROXY header (`send-proxy`, `send-proxy-v2`) before the client's bytes: the event
log names the client, never the balancer, and a connection without the header is closed.

On the HTTP listener the client's bytes are plain HTTP. On the HTTPS listener HAProxy passes
TLS through untouched (TCP mode, no `ssl` on the server line): the header comes in clear,
then the client's own handshake with Ostium, so a client certificate asked for with
`--https-client-auth=required` authenticates a `client-x509` client through the balancer.

Loopback addresses keep the parties apart: the clients connect from 127.0.0.3 (through the
v1 frontend) and 127.0.0.4 (through the v2 frontend), HAProxy reaches Ostium from 127.0.0.2.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ostium.protocol.mtls import thumbprint
from tests.e2e.conftest import (
    ADMIN_ENV,
    RunningServer,
    free_port,
    running_proxy,
    start_server,
    system_binary,
)
from tests.e2e.mtls import MTLS_SERVICE, claims_of, client_credentials, mtls_client
from tests.x509_ca import Pki, issue, make_pki

pytestmark = pytest.mark.e2e

BALANCER = "127.0.0.2"
CLIENT_V1 = "127.0.0.3"
CLIENT_V2 = "127.0.0.4"


def _client(address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(transport=transport, trust_env=False, timeout=5)


@contextmanager
def _haproxy(
    folder: Path, upstream: str, scheme: str, probe: Callable[[str], object]
) -> Iterator[dict[str, str]]:
    """HAProxy in TCP mode with two frontends on 127.0.0.1, `v1` (`send-proxy`) and `v2`
    (`send-proxy-v2`), both to `upstream` (host:port) from 127.0.0.2; yields their
    `scheme://` URLs once `probe(v1 URL)` gets an answer."""
    ports = {"v1": free_port(), "v2": free_port()}
    config = folder / "haproxy.cfg"
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
    urls = {version: f"{scheme}://127.0.0.1:{port}" for version, port in ports.items()}
    with running_proxy(
        [binary, "-db", "-f", str(config)],
        [folder / "haproxy.log"],
        lambda: probe(urls["v1"]),
        "haproxy",
    ):
        yield urls


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


# --- the HTTP listener --------------------------------------------------------------------


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
    def probe(url: str) -> None:
        with _client(CLIENT_V1) as client:
            client.get(f"{url}/realms/master")

    upstream = ostium.base_url.removeprefix("http://")
    with _haproxy(tmp_path_factory.mktemp("haproxy"), upstream, "http", probe) as urls:
        yield urls


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


# --- the HTTPS listener, TLS passed through -----------------------------------------------


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(datetime.now(UTC))


@pytest.fixture(scope="module")
def https_ostium(
    tmp_path_factory: pytest.TempPathFactory, pki: Pki
) -> Iterator[tuple[RunningServer, str]]:
    """Ostium on HTTPS with `--https-client-auth=required` and the PROXY protocol; its
    certificate names 127.0.0.1, where the clients reach HAProxy."""
    folder = tmp_path_factory.mktemp("https")
    server_cert = issue("ostium", pki.intermediate, ip_addresses=("127.0.0.1",))
    chain, key = folder / "server-chain.pem", folder / "server-key.pem"
    chain.write_text(server_cert.pem + pki.intermediate.pem)
    key.write_text(server_cert.key_pem)
    truststore = folder / "truststore"
    truststore.mkdir()
    (truststore / "root.pem").write_text(pki.root.pem)
    (truststore / "intermediate.pem").write_text(pki.intermediate.pem)
    (folder / "data").mkdir()
    port = free_port()
    running = start_server(
        folder / "data",
        "--proxy-protocol-enabled=true",
        f"--https-certificate-file={chain}",
        f"--https-certificate-key-file={key}",
        f"--https-port={port}",
        "--https-client-auth=required",
        f"--truststore-paths={truststore}",
        "--health-enabled=true",
        env=ADMIN_ENV,
        ready_path="/health/ready",
    )
    yield running, f"127.0.0.1:{port}"
    running.stop()


@pytest.fixture(scope="module")
def https_haproxy(
    tmp_path_factory: pytest.TempPathFactory, https_ostium: tuple[RunningServer, str], pki: Pki
) -> Iterator[dict[str, str]]:
    """HAProxy passing TLS through to Ostium's HTTPS port; `mtls-service` is created
    through it (the administrator's connection too must present a certificate)."""
    folder = tmp_path_factory.mktemp("https-haproxy")

    def probe(url: str) -> None:
        with mtls_client(pki, pki.client, folder) as client:
            client.get(f"{url}/realms/master")

    _, upstream = https_ostium
    with _haproxy(folder, upstream, "https", probe) as urls:
        with mtls_client(pki, pki.client, folder) as client:
            token = client.post(
                f"{urls['v1']}/realms/master/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": "admin-cli",
                    "username": ADMIN_ENV["OSTIUM_BOOTSTRAP_ADMIN_USERNAME"],
                    "password": ADMIN_ENV["OSTIUM_BOOTSTRAP_ADMIN_PASSWORD"],
                },
            )
            assert token.status_code == 200, token.text
            created = client.post(
                f"{urls['v1']}/admin/realms/master/clients",  # the token's issuer
                headers={"Authorization": f"Bearer {token.json()['access_token']}"},
                json=MTLS_SERVICE,
            )
            assert created.status_code == 201, created.text
        yield urls


def test_https_without_the_header_is_closed_before_the_handshake(
    https_ostium: tuple[RunningServer, str], pki: Pki, tmp_path: Path
) -> None:
    running, upstream = https_ostium
    with (
        mtls_client(pki, pki.client, tmp_path) as client,
        pytest.raises(httpx.TransportError),
    ):
        client.get(f"https://{upstream}/realms/master")
    _wait_for_line(running, "does not begin with a PROXY protocol header")


def test_https_through_haproxy_v1_and_v2_events_name_the_client(
    https_ostium: tuple[RunningServer, str], https_haproxy: dict[str, str], pki: Pki, tmp_path: Path
) -> None:
    running, _ = https_ostium
    with mtls_client(pki, pki.client, tmp_path, CLIENT_V1) as client:
        discovery = client.get(
            f"{https_haproxy['v1']}/realms/master/.well-known/openid-configuration"
        )
        assert discovery.status_code == 200
        # The request was https: the issuer Ostium builds from it says so.
        assert discovery.json()["issuer"] == f"{https_haproxy['v1']}/realms/master"
        _failed_login(client, https_haproxy["v1"])
    with mtls_client(pki, pki.client, tmp_path, CLIENT_V2) as client:
        _failed_login(client, https_haproxy["v2"])

    _wait_for_line(running, f"ip={CLIENT_V1}")
    _wait_for_line(running, f"ip={CLIENT_V2}")
    assert f"ip={BALANCER}" not in running.text()


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_https_the_client_certificate_passes_through_haproxy(
    https_haproxy: dict[str, str], pki: Pki, tmp_path: Path, version: str
) -> None:
    with mtls_client(pki, pki.client, tmp_path) as client:
        response = client_credentials(client, https_haproxy[version])

    assert response.status_code == 200, response.text
    assert claims_of(response.json()["access_token"])["cnf"] == {
        "x5t#S256": thumbprint(pki.client.cert)
    }


def test_https_required_refuses_a_handshake_without_a_certificate_through_haproxy(
    https_haproxy: dict[str, str], pki: Pki, tmp_path: Path
) -> None:
    with mtls_client(pki, None, tmp_path) as client, pytest.raises(httpx.TransportError):
        client.get(f"{https_haproxy['v2']}/realms/master")
