"""`--http-relative-path=/auth`: the classic Keycloak ≤16 layout, served in-process.

Keycloak serves every path under the prefix (realms, admin API, resources, welcome page,
cookies) and answers 404 outside it; the issuer and every URL it builds carry the prefix.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ostium.app import create_app
from ostium.clock import FixedClock
from ostium.events import EventLog
from ostium.services.bootstrap import ensure_master_realm
from ostium.services.realm_import import parse_realm
from ostium.services.realm_setup import write_bundle
from ostium.storage.sql import open_storage
from ostium.web.management import create_management_app
from ostium.web.runtime import Runtime
from tests.support import CALLBACK, REALM, SECRET, START, Browser, realm_export

ROOT = "http://localhost:8080"
BASE = f"{ROOT}/auth"


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'ostium.db'}")
    clock = FixedClock(START)
    await ensure_master_realm(storage, clock, admin_username="admin", admin_password="admin")
    async with storage.transaction() as repos:
        await write_bundle(repos, parse_realm(realm_export(), now=clock.now(), env={}))
    runtime = Runtime.create(storage, clock, events=EventLog(), relative_path="/auth")
    yield runtime
    await runtime.storage.close()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime), client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        yield http


async def test_paths_outside_the_prefix_are_not_found(client: httpx.AsyncClient) -> None:
    for path in (
        "/",
        f"/realms/{REALM}/.well-known/openid-configuration",
        "/admin/realms",
        "/resources/ostium/ostium.css",
        "/authx/realms/test",
    ):
        response = await client.get(f"{ROOT}{path}")
        assert response.status_code == 404, path


async def test_discovery_and_resources_carry_the_prefix(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/realms/{REALM}/.well-known/openid-configuration")

    assert response.status_code == 200
    document = response.json()
    assert document["issuer"] == f"{BASE}/realms/{REALM}"
    assert document["token_endpoint"].startswith(f"{BASE}/realms/{REALM}/protocol/")
    assert (await client.get("/resources/ostium/ostium.css")).status_code == 200


async def test_a_code_login_works_under_the_prefix(client: httpx.AsyncClient) -> None:
    browser = Browser(client)
    page = await browser.authorize()
    assert page.status_code == 200
    assert f'action="{BASE}/realms/{REALM}/login-actions/' in page.text
    style = re.search(r'href="/auth(/resources/[0-9a-f]+/login/ostium/ostium\.css)"', page.text)
    assert style is not None
    assert (await client.get(style.group(1))).status_code == 200
    cookie = page.headers["set-cookie"]
    assert f"Path=/auth/realms/{REALM}/" in cookie

    done = await browser.submit_login(page, "alice", "wonderland")
    assert done.status_code == 302
    identity = [c for c in done.headers.get_list("set-cookie") if c.startswith("KEYCLOAK_")]
    assert identity and all(f"Path=/auth/realms/{REALM}/" in c for c in identity)
    code = httpx.URL(done.headers["location"]).params["code"]
    assert done.headers["location"].startswith(CALLBACK)

    tokens = await client.post(
        f"/realms/{REALM}/protocol/openid-connect/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        auth=("app", SECRET),
    )
    assert tokens.status_code == 200, tokens.text
    userinfo = await client.get(
        f"/realms/{REALM}/protocol/openid-connect/userinfo",
        headers={"Authorization": f"Bearer {tokens.json()['access_token']}"},
    )
    assert userinfo.json()["preferred_username"] == "alice"


async def test_admin_api_locations_and_welcome_page_carry_the_prefix(
    client: httpx.AsyncClient,
) -> None:
    token = await client.post(
        "/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": "admin",
            "password": "admin",
        },
    )
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    created = await client.post(
        f"/admin/realms/{REALM}/users", json={"username": "carol"}, headers=bearer
    )
    assert created.status_code == 201
    assert created.headers["location"].startswith(f"{BASE}/admin/realms/{REALM}/users/")
    assert (await client.get(created.headers["location"], headers=bearer)).status_code == 200

    welcome = await client.get("/")
    assert welcome.status_code == 200
    assert f"{BASE}/admin/realms" in welcome.text


async def test_the_bare_prefix_leads_to_the_welcome_page(client: httpx.AsyncClient) -> None:
    response = await client.get(BASE)
    assert response.status_code in (301, 302, 307, 308)
    assert response.headers["location"].endswith("/auth/")


async def test_management_paths_sit_under_the_prefix(runtime: Runtime) -> None:
    app = create_management_app(runtime, health_enabled=True, metrics_enabled=False, registry=None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:9000") as http:
        assert (await http.get("/health/ready")).status_code == 404
        ready = await http.get("/auth/health/ready")
        assert ready.status_code == 200
        assert ready.json()["status"] == "UP"


async def test_the_management_port_may_have_a_prefix_of_its_own(runtime: Runtime) -> None:
    """`--http-management-relative-path`: the management port leaves the public prefix."""
    app = create_management_app(
        runtime, health_enabled=True, metrics_enabled=False, registry=None, relative_path="/mgmt"
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:9000") as http:
        assert (await http.get("/auth/health/ready")).status_code == 404
        assert (await http.get("/mgmt/health/ready")).json()["status"] == "UP"
