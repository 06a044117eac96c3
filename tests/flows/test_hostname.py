"""Hostname v2, in-process: a frontend URL with a path, a dynamic back channel, an admin
URL and the hostname-debug page, as Keycloak resolves them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from ostium.app import create_app
from ostium.clock import FixedClock
from ostium.events import EventLog
from ostium.services.bootstrap import ensure_master_realm
from ostium.services.realm_import import parse_realm
from ostium.services.realm_setup import write_bundle
from ostium.storage.sql import open_storage
from ostium.web.runtime import Runtime
from tests.support import CALLBACK, REALM, SECRET, START, Browser, form_of, realm_export

INTERNAL = "http://localhost:8080"
FRONTEND = "https://auth.example.com/sso"

Server = Callable[..., Any]


@pytest.fixture
def server(tmp_path: Path) -> Server:
    """An in-process server with the given hostname options, reached at INTERNAL."""

    @asynccontextmanager
    async def start(**options: Any) -> AsyncIterator[httpx.AsyncClient]:
        storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'ostium.db'}")
        clock = FixedClock(START)
        await ensure_master_realm(storage, clock, admin_username="admin", admin_password="admin")
        async with storage.transaction() as repos:
            if await repos.realms.get_by_name(REALM) is None:
                await write_bundle(repos, parse_realm(realm_export(), now=clock.now(), env={}))
        runtime = Runtime.create(storage, clock, events=EventLog(), **options)
        transport = httpx.ASGITransport(app=create_app(runtime), client=("127.0.0.1", 40000))
        try:
            async with httpx.AsyncClient(transport=transport, base_url=INTERNAL) as client:
                yield client
        finally:
            await runtime.storage.close()

    return start


async def discovery(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get(f"/realms/{REALM}/.well-known/openid-configuration")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


# --- --hostname as a full URL with a path ----------------------------------------------


async def test_every_url_carries_the_path_of_the_hostname(server: Server) -> None:
    async with server(hostname=FRONTEND) as client:
        document = await discovery(client)
        assert document["issuer"] == f"{FRONTEND}/realms/{REALM}"
        assert (
            document["token_endpoint"] == f"{FRONTEND}/realms/{REALM}/protocol/openid-connect/token"
        )

        browser = Browser(client)
        page = await browser.authorize()
        assert f'action="{FRONTEND}/realms/{REALM}/login-actions/' in page.text
        assert re.search(r'href="/sso/resources/[0-9a-f]+/login/ostium/', page.text)
        assert f"Path=/sso/realms/{REALM}/" in page.headers["set-cookie"]
        # A proxy maps the frontend path onto the root; the form posts back through it.
        action_path = httpx.URL(f"{FRONTEND}/realms/{REALM}/login-actions/").path
        assert action_path.startswith("/sso/")

        token = await client.post(
            "/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": "admin",
                "password": "admin",
            },
        )
        created = await client.post(
            f"/admin/realms/{REALM}/users",
            json={"username": "carol"},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        assert created.status_code == 201
        assert created.headers["location"].startswith(f"{FRONTEND}/admin/realms/{REALM}/users/")


# --- --hostname-backchannel-dynamic -------------------------------------------------------


async def test_without_a_dynamic_back_channel_every_endpoint_is_the_frontend(
    server: Server,
) -> None:
    async with server(hostname="https://auth.example.com") as client:
        document = await discovery(client)
    assert document["token_endpoint"].startswith("https://auth.example.com/")
    assert document["jwks_uri"].startswith("https://auth.example.com/")


async def test_a_dynamic_back_channel_answers_with_the_request_address(server: Server) -> None:
    async with server(hostname="https://auth.example.com", backchannel_dynamic=True) as client:
        document = await discovery(client)
        oidc = f"{INTERNAL}/realms/{REALM}/protocol/openid-connect"
        frontend = f"https://auth.example.com/realms/{REALM}/protocol/openid-connect"
        assert document["issuer"] == f"https://auth.example.com/realms/{REALM}"
        assert document["authorization_endpoint"] == f"{frontend}/auth"
        assert document["end_session_endpoint"] == f"{frontend}/logout"
        assert document["token_endpoint"] == f"{oidc}/token"
        assert document["introspection_endpoint"] == f"{oidc}/token/introspect"
        assert document["userinfo_endpoint"] == f"{oidc}/userinfo"
        assert document["jwks_uri"] == f"{oidc}/certs"
        assert document["revocation_endpoint"] == f"{oidc}/revoke"

        # A service inside the network: its token names the frontend issuer, and the
        # internal userinfo endpoint accepts it.
        tokens = await client.post(
            document["token_endpoint"],
            data={
                "grant_type": "password",
                "username": "alice",
                "password": "wonderland",
                "scope": "openid",
            },
            auth=("app", SECRET),
        )
        assert tokens.status_code == 200, tokens.text
        access = tokens.json()["access_token"]
        userinfo = await client.get(
            document["userinfo_endpoint"], headers={"Authorization": f"Bearer {access}"}
        )
        assert userinfo.status_code == 200
        assert userinfo.json()["preferred_username"] == "alice"


# --- --hostname-admin ---------------------------------------------------------------------


def console_authorization(redirect_uri: str) -> dict[str, str]:
    return {
        "client_id": "security-admin-console",
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "openid",
        "code_challenge": "x" * 43,
        "code_challenge_method": "S256",
    }


async def test_the_console_redirects_only_to_the_admin_url(server: Server) -> None:
    admin = "https://admin.example.com:8443"
    async with server(hostname="https://auth.example.com", hostname_admin=admin) as client:
        auth = "/realms/master/protocol/openid-connect/auth"
        frontend = await client.get(
            auth, params=console_authorization("https://auth.example.com/admin/master/console/")
        )
        assert frontend.status_code == 400
        console = await client.get(
            auth, params=console_authorization(f"{admin}/admin/master/console/")
        )
        assert console.status_code == 200
        assert 'id="kc-form-login"' in console.text


async def test_without_an_admin_url_the_console_is_on_the_frontend(server: Server) -> None:
    async with server(hostname="https://auth.example.com") as client:
        console = await client.get(
            "/realms/master/protocol/openid-connect/auth",
            params=console_authorization("https://auth.example.com/admin/master/console/"),
        )
        assert console.status_code == 200


# --- --hostname-debug ---------------------------------------------------------------------


async def test_the_debug_page_is_absent_unless_asked_for(server: Server) -> None:
    async with server(hostname="https://auth.example.com") as client:
        response = await client.get(f"/realms/{REALM}/hostname-debug")
    assert response.status_code == 404


async def test_the_debug_page_shows_what_a_request_resolves_to(server: Server) -> None:
    options = {
        "hostname": "https://auth.example.com",
        "hostname_admin": "https://admin.example.com",
        "backchannel_dynamic": True,
        "hostname_debug": True,
    }
    async with server(**options) as client:
        unknown = await client.get("/realms/nowhere/hostname-debug")
        assert unknown.status_code == 404
        response = await client.get(
            f"/realms/{REALM}/hostname-debug",
            headers={
                "X-Forwarded-Host": "edge.example.com",
                "Authorization": "Bearer secret-token",
                "Cookie": "KEYCLOAK_IDENTITY=secret-cookie",
            },
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for shown in (
        f"{INTERNAL}/realms/{REALM}/hostname-debug",
        "https://auth.example.com",
        f"https://auth.example.com/realms/{REALM}",
        "https://admin.example.com",
        INTERNAL,
        "edge.example.com",
        "127.0.0.1",
    ):
        assert shown in page
    assert "secret-token" not in page
    assert "secret-cookie" not in page
    assert "<dt>Back-channel URL</dt><dd><code>http://localhost:8080</code>" in page


async def test_a_login_under_the_hostname_path_completes(server: Server) -> None:
    """Behind a proxy that maps /sso onto the root: the browser holds the cookies under
    /sso and posts the form there; the proxy forwards both to Ostium's root."""
    async with server(hostname=FRONTEND) as client:
        page = await Browser(client).authorize()
        action, hidden = form_of(page.text)
        cookies = "; ".join(f"{name}={value}" for name, value in page.cookies.items())
        client.cookies.clear()
        forwarded = httpx.URL(action).copy_with(
            scheme="http",
            host="localhost",
            port=8080,
            path=httpx.URL(action).path.removeprefix("/sso"),
        )
        done = await client.post(
            str(forwarded),
            data={**hidden, "username": "alice", "password": "wonderland"},
            headers={"Cookie": cookies},
        )
        assert done.status_code == 302, done.text
        assert done.headers["location"].startswith(CALLBACK)
        assert all(
            f"Path=/sso/realms/{REALM}/" in cookie
            for cookie in done.headers.get_list("set-cookie")
            if cookie.startswith("KEYCLOAK_")
        )
