"""What the client-certificate e2e tests share: Ostium trusting the test CA with an mTLS
client, and an HTTPS client presenting a certificate from the browser's address."""

from __future__ import annotations

import base64
import json
import ssl
from pathlib import Path

import httpx

from tests.e2e.conftest import ADMIN_ENV, RunningServer, admin_headers, start_server
from tests.x509_ca import Issued, Pki

CLIENT = "127.0.0.3"
PROXY = "127.0.0.2"
SUBJECT = "CN=client-app,O=Ostium Test"


# `mtls-service`: a `client-x509` client (subject `SUBJECT`, certificate-bound tokens).
MTLS_SERVICE = {
    "clientId": "mtls-service",
    "publicClient": False,
    "clientAuthenticatorType": "client-x509",
    "serviceAccountsEnabled": True,
    "standardFlowEnabled": False,
    "directAccessGrantsEnabled": True,
    "attributes": {
        "x509.subjectdn": SUBJECT,
        "tls.client.certificate.bound.access.tokens": "true",
    },
}


def start_mtls_ostium(tmp_path: Path, pki: Pki, *lookup: str, proxy: str = PROXY) -> RunningServer:
    """A start-dev process trusting the test CA, with a `client-x509` client `mtls-service`
    (subject `SUBJECT`, certificate-bound tokens) in the master realm."""
    truststore = tmp_path / "truststore"
    truststore.mkdir()
    (truststore / "root.pem").write_text(pki.root.pem)
    (truststore / "intermediate.pem").write_text(pki.intermediate.pem)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    running = start_server(
        data_dir,
        "--proxy-headers=xforwarded",
        f"--proxy-trusted-addresses={proxy}",
        *lookup,
        f"--truststore-paths={truststore}",
        env=ADMIN_ENV,
    )
    headers = admin_headers(running.base_url)
    created = httpx.post(
        f"{running.base_url}/admin/realms/master/clients",
        headers=headers,
        json=MTLS_SERVICE,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    return running


def mtls_client(
    pki: Pki, certificate: Issued | None, folder: Path, address: str = CLIENT
) -> httpx.Client:
    """An HTTPS client from `address` (127.0.0.3) trusting the test CA, presenting
    `certificate` (with its intermediate) when given."""
    context = ssl.create_default_context(cafile=None)
    context.load_verify_locations(cadata=pki.root.pem)
    if certificate is not None:
        chain, key = folder / "client-chain.pem", folder / "client-key.pem"
        chain.write_text(certificate.pem + pki.intermediate.pem)
        key.write_text(certificate.key_pem)
        context.load_cert_chain(chain, key)
    transport = httpx.HTTPTransport(local_address=address, verify=context)
    return httpx.Client(transport=transport, trust_env=False, timeout=10)


def claims_of(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def client_credentials(client: httpx.Client, base: str) -> httpx.Response:
    """`mtls-service`'s client_credentials grant: its certificate is its only credential."""
    return client.post(
        f"{base}/realms/master/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": "mtls-service"},
    )
