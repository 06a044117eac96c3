"""Client certificates on Ostium's own HTTPS listener (`--https-client-auth`), with no proxy
in front: the TLS handshake verifies the certificate against `--truststore-paths`, and it
authenticates a `client-x509` client (`tls_client_auth`) whose token is bound to it.
`required` refuses a handshake without a certificate; a certificate from another CA never
gets as far as a request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ostium.protocol.mtls import thumbprint
from tests.e2e.conftest import RunningServer, free_port
from tests.e2e.mtls import claims_of, client_credentials, mtls_client, start_mtls_ostium
from tests.x509_ca import Pki, issue, make_pki

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(datetime.now(UTC))


def _https_server(folder: Path, pki: Pki, mode: str) -> tuple[RunningServer, str]:
    server_cert = issue("ostium", pki.intermediate, ip_addresses=("127.0.0.1",))
    chain, key = folder / "server-chain.pem", folder / "server-key.pem"
    chain.write_text(server_cert.pem + pki.intermediate.pem)
    key.write_text(server_cert.key_pem)
    port = free_port()
    running = start_mtls_ostium(
        folder,
        pki,
        f"--https-certificate-file={chain}",
        f"--https-certificate-key-file={key}",
        f"--https-port={port}",
        f"--https-client-auth={mode}",
    )
    return running, f"https://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def requesting(
    tmp_path_factory: pytest.TempPathFactory, pki: Pki
) -> Iterator[tuple[RunningServer, str]]:
    running, url = _https_server(tmp_path_factory.mktemp("request"), pki, "request")
    yield running, url
    running.stop()


def test_request_without_a_certificate_authenticates_nobody(
    requesting: tuple[RunningServer, str], pki: Pki, tmp_path: Path
) -> None:
    _, url = requesting
    with mtls_client(pki, None, tmp_path) as client:
        response = client_credentials(client, url)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


def test_a_certificate_from_another_ca_fails_the_handshake(
    requesting: tuple[RunningServer, str], pki: Pki, tmp_path: Path
) -> None:
    _, url = requesting
    with mtls_client(pki, pki.stranger, tmp_path) as client, pytest.raises(httpx.TransportError):
        client_credentials(client, url)


def test_the_handshake_s_certificate_authenticates_and_binds_the_token(
    requesting: tuple[RunningServer, str], pki: Pki, tmp_path: Path
) -> None:
    _, url = requesting
    with mtls_client(pki, pki.client, tmp_path) as client:
        response = client_credentials(client, url)
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["access_token"])["cnf"] == {
        "x5t#S256": thumbprint(pki.client.cert)
    }


def test_required_refuses_a_handshake_without_a_certificate(pki: Pki, tmp_path: Path) -> None:
    running, url = _https_server(tmp_path, pki, "required")
    try:
        with mtls_client(pki, None, tmp_path) as client, pytest.raises(httpx.TransportError):
            client_credentials(client, url)
        with mtls_client(pki, pki.client, tmp_path) as client:
            assert client_credentials(client, url).status_code == 200
    finally:
        running.stop()
