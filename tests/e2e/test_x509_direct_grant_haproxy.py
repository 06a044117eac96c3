"""A user's client certificate as their only credential in the password grant, through
Debian's HAProxy terminating TLS: the realm's direct grant flow is a copy of the built-in
one whose `direct-grant-auth-x509-username` step is REQUIRED (username and password steps
disabled), mapping the certificate's CN to a username.

The realm is written into the data directory's database before the server starts (realm
import does not carry authentication flows yet), as a server that had it configured would
find it. Parties as in `test_client_certificates_haproxy.py`: the client at 127.0.0.3,
HAProxy reaching Ostium from 127.0.0.2, the only trusted proxy.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ostium.domain.authentication_flows import (
    AuthenticationExecution,
    AuthenticationFlow,
    AuthenticatorConfig,
    Requirement,
)
from ostium.services.realm_import import parse_realm
from ostium.services.realm_setup import write_bundle
from ostium.storage.sql import open_storage
from tests.e2e.conftest import (
    ADMIN_ENV,
    RunningServer,
    free_port,
    running_proxy,
    start_server,
    system_binary,
)
from tests.e2e.mtls import PROXY, claims_of, mtls_client
from tests.e2e.test_client_certificates_haproxy import _haproxy_config
from tests.support import SECRET, realm_export
from tests.x509_ca import Pki, issue, make_pki

pytestmark = pytest.mark.e2e

TOKEN = "/realms/test/protocol/openid-connect/token"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(datetime.now(UTC))


async def _write_realm(database: Path) -> None:
    """The test realm with the X.509 direct grant flow bound, in the server's database."""
    storage = await open_storage(f"sqlite+aiosqlite:///{database}")
    try:
        bundle = parse_realm(realm_export(), now=int(datetime.now(UTC).timestamp()), env={})
        async with storage.transaction() as repos:
            await write_bundle(repos, bundle)
            realm = await repos.realms.get_by_name("test")
            assert realm is not None
            built_in = realm.flow("direct grant")
            assert built_in is not None
            config = AuthenticatorConfig(
                str(uuid.uuid4()),
                "certificate users",
                {
                    "x509-cert-auth.mapping-source-selection": "Subject's Common Name",
                    "x509-cert-auth.mapper-selection": "Username or Email",
                },
            )
            executions = [
                AuthenticationExecution(
                    id=str(uuid.uuid4()),
                    requirement=Requirement.DISABLED if e.authenticator else e.requirement,
                    priority=e.priority,
                    authenticator=e.authenticator,
                    flow_id=e.flow_id,
                )
                for e in built_in.executions
            ]
            executions.append(
                AuthenticationExecution(
                    id=str(uuid.uuid4()),
                    requirement=Requirement.REQUIRED,
                    priority=5,
                    authenticator="direct-grant-auth-x509-username",
                    authenticator_config=config.id,
                )
            )
            realm.authenticator_config.append(config)
            realm.authentication_flows.append(
                AuthenticationFlow(str(uuid.uuid4()), "x509 direct grant", executions=executions)
            )
            realm.direct_grant_flow = "x509 direct grant"
            await repos.realms.update(realm)
    finally:
        await storage.close()


@pytest.fixture
def ostium(tmp_path: Path, pki: Pki) -> Iterator[RunningServer]:
    truststore = tmp_path / "truststore"
    truststore.mkdir()
    (truststore / "root.pem").write_text(pki.root.pem)
    (truststore / "intermediate.pem").write_text(pki.intermediate.pem)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    asyncio.run(_write_realm(data_dir.absolute() / "ostium.db"))
    running = start_server(
        data_dir,
        "--proxy-headers=xforwarded",
        f"--proxy-trusted-addresses={PROXY}",
        "--spi-x509cert-lookup--provider=haproxy",
        f"--truststore-paths={truststore}",
        env=ADMIN_ENV,
    )
    yield running
    running.stop()


@pytest.fixture
def haproxy(tmp_path: Path, pki: Pki, ostium: RunningServer) -> Iterator[str]:
    folder = tmp_path / "haproxy"
    folder.mkdir()
    server = issue("localhost", pki.root, dns_names=("localhost",), now=datetime.now(UTC))
    (folder / "server.pem").write_text(server.pem + server.key_pem)
    (folder / "ca.pem").write_text(pki.root.pem + pki.intermediate.pem)
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
            client.get(f"{base}/realms/test")

    with running_proxy(
        [binary, "-db", "-f", str(config)], [folder / "stderr.log"], probe, "haproxy"
    ):
        yield base


def _grant(client: httpx.Client, base: str) -> httpx.Response:
    return client.post(
        f"{base}{TOKEN}",
        data={"grant_type": "password", "scope": "openid"},
        auth=("app", SECRET),
    )


def test_without_a_certificate_the_grant_is_refused(haproxy: str, pki: Pki, tmp_path: Path) -> None:
    with mtls_client(pki, None, tmp_path) as client:
        response = _grant(client, haproxy)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_request"


def test_the_users_certificate_logs_them_in(haproxy: str, pki: Pki, tmp_path: Path) -> None:
    alice = issue("alice", pki.intermediate, now=datetime.now(UTC))
    with mtls_client(pki, alice, tmp_path) as client:
        response = _grant(client, haproxy)
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["access_token"])["preferred_username"] == "alice"
    stranger = issue("nobody", pki.intermediate, now=datetime.now(UTC))
    with mtls_client(pki, stranger, tmp_path) as client:
        refused = _grant(client, haproxy)
    assert refused.status_code == 401, refused.text
    assert refused.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid user credentials",
    }
