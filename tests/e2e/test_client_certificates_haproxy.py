"""Ostium behind Debian's HAProxy terminating TLS with client certificates: HAProxy verifies
the certificate against the test CA and passes it on as `SSL_CLIENT_CERT`
(`%[ssl_c_der,base64]`); Ostium (`--spi-x509cert-lookup-provider=haproxy`) checks it again
against `--truststore-paths`, authenticates a `client-x509` client with it (`tls_client_auth`)
and binds the token to it (`cnf.x5t#S256`). The same header sent straight to Ostium from an
address outside `--proxy-trusted-addresses` authenticates nobody.

Loopback addresses keep the parties apart: the client connects from 127.0.0.3, HAProxy
reaches Ostium from 127.0.0.2 (`source`), the only trusted proxy.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ostium.protocol.mtls import thumbprint
from tests.e2e.conftest import RunningServer, free_port, running_proxy, system_binary
from tests.e2e.mtls import (
    CLIENT,
    PROXY,
    claims_of,
    client_credentials,
    mtls_client,
    start_mtls_ostium,
)
from tests.x509_ca import Pki, issue, make_pki

pytestmark = pytest.mark.e2e

TOKEN = "/realms/master/protocol/openid-connect/token"
USERINFO = "/realms/master/protocol/openid-connect/userinfo"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(datetime.now(UTC))


def _haproxy_config(folder: Path, port: int, upstream_port: int) -> str:
    return f"""
global
    maxconn 64
defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend public
    bind 127.0.0.1:{port} ssl crt {folder / "server.pem"} ca-file {folder / "ca.pem"} verify optional
    # Whatever the client sent under these names is its own word: drop it, then set ours.
    http-request del-header SSL_CLIENT_CERT
    http-request set-header SSL_CLIENT_CERT %[ssl_c_der,base64] if {{ ssl_c_used ssl_c_verify 0 }}
    http-request set-header X-Forwarded-Proto https
    http-request set-header X-Forwarded-For %[src]
    default_backend ostium
backend ostium
    source {PROXY}
    server ostium 127.0.0.1:{upstream_port}
"""


@pytest.fixture
def ostium(tmp_path: Path, pki: Pki) -> Iterator[RunningServer]:
    running = start_mtls_ostium(tmp_path, pki, "--spi-x509cert-lookup--provider=haproxy")
    yield running
    running.stop()


@pytest.fixture
def haproxy(tmp_path: Path, pki: Pki, ostium: RunningServer) -> Iterator[str]:
    folder = tmp_path / "haproxy"
    folder.mkdir()
    server = issue("localhost", pki.root, dns_names=("localhost",), now=datetime.now(UTC))
    (folder / "server.pem").write_text(server.pem + server.key_pem)
    (folder / "ca.pem").write_text(pki.root.pem)
    port = free_port()
    upstream_port = int(ostium.base_url.rsplit(":", 1)[1])
    config = folder / "haproxy.cfg"
    config.write_text(_haproxy_config(folder, port, upstream_port))
    binary = system_binary("haproxy")
    checked = subprocess.run(
        [binary, "-c", "-f", str(config)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    base = f"https://localhost:{port}"

    def probe() -> None:
        with mtls_client(pki, None, tmp_path) as client:
            client.get(f"{base}/realms/master")

    with running_proxy(
        [binary, "-db", "-f", str(config)], [folder / "stderr.log"], probe, "haproxy"
    ):
        yield base


def test_a_forged_header_sent_straight_to_ostium_authenticates_nobody(
    ostium: RunningServer, pki: Pki
) -> None:
    transport = httpx.HTTPTransport(local_address=CLIENT)
    with httpx.Client(transport=transport, trust_env=False, timeout=10) as direct:
        response = direct.post(
            f"{ostium.base_url}{TOKEN}",
            data={"grant_type": "client_credentials", "client_id": "mtls-service"},
            headers={"SSL_CLIENT_CERT": pki.client.der_b64},
        )
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


def test_without_a_client_certificate_the_client_is_refused(
    haproxy: str, pki: Pki, tmp_path: Path
) -> None:
    with mtls_client(pki, None, tmp_path) as client:
        # A forged header through the proxy is dropped by it.
        response = client.post(
            f"{haproxy}{TOKEN}",
            data={"grant_type": "client_credentials", "client_id": "mtls-service"},
            headers={"SSL_CLIENT_CERT": pki.client.der_b64},
        )
    assert response.status_code == 401, response.text


def test_another_subject_is_refused(haproxy: str, pki: Pki, tmp_path: Path) -> None:
    someone = issue("someone-else", pki.intermediate, now=datetime.now(UTC))
    with mtls_client(pki, someone, tmp_path) as client:
        response = client_credentials(client, haproxy)
    assert response.status_code == 401, response.text


def test_through_haproxy_the_certificate_authenticates_and_binds_the_token(
    haproxy: str, pki: Pki, tmp_path: Path
) -> None:
    with mtls_client(pki, pki.client, tmp_path) as client:
        response = client_credentials(client, haproxy)
        assert response.status_code == 200, response.text
        access_token = response.json()["access_token"]
        introspected = client.post(
            f"{haproxy}{TOKEN}/introspect",
            data={"token": access_token, "client_id": "mtls-service"},
        )

    assert claims_of(access_token)["cnf"] == {"x5t#S256": thumbprint(pki.client.cert)}
    assert introspected.status_code == 200, introspected.text
    assert introspected.json()["active"] is True
    assert introspected.json()["cnf"] == {"x5t#S256": thumbprint(pki.client.cert)}


def test_userinfo_takes_a_bound_token_only_with_its_certificate(
    haproxy: str, pki: Pki, tmp_path: Path
) -> None:
    with mtls_client(pki, pki.client, tmp_path) as client:
        issued = client_credentials(client, haproxy)
        bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        owned = client.get(f"{haproxy}{USERINFO}", headers=bearer)
    other = issue("client-app", pki.intermediate, now=datetime.now(UTC))
    with mtls_client(pki, other, tmp_path) as client:
        stolen = client.get(f"{haproxy}{USERINFO}", headers=bearer)
    with mtls_client(pki, None, tmp_path) as client:
        bare = client.get(f"{haproxy}{USERINFO}", headers=bearer)

    assert owned.status_code == 200, owned.text
    assert owned.json()["preferred_username"] == "service-account-mtls-service"
    assert stolen.status_code == 401, stolen.text
    assert bare.status_code == 401, bare.text
