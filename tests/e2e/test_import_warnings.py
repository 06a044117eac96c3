"""A Keycloak export with sections Ostium cannot import yet: every way in (start-up
import, `ostium import`, POST /admin/realms, partialImport) names each section once and
imports everything else; an export of defaults warns about nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ADMIN_ENV, admin_headers, keycloak_admin, run_cli, start_server

pytestmark = pytest.mark.e2e

VECTORS = Path(__file__).parents[1] / "vectors" / "realms"
PLAIN = VECTORS / "keycloak26-acme-realm.json"
EXTRAS = VECTORS / "keycloak26-acme-extras-realm.json"
SECTIONS = [
    "identityProviders",
    "user federation (LDAP, Kerberos)",
    "client authorization services (authorizationSettings)",
]


def _warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if "not supported yet" in line]


def _sections_named(lines: list[str], where: str) -> list[str]:
    found = []
    for line in lines:
        assert where in line, line
        found += [s for s in SECTIONS if f"{where}: {s} " in line]
    return found


def _supported_things_are_there(base_url: str, realm: str) -> None:
    headers = admin_headers(base_url)
    users = httpx.get(f"{base_url}/admin/realms/{realm}/users", headers=headers).json()
    assert {"paula", "arne"} <= {u["username"] for u in users}
    clients = httpx.get(f"{base_url}/admin/realms/{realm}/clients", headers=headers).json()
    assert {"acme-web", "acme-api"} <= {c["clientId"] for c in clients}
    roles = httpx.get(f"{base_url}/admin/realms/{realm}/roles", headers=headers).json()
    assert "offline_access" in {r["name"] for r in roles}
    token = httpx.post(
        f"{base_url}/realms/{realm}/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=("acme-api", "acme-api-secret"),
    )
    assert token.status_code == 200, token.text


def test_start_up_import_logs_one_warning_per_section(tmp_path: Path) -> None:
    (tmp_path / "import").mkdir()
    (tmp_path / "import" / "acme-realm.json").write_text(PLAIN.read_text())
    (tmp_path / "import" / "acme-extras-realm.json").write_text(EXTRAS.read_text())
    server = start_server(tmp_path, "--import-realm", env=ADMIN_ENV)
    try:
        _supported_things_are_there(server.base_url, "acme-extras")
    finally:
        log = server.stop()
    lines = _warnings(log)
    assert not [line for line in lines if "realm 'acme' " in line]  # defaults: silent
    where = "realm 'acme-extras' in acme-extras-realm.json"
    assert _sections_named(lines, where) == SECTIONS
    assert all("WARN" in line for line in lines)
    assert "smtp-secret" not in log and "ldap-secret" not in log


def test_ostium_import_prints_one_warning_per_section(tmp_path: Path) -> None:
    plain = run_cli("import", "--file", str(PLAIN), f"--data-dir={tmp_path}")
    assert plain.returncode == 0, plain.stderr
    assert _warnings(plain.stdout + plain.stderr) == []
    result = run_cli("import", "--file", str(EXTRAS), f"--data-dir={tmp_path}")
    assert result.returncode == 0, result.stderr
    assert "Imported realm 'acme-extras'" in result.stdout
    lines = _warnings(result.stderr)
    assert all(line.startswith("WARNING: ") for line in lines)
    where = "realm 'acme-extras' in keycloak26-acme-extras-realm.json"
    assert _sections_named(lines, where) == SECTIONS
    server = start_server(tmp_path, env=ADMIN_ENV)
    try:
        _supported_things_are_there(server.base_url, "acme-extras")
    finally:
        server.stop()


def _create(base_url: str, document: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{base_url}/admin/realms", json=document, headers=admin_headers(base_url), timeout=30
    )


def test_admin_api_answers_warnings_and_keycloak_clients_still_work(tmp_path: Path) -> None:
    server = start_server(tmp_path, env=ADMIN_ENV)
    try:
        plain = _create(server.base_url, json.loads(PLAIN.read_text()))
        assert plain.status_code == 201, plain.text
        assert plain.headers.get_list("Warning") == [] and plain.content == b""

        created = _create(server.base_url, json.loads(EXTRAS.read_text()))
        assert created.status_code == 201, created.text
        assert created.content == b""  # Keycloak's answer: no body
        headers = created.headers.get_list("Warning")
        assert all(h.startswith('299 ostium "') and h.endswith('"') for h in headers)
        assert _sections_named(headers, "realm 'acme-extras'") == SECTIONS
        _supported_things_are_there(server.base_url, "acme-extras")

        # python-keycloak's create_realm is unbothered by the headers.
        admin = keycloak_admin(server, "master")
        again = json.loads(EXTRAS.read_text())
        again["realm"] = "acme-again"
        admin.create_realm(again)
        assert "acme-again" in {r["realm"] for r in admin.get_realms()}

        # partialImport: what it reads (identity providers, users' and clients' fields).
        body = json.loads(EXTRAS.read_text())
        body["ifResourceExists"] = "OVERWRITE"
        answer = httpx.post(
            f"{server.base_url}/admin/realms/acme/partialImport",
            json=body,
            headers=admin_headers(server.base_url),
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        results = answer.json()
        assert _sections_named(results["warnings"], "realm 'acme'") == [
            "identityProviders",
            "client authorization services (authorizationSettings)",
        ]
        assert answer.headers.get_list("Warning") == [
            f'299 ostium "{text}"' for text in results["warnings"]
        ]
        assert {"arne", "paula"} <= {
            r["resourceName"] for r in results["results"] if r["resourceType"] == "USER"
        }
    finally:
        server.stop()
