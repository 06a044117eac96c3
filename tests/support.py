"""A test harness that drives Ostium over HTTP like a browser and an app would.

The server is the real application (routes, storage on a SQLite file, keys, pages);
only the transport is in-process, and time comes from a clock the test moves.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from ostium.app import create_app
from ostium.clock import FixedClock
from ostium.events import EventLog
from ostium.services.bootstrap import ensure_master_realm
from ostium.services.realm_import import parse_realm
from ostium.services.realm_setup import write_bundle
from ostium.storage.interfaces import Storage
from ostium.storage.sql import open_storage
from ostium.web.runtime import Runtime

BASE = "http://localhost:8080"
REALM = "test"
ISSUER = f"{BASE}/realms/{REALM}"
OIDC = f"{ISSUER}/protocol/openid-connect"
CALLBACK = "http://localhost:3000/callback"
SECRET = "s3cr3t-app"
START = 1_900_000_000


def realm_export() -> dict[str, Any]:
    """A realm as a Keycloak export would describe it."""
    return {
        "realm": REALM,
        "enabled": True,
        "roles": {
            "realm": [
                {"name": "user"},
                {"name": "editor", "composite": True, "composites": {"realm": ["user"]}},
            ],
            "client": {"app": [{"name": "app-admin"}]},
        },
        "groups": [{"name": "staff", "path": "/staff", "realmRoles": ["user"]}],
        "clients": [
            {
                "clientId": "app",
                "enabled": True,
                "publicClient": False,
                "secret": SECRET,
                "redirectUris": [CALLBACK, "http://localhost:3000/wild/*"],
                "webOrigins": ["+"],
                "standardFlowEnabled": True,
                "directAccessGrantsEnabled": True,
                "serviceAccountsEnabled": True,
                "attributes": {"post.logout.redirect.uris": "http://localhost:3000/bye"},
            },
            {
                "clientId": "spa",
                "enabled": True,
                "publicClient": True,
                "redirectUris": ["http://localhost:4000/*"],
                "webOrigins": ["http://localhost:4000"],
                "standardFlowEnabled": True,
                "directAccessGrantsEnabled": False,
                "attributes": {"post.logout.redirect.uris": "+"},
            },
            {
                "clientId": "other",
                "enabled": True,
                "secret": "other-secret",
                "redirectUris": ["http://localhost:5000/cb"],
                "standardFlowEnabled": True,
                "directAccessGrantsEnabled": True,
            },
        ],
        "users": [
            {
                "username": "alice",
                "enabled": True,
                "email": "alice@example.com",
                "emailVerified": True,
                "firstName": "Alice",
                "lastName": "Liddell",
                "credentials": [{"type": "password", "value": "wonderland"}],
                "realmRoles": ["editor", "default-roles-test"],
                "clientRoles": {"app": ["app-admin"]},
                "groups": ["/staff"],
            },
            {
                "username": "bob",
                "enabled": True,
                "email": "bob@example.com",
                "credentials": [{"type": "password", "value": "builder"}],
                "realmRoles": ["default-roles-test"],
            },
            {
                "username": "mallory",
                "enabled": False,
                "credentials": [{"type": "password", "value": "disabled"}],
            },
            {
                "username": "service-account-app",
                "enabled": True,
                "serviceAccountClientId": "app",
                "realmRoles": ["user"],
            },
        ],
    }


@dataclass
class OstiumUnderTest:
    client: httpx.AsyncClient
    storage: Storage
    clock: FixedClock
    runtime: Runtime
    events: EventLog

    async def close(self) -> None:
        await self.client.aclose()
        await self.storage.close()

    def browser(self) -> Browser:
        """A second browser: its own cookie jar, same server."""
        transport = self.client._transport
        return Browser(httpx.AsyncClient(transport=transport, base_url=BASE))

    async def token(
        self, data: dict[str, str], *, auth: tuple[str, str] | None = ("app", SECRET)
    ) -> httpx.Response:
        return await self.client.post(f"{OIDC}/token", data=data, auth=auth)

    async def password_grant(
        self, username: str = "alice", password: str = "wonderland", **extra: str
    ) -> httpx.Response:
        return await self.token(
            {
                "grant_type": "password",
                "username": username,
                "password": password,
                "scope": "openid",
                **extra,
            }
        )


async def start_in_process(tmp_path: Path, realm: dict[str, Any] | None = None) -> OstiumUnderTest:
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'ostium.db'}")
    clock = FixedClock(START)
    await ensure_master_realm(storage, clock, admin_username="admin", admin_password="admin")
    bundle = parse_realm(realm or realm_export(), now=clock.now(), env={})
    async with storage.transaction() as repos:
        await write_bundle(repos, bundle)
    events = EventLog()
    runtime = Runtime.create(storage, clock, events=events, node_name="node1")
    transport = httpx.ASGITransport(app=create_app(runtime), client=("127.0.0.1", 40000))
    client = httpx.AsyncClient(transport=transport, base_url=BASE)
    return OstiumUnderTest(client, runtime.storage, clock, runtime, events)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    return verifier, challenge


def form_of(page: str, form_id: str = "kc-form-login") -> tuple[str, dict[str, str]]:
    """The action and hidden fields of a form in an HTML page, as a browser sees them."""
    match = re.search(rf'<form[^>]*id="{form_id}"[^>]*>(.*?)</form>', page, re.S)
    assert match, f"no form {form_id} in page"
    tag = match.group(0)
    action = html.unescape(re.search(r'action="([^"]*)"', tag).group(1))  # type: ignore[union-attr]
    hidden = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(
            r'<input[^>]*type="hidden"[^>]*name="([^"]*)"[^>]*value="([^"]*)"', match.group(1)
        )
    }
    return action, hidden


def query_of(location: str) -> dict[str, str]:
    parts = urlsplit(location)
    return {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}


def fragment_of(location: str) -> dict[str, str]:
    return {
        k: v[0] for k, v in parse_qs(urlsplit(location).fragment, keep_blank_values=True).items()
    }


@dataclass
class Browser:
    http: httpx.AsyncClient
    history: list[httpx.Response] = field(default_factory=list)

    async def authorize(self, **params: str) -> httpx.Response:
        query = {
            "response_type": "code",
            "client_id": "app",
            "redirect_uri": CALLBACK,
            "scope": "openid",
            **params,
        }
        query = {k: v for k, v in query.items() if v is not None}
        # Relative, so a browser on another base URL (HTTPS) talks to its own origin.
        response = await self.http.get(
            f"/realms/{REALM}/protocol/openid-connect/auth", params=query
        )
        self.history.append(response)
        return response

    async def submit_login(
        self, page: httpx.Response, username: str, password: str
    ) -> httpx.Response:
        action, hidden = form_of(page.text)
        response = await self.http.post(
            action, data={**hidden, "username": username, "password": password}
        )
        self.history.append(response)
        return response

    async def login(
        self, username: str = "alice", password: str = "wonderland", **params: str
    ) -> dict[str, str]:
        """The whole browser half of the code flow; returns the callback's parameters."""
        page = await self.authorize(**params)
        assert page.status_code == 200, page.text
        done = await self.submit_login(page, username, password)
        assert done.status_code == 302, done.text
        return query_of(done.headers["location"])

    async def aclose(self) -> None:
        await self.http.aclose()
