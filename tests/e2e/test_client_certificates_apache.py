"""Ostium behind Debian's Apache (mod_ssl, mod_headers, mod_proxy) terminating TLS with client
certificates (`--spi-x509cert-lookup-provider=apache`): Apache passes on the certificate and
its chain as `SSL_CLIENT_CERT` and `CERT_CHAIN_0` (PEM, line breaks turned into spaces), and
`(null)` when the client sent none.

Apache's mod_proxy cannot choose its source address, so here Apache reaches Ostium from
127.0.0.1, the only trusted proxy, and the client connects from 127.0.0.3.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ostium.protocol.mtls import thumbprint
from tests.e2e.conftest import RunningServer, free_port, running_proxy, system_binary
from tests.e2e.mtls import CLIENT, claims_of, client_credentials, mtls_client, start_mtls_ostium
from tests.x509_ca import Pki, issue, make_pki

pytestmark = pytest.mark.e2e

TOKEN = "/realms/master/protocol/openid-connect/token"
MODULES = Path("/usr/lib/apache2/modules")


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(datetime.now(UTC))


def _apache_config(folder: Path, port: int, upstream: str) -> str:
    modules = "\n".join(
        f"LoadModule {name}_module {MODULES / f'mod_{name}.so'}"
        for name in ("mpm_event", "authz_core", "socache_shmcb", "ssl", "headers", "proxy")
    )
    as_root = "User nobody\nGroup nogroup" if os.geteuid() == 0 else ""
    return f"""
ServerRoot {folder}
ServerName localhost
PidFile {folder / "httpd.pid"}
ErrorLog {folder / "error.log"}
Mutex file:{folder}
{as_root}
{modules}
LoadModule proxy_http_module {MODULES / "mod_proxy_http.so"}
Listen 127.0.0.1:{port}
SSLSessionCache shmcb:{folder / "ssl_scache"}(512000)
<VirtualHost 127.0.0.1:{port}>
    SSLEngine on
    SSLCertificateFile {folder / "server.crt"}
    SSLCertificateKeyFile {folder / "server.key"}
    SSLCACertificateFile {folder / "ca.pem"}
    SSLVerifyClient optional
    SSLVerifyDepth 2
    SSLOptions +ExportCertData
    RequestHeader set SSL_CLIENT_CERT "%{{SSL_CLIENT_CERT}}s"
    RequestHeader set CERT_CHAIN_0 "%{{SSL_CLIENT_CERT_CHAIN_0}}s"
    RequestHeader set X-Forwarded-Proto https
    ProxyPass / {upstream}/
</VirtualHost>
"""


@pytest.fixture
def ostium(tmp_path: Path, pki: Pki) -> Iterator[RunningServer]:
    running = start_mtls_ostium(
        tmp_path, pki, "--spi-x509cert-lookup-provider=apache", proxy="127.0.0.1"
    )
    yield running
    running.stop()


@pytest.fixture
def apache(tmp_path: Path, pki: Pki, ostium: RunningServer) -> Iterator[str]:
    if not MODULES.is_dir():
        pytest.skip("Debian's apache2 modules are not installed")
    folder = tmp_path / "apache"
    folder.mkdir()
    server = issue("localhost", pki.root, dns_names=("localhost",), now=datetime.now(UTC))
    (folder / "server.crt").write_text(server.pem)
    (folder / "server.key").write_text(server.key_pem)
    (folder / "ca.pem").write_text(pki.root.pem)
    port = free_port()
    config = folder / "httpd.conf"
    config.write_text(_apache_config(folder, port, ostium.base_url))
    binary = system_binary("apache2")
    command = [binary, "-f", str(config)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    base = f"https://localhost:{port}"

    def probe() -> None:
        with mtls_client(pki, None, tmp_path) as client:
            client.get(f"{base}/realms/master")

    with running_proxy(
        [*command, "-DFOREGROUND"], [folder / "stderr.log", folder / "error.log"], probe, "apache"
    ):
        yield base


def test_without_a_client_certificate_the_client_is_refused(
    apache: str, pki: Pki, tmp_path: Path
) -> None:
    with mtls_client(pki, None, tmp_path) as client:
        response = client.post(
            f"{apache}{TOKEN}",
            data={"grant_type": "client_credentials", "client_id": "mtls-service"},
            headers={"SSL_CLIENT_CERT": pki.client.der_b64},
        )
    assert response.status_code == 401, response.text


def test_through_apache_the_certificate_and_chain_authenticate(
    apache: str, pki: Pki, tmp_path: Path
) -> None:
    with mtls_client(pki, pki.client, tmp_path) as client:
        response = client_credentials(client, apache)

    assert response.status_code == 200, response.text
    claims = claims_of(response.json()["access_token"])
    assert claims["cnf"] == {"x5t#S256": thumbprint(pki.client.cert)}


def test_a_header_sent_straight_to_ostium_authenticates_nobody(
    ostium: RunningServer, pki: Pki
) -> None:
    transport = httpx.HTTPTransport(local_address=CLIENT)
    with httpx.Client(transport=transport, trust_env=False, timeout=10) as direct:
        response = _client_credentials_with(direct, ostium.base_url, pki)
    assert response.status_code == 401, response.text


def _client_credentials_with(client: httpx.Client, base: str, pki: Pki) -> httpx.Response:
    return client.post(
        f"{base}{TOKEN}",
        data={"grant_type": "client_credentials", "client_id": "mtls-service"},
        headers={"SSL_CLIENT_CERT": pki.client.der_b64, "CERT_CHAIN_0": pki.intermediate.der_b64},
    )
