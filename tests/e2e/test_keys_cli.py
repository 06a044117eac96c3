"""Keys that survive operations, with real processes: `ostium keys rotate` on a stopped
server's database, and `ostium export --include-keys` → `ostium import` keeping kids."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from keycloak import KeycloakAdmin

from tests.e2e.conftest import RunningServer, free_port, run_cli, start_server
from tests.support import SECRET, realm_export

pytestmark = pytest.mark.e2e


def _kid(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def _certs(server: RunningServer) -> dict[str, Any]:
    response = httpx.get(f"{server.base_url}/realms/test/protocol/openid-connect/certs")
    assert response.status_code == 200
    return dict(response.json())


def _token(server: RunningServer) -> str:
    response = httpx.post(
        f"{server.base_url}/realms/test/protocol/openid-connect/token",
        data={"grant_type": "password", "username": "alice", "password": "wonderland"},
        auth=("app", SECRET),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _imported_data_dir(path: Path) -> Path:
    """A data directory holding the test realm, written by `ostium import` (no server)."""
    realm_file = path.parent / f"{path.name}-realm.json"
    realm_file.write_text(json.dumps(realm_export()))
    result = run_cli("import", "--file", str(realm_file), f"--data-dir={path}")
    assert result.returncode == 0, result.stderr
    return path


def test_keys_rotate_offline_then_a_server_signs_with_the_new_kid(tmp_path: Path) -> None:
    data = _imported_data_dir(tmp_path / "data")
    port = free_port()
    server = start_server(data, port=port)
    try:
        old_token = _token(server)
    finally:
        server.stop()
    rotated = run_cli(
        "keys", "rotate", "--realm", "test", "--algorithm", "RS256", f"--data-dir={data}"
    )
    assert rotated.returncode == 0, rotated.stderr
    new_kid = rotated.stdout.strip().splitlines()[-1]
    assert new_kid and new_kid != _kid(old_token)
    assert "passive until" in rotated.stdout
    server = start_server(data, port=port)  # same port: same issuer
    try:
        assert _kid(_token(server)) == new_kid
        # The old key is passive for the default grace period of a day: still published,
        # and the token it signed before the rotation still verifies.
        assert {new_kid, _kid(old_token)} <= {k["kid"] for k in _certs(server)["keys"]}
        userinfo = httpx.get(
            f"{server.base_url}/realms/test/protocol/openid-connect/userinfo",
            headers={"Authorization": f"Bearer {old_token}"},
        )
        assert userinfo.status_code == 200, userinfo.text
    finally:
        server.stop()


def test_keys_rotate_on_an_unknown_realm_is_one_line_and_exit_2(tmp_path: Path) -> None:
    data = _imported_data_dir(tmp_path / "data")
    result = run_cli("keys", "rotate", "--realm", "nope", f"--data-dir={data}")
    assert result.returncode == 2, result.stdout
    assert result.stderr.strip() == "ERROR: Realm 'nope' does not exist"


def test_export_with_keys_and_import_keep_kids_and_tokens(tmp_path: Path) -> None:
    source = _imported_data_dir(tmp_path / "source")
    port = free_port()
    server = start_server(source, port=port)
    try:
        token = _token(server)
        certs = _certs(server)
    finally:
        server.stop()
    exported = run_cli(
        "export",
        "--realm",
        "test",
        "--file",
        str(tmp_path / "with-keys.json"),
        "--include-keys",
        f"--data-dir={source}",
    )
    assert exported.returncode == 0, exported.stderr
    document = json.loads((tmp_path / "with-keys.json").read_text())
    providers = document["components"]["org.keycloak.keys.KeyProvider"]
    rsa_provider = next(p for p in providers if p["providerId"] == "rsa-generated")
    assert rsa_provider["config"]["privateKey"] and rsa_provider["config"]["certificate"]
    assert rsa_provider["subComponents"] == {} and rsa_provider["config"]["priority"] == ["100"]
    hmac = next(p for p in providers if p["providerId"] == "hmac-generated")
    assert hmac["config"]["secret"] and hmac["config"]["kid"]
    # Without --include-keys there is no key material in the file.
    plain = run_cli(
        "export", "--realm", "test", "--file", str(tmp_path / "plain.json"), f"--data-dir={source}"
    )
    assert plain.returncode == 0, plain.stderr
    assert "components" not in json.loads((tmp_path / "plain.json").read_text())
    target = tmp_path / "target"
    imported = run_cli("import", "--file", str(tmp_path / "with-keys.json"), f"--data-dir={target}")
    assert imported.returncode == 0, imported.stderr
    server = start_server(target, port=port)
    try:
        assert _certs(server) == certs  # the same kids, keys and certificates
        # A relying party holding a token from before the export still validates it.
        claims = jwt.decode(token, KeySet.import_key_set(_certs(server))).claims
        assert claims["preferred_username"] == "alice"
        assert _kid(_token(server)) == _kid(token)
    finally:
        server.stop()


def test_python_keycloak_manages_keys_as_components(server: RunningServer) -> None:
    """Keycloak's admin client, unchanged: list, create, update and delete a key provider."""
    admin = KeycloakAdmin(
        server_url=server.base_url + "/",
        username="admin",
        password="admin-pw",
        realm_name="test",
        user_realm_name="master",
        client_id="admin-cli",
    )
    providers = admin.get_components(query={"type": "org.keycloak.keys.KeyProvider"})
    assert "rsa-generated" in {c["providerId"] for c in providers}
    created = admin.create_component(
        {
            "name": "rsa-next",
            "providerId": "rsa-generated",
            "providerType": "org.keycloak.keys.KeyProvider",
            "parentId": admin.get_realm("test")["id"],
            "config": {"priority": ["300"], "algorithm": ["RS256"]},
        }
    )
    keys = admin.get_keys()
    assert (
        next(k for k in keys["keys"] if k["providerId"] == created)["kid"]
        == (keys["active"]["RS256"])
    )
    component = admin.get_component(created)
    component["config"]["active"] = ["false"]
    admin.update_component(created, component)
    assert admin.get_component(created)["config"]["active"] == ["false"]
    admin.delete_component(created)
    assert created not in {c["id"] for c in admin.get_components()}
