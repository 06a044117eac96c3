"""What every browser test of the login pages does: set up its realm through the admin
API, open the application's sign-in link in a fresh browser profile of a given language,
whose callback the test answers itself, and get past the password form."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import httpx
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import admin_headers

__all__ = [
    "TIMEOUT_MS",
    "authorize_url",
    "browser_session",
    "create_realm",
    "set_browser_step",
    "sign_in_with_password",
]

TIMEOUT_MS = 10_000


def authorize_url(base: str, realm: str, client_id: str = "web") -> str:
    """The application's authorization request; its redirect URI is `{base}/callback`."""
    callback = quote(f"{base}/callback", safe="")
    return (
        f"{base}/realms/{realm}/protocol/openid-connect/auth?client_id={client_id}"
        f"&response_type=code&scope=openid&redirect_uri={callback}"
    )


@contextmanager
def browser_session(chromium: Browser, base: str, locale: str) -> Iterator[Page]:
    """A page in a new browser profile speaking `locale`, where `{base}/callback` answers
    "signed in" (the application's side of the redirect)."""
    context = chromium.new_context(locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        context.route(f"{base}/callback*", lambda route: route.fulfill(body="signed in"))
        yield context.new_page()
    finally:
        context.close()


def sign_in_with_password(
    page: Page, base: str, realm: str, username: str, password: str, client_id: str = "web"
) -> None:
    page.goto(authorize_url(base, realm, client_id))
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")


def create_realm(server_url: str, representation: dict[str, object]) -> None:
    """The test's realm, imported as a Keycloak realm file would be (POST /admin/realms)."""
    created = httpx.post(
        f"{server_url}/admin/realms",
        headers=admin_headers(server_url),
        json=representation,
        timeout=10,
    )
    assert created.status_code == 201, created.text


def set_browser_step(server_url: str, realm: str, provider: str, requirement: str) -> None:
    """One execution of the realm's browser flow set to `requirement` (the 2FA sub-flow's
    WebAuthn or recovery-code step, DISABLED in a new Keycloak realm)."""
    flows = f"{server_url}/admin/realms/{realm}/authentication/flows"
    headers = admin_headers(server_url)
    executions = httpx.get(f"{flows}/browser/executions", headers=headers, timeout=10).json()
    step = next(e for e in executions if e.get("providerId") == provider)
    changed = httpx.put(
        f"{flows}/browser/executions",
        json={**step, "requirement": requirement},
        headers=headers,
        timeout=10,
    )
    assert changed.status_code in (202, 204), changed.text
