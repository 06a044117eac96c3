"""Ostium behind Debian's nginx terminating TLS with client certificates
(`--spi-x509cert-lookup-provider=nginx`): nginx passes on the certificate alone, URL-encoded
(`$ssl_client_escaped_cert`), and Ostium rebuilds its chain from `--truststore-paths`.

The client connects from 127.0.0.3, nginx reaches Ostium from 127.0.0.2 (`proxy_bind`), the
only trusted proxy.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ostium.protocol.mtls import thumbprint
from tests.e2e.conftest import (
    RunningServer,
    free_port,
    nginx_with_servers,
    running_proxy,
    system_binary,
)
from tests.e2e.mtls import PROXY, claims_of, client_credentials, mtls_client, start_mtls_ostium
from tests.x509_ca import Pki, issue, make_pki

pytestmark = pytest.mark.e2e

TOKEN = "/realms/master/protocol/openid-connect/token"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(datetime.now(UTC))


def _nginx_config(prefix: Path, port: int, upstream: str) -> str:
    server = f"""    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {prefix / "server.crt"};
        ssl_certificate_key {prefix / "server.key"};
        ssl_client_certificate {prefix / "ca.pem"};
        ssl_verify_client optional;
        ssl_verify_depth 2;
        location / {{
            proxy_pass {upstream};
            proxy_bind {PROXY};
            proxy_set_header ssl-client-cert $ssl_client_escaped_cert;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
"""
    return nginx_with_servers(prefix, server)


@pytest.fixture
def ostium(tmp_path: Path, pki: Pki) -> Iterator[RunningServer]:
    running = start_mtls_ostium(tmp_path, pki, "--spi-x509cert-lookup-provider=nginx")
    yield running
    running.stop()


@pytest.fixture
def nginx(tmp_path: Path, pki: Pki, ostium: RunningServer) -> Iterator[str]:
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    server = issue("localhost", pki.root, dns_names=("localhost",), now=datetime.now(UTC))
    (prefix / "server.crt").write_text(server.pem)
    (prefix / "server.key").write_text(server.key_pem)
    (prefix / "ca.pem").write_text(pki.root.pem)
    port = free_port()
    config = prefix / "nginx.conf"
    config.write_text(_nginx_config(prefix, port, ostium.base_url))
    binary = system_binary("nginx")
    command = [binary, "-p", str(prefix), "-c", str(config)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    base = f"https://localhost:{port}"

    def probe() -> None:
        with mtls_client(pki, None, tmp_path) as client:
            client.get(f"{base}/realms/master")

    with running_proxy([*command, "-g", "daemon off;"], [prefix / "stderr.log"], probe, "nginx"):
        yield base


def test_without_a_client_certificate_a_forged_header_is_overwritten(
    nginx: str, pki: Pki, tmp_path: Path
) -> None:
    with mtls_client(pki, None, tmp_path) as client:
        response = client.post(
            f"{nginx}{TOKEN}",
            data={"grant_type": "client_credentials", "client_id": "mtls-service"},
            headers={"ssl-client-cert": pki.client.pem.replace("\n", "%0A")},
        )
    assert response.status_code == 401, response.text


def test_through_nginx_the_certificate_authenticates_and_binds_the_token(
    nginx: str, pki: Pki, tmp_path: Path
) -> None:
    with mtls_client(pki, pki.client, tmp_path) as client:
        response = client_credentials(client, nginx)

    assert response.status_code == 200, response.text
    claims = claims_of(response.json()["access_token"])
    assert claims["cnf"] == {"x5t#S256": thumbprint(pki.client.cert)}


def test_another_subject_is_refused(nginx: str, pki: Pki, tmp_path: Path) -> None:
    someone = issue("someone-else", pki.intermediate, now=datetime.now(UTC))
    with mtls_client(pki, someone, tmp_path) as client:
        assert client_credentials(client, nginx).status_code == 401
