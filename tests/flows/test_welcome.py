"""The welcome page at `/`: create the first admin from localhost only."""

from __future__ import annotations

import httpx

from ostium.app import create_app
from tests.support import BASE, OstiumUnderTest, form_of


async def test_welcome_lists_no_realms_to_anonymous_visitors(ostium: OstiumUnderTest) -> None:
    """As Keycloak's welcome page: public, so it names no realm a visitor could aim at."""
    response = await ostium.client.get(f"{BASE}/")
    assert response.status_code == 200
    assert "/realms/" not in response.text
    assert "/admin/realms" in response.text


async def _without_admin(ostium: OstiumUnderTest) -> None:
    async with ostium.storage.transaction() as repos:
        master = await repos.realms.get_by_name("master")
        assert master is not None
        for user in await repos.users.search(master.id):
            await repos.users.delete(master.id, user.id)


async def test_remote_visitors_cannot_create_the_admin(ostium: OstiumUnderTest) -> None:
    await _without_admin(ostium)
    transport = httpx.ASGITransport(app=create_app(ostium.runtime), client=("203.0.113.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as remote:
        page = await remote.get("/")
        assert "local access" in page.text
        posted = await remote.post(
            "/",
            data={
                "username": "evil",
                "password": "x",
                "passwordConfirmation": "x",
                "csrf_token": "x",
            },
        )
        assert posted.status_code in (200, 400)
    forwarded = await ostium.client.get("/", headers={"X-Forwarded-For": "203.0.113.9"})
    assert "local access" in forwarded.text
    async with ostium.storage.transaction() as repos:
        master = await repos.realms.get_by_name("master")
        assert master is not None
        assert await repos.users.count(master.id) == 0


async def test_local_admin_creation_with_csrf(ostium: OstiumUnderTest) -> None:
    await _without_admin(ostium)
    browser = ostium.browser()
    page = await browser.http.get("/")
    assert page.status_code == 200
    action, hidden = form_of(page.text, "create-admin")
    forged = await browser.http.post(
        action,
        data={
            "username": "root",
            "password": "pw",
            "passwordConfirmation": "pw",
            "csrf_token": "forged",
        },
    )
    assert forged.status_code == 400
    mismatch = await browser.http.post(
        action,
        data={**hidden, "username": "root", "password": "pw", "passwordConfirmation": "other"},
    )
    assert mismatch.status_code == 400
    page = await browser.http.get("/")
    action, hidden = form_of(page.text, "create-admin")
    created = await browser.http.post(
        action,
        data={**hidden, "username": "root", "password": "pw-123", "passwordConfirmation": "pw-123"},
    )
    assert created.status_code == 200
    assert "create-admin" not in created.text
    assert "/realms/" not in created.text  # the admin's creator is not signed in either
    token = await ostium.client.post(
        f"{BASE}/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": "root",
            "password": "pw-123",
        },
    )
    assert token.status_code == 200, token.text
    assert "admin" in token.json()["access_token"] or token.json()["access_token"]
