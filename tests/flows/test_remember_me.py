"""Remember me (realm `rememberMe`): the checkbox, persistent SSO cookies only when ticked,
and the remember-me lifespans wherever a session's life is judged (SSO, refresh,
introspection, the expiry sweep)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ostium.services.logout import expired_sessions
from tests.admin.helpers import admin_headers, user_id
from tests.support import (
    CALLBACK,
    OIDC,
    REALM,
    SECRET,
    Browser,
    OstiumUnderTest,
    form_of,
    query_of,
    realm_export,
    start_in_process,
)

DAY = 86400


def remember_realm(**changes: Any) -> dict[str, Any]:
    realm = realm_export()
    realm.update(
        rememberMe=True,
        ssoSessionIdleTimeoutRememberMe=7 * DAY,
        ssoSessionMaxLifespanRememberMe=30 * DAY,
    )
    realm.update(changes)
    return realm


@pytest.fixture
async def server(tmp_path) -> AsyncIterator[OstiumUnderTest]:  # type: ignore[no-untyped-def]
    running = await start_in_process(tmp_path, remember_realm())
    try:
        yield running
    finally:
        await running.close()


async def _login(browser: Browser, *, ticked: bool) -> httpx.Response:
    page = await browser.authorize()
    action, hidden = form_of(page.text)
    data = {**hidden, "username": "alice", "password": "wonderland"}
    if ticked:
        data["rememberMe"] = "on"
    done = await browser.http.post(action, data=data)
    assert done.status_code == 302, done.text
    return done


def _sso_cookies(response: httpx.Response) -> dict[str, str]:
    found = {}
    for header in response.headers.get_list("set-cookie"):
        name = header.split("=", 1)[0]
        if name in ("KEYCLOAK_IDENTITY", "KEYCLOAK_SESSION"):
            found[name] = header
    assert set(found) == {"KEYCLOAK_IDENTITY", "KEYCLOAK_SESSION"}
    return found


async def _tokens(server: OstiumUnderTest, done: httpx.Response) -> dict[str, Any]:
    code = query_of(done.headers["location"])["code"]
    response = await server.token(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_no_checkbox_when_the_realm_does_not_offer_it(ostium: OstiumUnderTest) -> None:
    page = await ostium.browser().authorize()
    assert 'name="rememberMe"' not in page.text


async def test_a_forged_field_in_a_realm_without_remember_me_changes_nothing(
    ostium: OstiumUnderTest,
) -> None:
    done = await _login(ostium.browser(), ticked=True)
    for header in _sso_cookies(done).values():
        assert "Max-Age" not in header


async def test_unticked_gives_browser_session_cookies_and_normal_lifespans(
    server: OstiumUnderTest,
) -> None:
    browser = server.browser()
    page = await browser.authorize()
    assert 'name="rememberMe"' in page.text and 'for="rememberMe"' in page.text
    done = await _login(browser, ticked=False)
    for header in _sso_cookies(done).values():
        assert "Max-Age" not in header
    server.clock.advance(1801)  # past the normal idle timeout
    again = await browser.authorize(prompt="none")
    assert query_of(again.headers["location"])["error"] == "login_required"


async def test_ticked_gives_persistent_cookies_and_the_remember_me_lifespans(
    server: OstiumUnderTest,
) -> None:
    browser = server.browser()
    done = await _login(browser, ticked=True)
    cookies = _sso_cookies(done)
    for header in cookies.values():
        assert f"Max-Age={30 * DAY}" in header  # the remember-me max lifespan
    tokens = await _tokens(server, done)
    assert tokens["refresh_expires_in"] == 7 * DAY
    # Idle far beyond the normal 30 minutes, within the remember-me week: still signed in,
    # and the refresh token and introspection agree.
    server.clock.advance(2 * DAY)
    again = await browser.authorize(prompt="none")
    assert "code" in query_of(again.headers["location"])
    refreshed = await server.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    seen = await server.client.post(
        f"{OIDC}/token/introspect",
        data={"token": refreshed.json()["access_token"]},
        auth=("app", SECRET),
    )
    assert seen.json()["active"] is True
    # A week idle ends it, for SSO and for the sweep.
    server.clock.advance(7 * DAY + 1)
    gone = await browser.authorize(prompt="none")
    assert query_of(gone.headers["location"])["error"] == "login_required"
    async with server.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        assert len(await expired_sessions(repos, realm, server.clock.now())) == 1


async def test_the_remember_me_max_lifespan_bounds_an_active_session(
    server: OstiumUnderTest,
) -> None:
    browser = server.browser()
    await _login(browser, ticked=True)
    for _ in range(5):  # active every 6 days less a minute: never idle, under 30 days
        server.clock.advance(6 * DAY - 60)
        alive = await browser.authorize(prompt="none")
        assert "code" in query_of(alive.headers["location"])
    server.clock.advance(301)
    expired = await browser.authorize(prompt="none")
    assert query_of(expired.headers["location"])["error"] == "login_required"


async def test_zero_remember_me_lifespans_fall_back_to_the_normal_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = await start_in_process(
        tmp_path,
        remember_realm(ssoSessionIdleTimeoutRememberMe=0, ssoSessionMaxLifespanRememberMe=0),
    )
    try:
        browser = server.browser()
        done = await _login(browser, ticked=True)
        for header in _sso_cookies(done).values():
            assert "Max-Age=36000" in header  # persistent, with the normal max lifespan
        server.clock.advance(1801)
        gone = await browser.authorize(prompt="none")
        assert query_of(gone.headers["location"])["error"] == "login_required"
    finally:
        await server.close()


async def test_the_admin_api_shows_the_session_as_remembered(server: OstiumUnderTest) -> None:
    await _login(server.browser(), ticked=True)
    headers = await admin_headers(server)
    uid = await user_id(server, headers, "alice")
    sessions = await server.client.get(
        f"/admin/realms/{REALM}/users/{uid}/sessions", headers=headers
    )
    assert [s["rememberMe"] for s in sessions.json()] == [True]


def _remembered_cookie(response: httpx.Response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith("KEYCLOAK_REMEMBER_ME="):
            return header
    return None


async def test_the_login_form_remembers_the_name_until_a_login_without_the_box(
    server: OstiumUnderTest,
) -> None:
    # Keycloak's KEYCLOAK_REMEMBER_ME: the name comes back with the box ticked.
    browser = server.browser()
    done = await _login(browser, ticked=True)
    cookie = _remembered_cookie(done)
    assert cookie is not None and cookie.startswith("KEYCLOAK_REMEMBER_ME=username:alice;")
    assert f"Max-Age={365 * DAY}" in cookie and "HttpOnly" in cookie
    assert f"Path=/realms/{REALM}/" in cookie
    browser.http.cookies.delete("KEYCLOAK_IDENTITY")  # signed out elsewhere; name kept
    page = await browser.authorize()
    assert 'value="alice"' in page.text
    assert re.search(r'id="rememberMe"[^>]* checked', page.text)
    # The application's login_hint wins over the remembered name.
    hinted = await browser.authorize(login_hint="bob")
    assert 'value="bob"' in hinted.text and 'value="alice"' not in hinted.text
    # A login without the box forgets the name.
    done = await _login(browser, ticked=False)
    forgotten = _remembered_cookie(done)
    assert forgotten is not None and "Max-Age=0" in forgotten
    browser.http.cookies.delete("KEYCLOAK_IDENTITY")
    page = await browser.authorize()
    assert 'value="alice"' not in page.text
    assert not re.search(r'id="rememberMe"[^>]* checked', page.text)


async def test_signing_out_forgets_the_remembered_name(server: OstiumUnderTest) -> None:
    browser = server.browser()
    done = await _login(browser, ticked=True)
    id_token = (await _tokens(server, done))["id_token"]
    out = await browser.http.get(
        f"{OIDC}/logout", params={"id_token_hint": id_token, "client_id": "app"}
    )
    forgotten = _remembered_cookie(out)
    assert forgotten is not None and "Max-Age=0" in forgotten
    page = await browser.authorize()
    assert 'value="alice"' not in page.text


async def test_a_realm_that_stops_offering_the_box_ignores_the_cookie(
    ostium: OstiumUnderTest,
) -> None:
    browser = ostium.browser()
    browser.http.cookies.set("KEYCLOAK_REMEMBER_ME", "username:alice")
    page = await browser.authorize()
    assert 'value="alice"' not in page.text
