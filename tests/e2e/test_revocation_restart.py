"""Revocation that sticks: what an admin or a client revoked stays revoked when every
node restarts, because it lives in the database, not in a node's memory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ADMIN_ENV, RunningServer, admin_headers, start_server
from tests.support import SECRET, realm_export

pytestmark = pytest.mark.e2e


def oidc(server: RunningServer) -> str:
    return f"{server.base_url}/realms/test/protocol/openid-connect"


def login(server: RunningServer) -> dict[str, Any]:
    response = httpx.post(
        f"{oidc(server)}/token",
        data={
            "grant_type": "password",
            "username": "alice",
            "password": "wonderland",
            "scope": "openid",
        },
        auth=("app", SECRET),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def active(server: RunningServer, token: str) -> bool:
    response = httpx.post(
        f"{oidc(server)}/token/introspect", data={"token": token}, auth=("app", SECRET)
    )
    return bool(response.json()["active"])


def test_revocations_survive_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "import").mkdir(parents=True)
    (data_dir / "import" / "test-realm.json").write_text(json.dumps(realm_export()))
    server = start_server(data_dir, "--import-realm", env=ADMIN_ENV)
    port = int(server.base_url.rsplit(":", 1)[1])
    try:
        revoked = login(server)
        assert (
            httpx.post(
                f"{oidc(server)}/revoke",
                data={"token": revoked["access_token"], "token_type_hint": "access_token"},
                auth=("app", SECRET),
            ).status_code
            == 200
        )
        signed_out = login(server)
        users = httpx.get(
            f"{server.base_url}/admin/realms/test/users",
            params={"username": "alice", "exact": "true"},
            headers=admin_headers(server.base_url),
        ).json()
        assert (
            httpx.post(
                f"{server.base_url}/admin/realms/test/users/{users[0]['id']}/logout",
                headers=admin_headers(server.base_url),
            ).status_code
            == 204
        )
        kept = login(server)
        assert active(server, kept["access_token"])
        assert not active(server, revoked["access_token"])
        assert not active(server, signed_out["access_token"])
    finally:
        server.stop()

    server = start_server(data_dir, port=port)
    try:
        assert not active(server, revoked["access_token"])
        assert not active(server, signed_out["access_token"])
        refresh = httpx.post(
            f"{oidc(server)}/token",
            data={"grant_type": "refresh_token", "refresh_token": signed_out["refresh_token"]},
            auth=("app", SECRET),
        )
        assert refresh.status_code == 400
        assert active(server, kept["access_token"])
    finally:
        server.stop()
