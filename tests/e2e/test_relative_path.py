"""`--http-relative-path=/auth` on a real process, driven by python-keycloak with the
`/auth/` server URL that scripts written for Keycloak 16 and older use."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from keycloak import KeycloakAdmin, KeycloakOpenID

from tests.e2e.conftest import ADMIN_ENV, RunningServer, start_server
from tests.support import SECRET, realm_export

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir: Path = tmp_path_factory.mktemp("data")
    (data_dir / "import").mkdir()
    (data_dir / "import" / "test-realm.json").write_text(json.dumps(realm_export()))
    running = start_server(
        data_dir,
        "--import-realm",
        "--health-enabled=true",
        "--metrics-enabled=true",
        env=ADMIN_ENV,
        relative_path="/auth",
    )
    yield running
    running.stop()


def test_nothing_is_served_outside_the_prefix(server: RunningServer) -> None:
    root = server.base_url.removesuffix("/auth")
    assert httpx.get(f"{root}/realms/test").status_code == 404
    assert httpx.get(f"{root}/").status_code == 404
    management_root = server.management_url.removesuffix("/auth")
    assert httpx.get(f"{management_root}/health/ready").status_code == 404


def test_the_start_banner_and_management_port_name_the_prefix(server: RunningServer) -> None:
    assert f"{server.base_url}/realms/master/.well-known/openid-configuration" in server.text()
    assert httpx.get(f"{server.management_url}/health/ready").json()["status"] == "UP"
    assert httpx.get(f"{server.management_url}/metrics").status_code == 200


def test_python_keycloak_openid_under_auth(server: RunningServer) -> None:
    kc = KeycloakOpenID(
        server_url=server.base_url + "/",
        realm_name="test",
        client_id="app",
        client_secret_key=SECRET,
    )
    assert kc.well_known()["issuer"] == f"{server.base_url}/realms/test"
    tokens = kc.token("alice", "wonderland")
    assert kc.userinfo(tokens["access_token"])["preferred_username"] == "alice"
    assert kc.decode_token(tokens["access_token"])["iss"] == f"{server.base_url}/realms/test"
    assert kc.introspect(tokens["access_token"])["active"] is True
    kc.logout(tokens["refresh_token"])


def test_python_keycloak_admin_under_auth(server: RunningServer) -> None:
    admin = KeycloakAdmin(
        server_url=server.base_url + "/",
        username=ADMIN_ENV["OSTIUM_BOOTSTRAP_ADMIN_USERNAME"],
        password=ADMIN_ENV["OSTIUM_BOOTSTRAP_ADMIN_PASSWORD"],
        realm_name="test",
        user_realm_name="master",
        client_id="admin-cli",
    )
    user_id = admin.create_user({"username": "dora", "enabled": True})
    assert admin.get_user(user_id)["username"] == "dora"
    client_id = admin.create_client({"clientId": "under-auth", "publicClient": True})
    assert admin.get_client(client_id)["clientId"] == "under-auth"
